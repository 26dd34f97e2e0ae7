"""A commander's review of the text the public disclosure shows of a case (dispatch.publication),
and the scrubber of every name on record that it still passes (on the fake store)."""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from dispatch import publication
from dispatch.errors import Forbidden, NotFound, ValidationFailed
from dispatch.model import Incident, Site, User
from dispatch.reporting import NewReport, report_incident
from dispatch.scrubbing import NAME_MARK, PHONE_MARK
from tests.unit.fakes import IN_WEST, World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def _case(w: World) -> Incident:
    inc, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        "power_cut", "张三丰说: 13812345678", IN_WEST))
    return inc


def test_no_free_text_is_published_until_a_commander_reviews_it(w: World) -> None:
    inc = _case(w)
    text = publication.public_text(w.ctx, inc)
    assert (text.problem, text.result, text.reviewed_by) == (None, None, None)
    assert (text.published_problem, text.published_result) == ("断电", None)
    publication.review_public_text(w.ctx, w.user("commander"), inc.id, " 厂区停电 ", "已恢复供电")
    stored = w.incident(inc.id)
    assert (stored.public_problem, stored.public_result) == ("厂区停电", "已恢复供电")
    assert stored.public_text_by == w.user("commander").id and stored.public_text_at == w.clock.now
    [event] = [e for e in w.events(inc.id) if e.type == "public_text_reviewed"]
    assert event.audience == ["command"]
    assert event.data == {"problem": "厂区停电", "result": "已恢复供电"}


def test_the_same_text_again_changes_nothing_and_an_absent_field_is_kept(w: World) -> None:
    inc, commander = _case(w), w.user("commander")
    publication.review_public_text(w.ctx, commander, inc.id, "厂区停电", None)
    events, at = len(w.events(inc.id)), w.incident(inc.id).public_text_at
    w.clock.advance(minutes=5)
    publication.review_public_text(w.ctx, commander, inc.id, "厂区停电", None)
    publication.review_public_text(w.ctx, commander, inc.id, None, "")  # clears nothing set
    assert len(w.events(inc.id)) == events and w.incident(inc.id).public_text_at == at
    publication.review_public_text(w.ctx, commander, inc.id, None, "已恢复")
    stored = w.incident(inc.id)
    assert (stored.public_problem, stored.public_result) == ("厂区停电", "已恢复")
    assert stored.public_text_at == w.clock.now and len(w.events(inc.id)) == events + 1


def test_an_empty_text_clears_it_and_the_category_s_words_are_shown_again(w: World) -> None:
    inc, commander = _case(w), w.user("commander")
    publication.review_public_text(w.ctx, commander, inc.id, "厂区停电", "已恢复")
    publication.review_public_text(w.ctx, commander, inc.id, "  ", "")
    text = publication.public_text(w.ctx, w.incident(inc.id))
    assert (text.problem, text.result, text.published_problem) == (None, None, "断电")


def test_the_reviewed_text_still_passes_the_scrubber_of_every_name_on_record(w: World) -> None:
    inc = _case(w)
    with w.db.uow() as uow:  # a person and a site with nothing to do with the case
        uow.users.add(User(username="wangwu_jy", password_hash="x", role="officer",
                           display_name="Wang Wu"))
        uow.sites.add(Site(owner_id="someone", name="宏达建材", location=Point(0, 0),
                           address="沁园路 1888 号"))
        uow.commit()
    publication.review_public_text(
        w.ctx, w.user("commander"), inc.id, "WANGWU 与 wangwu_jy 在宏达 建材(沁园路1888号)",
        "联系 13812345678")
    text = publication.public_text(w.ctx, w.incident(inc.id))
    assert text.published_problem == f"{NAME_MARK} 与 {NAME_MARK} 在{NAME_MARK}({NAME_MARK})"
    assert text.published_result == f"联系 {PHONE_MARK}"
    assert text.problem == "WANGWU 与 wangwu_jy 在宏达 建材(沁园路1888号)"  # kept as reviewed


def test_a_new_name_on_record_is_scrubbed_at_once(w: World) -> None:
    inc = _case(w)
    publication.review_public_text(w.ctx, w.user("commander"), inc.id, "李四光到场", None)
    assert publication.public_text(w.ctx, w.incident(inc.id)).published_problem == "李四光到场"
    with w.db.uow() as uow:
        uow.users.add(User(username="lsg", password_hash="x", role="officer",
                           display_name="李四光"))
        uow.commit()
    assert publication.public_text(w.ctx, w.incident(inc.id)).published_problem == \
        f"{NAME_MARK}到场"


@pytest.mark.parametrize("who", ["reporter", "dispatcher", "admin", "officer"])
def test_only_a_commander_reviews_the_public_text(w: World, who: str) -> None:
    inc = _case(w)
    with pytest.raises(Forbidden):
        publication.review_public_text(w.ctx, w.user(who), inc.id, "x", None)
    assert w.incident(inc.id).public_problem is None


def test_refusals_name_the_field_and_write_nothing(w: World) -> None:
    inc, commander = _case(w), w.user("commander")
    events = len(w.events(inc.id))
    for problem, result, field in ((None, None, "problem"), ("x" * 501, None, "problem"),
                                   (None, "x" * 501, "result")):
        with pytest.raises(ValidationFailed) as exc:
            publication.review_public_text(w.ctx, commander, inc.id, problem, result)
        assert [e.field for e in exc.value.errors] == [field]
    with pytest.raises(NotFound):
        publication.review_public_text(w.ctx, commander, "nope", "x", None)
    assert len(w.events(inc.id)) == events
    publication.review_public_text(w.ctx, commander, inc.id, "x" * 500, "y" * 500)  # the limit
    assert w.incident(inc.id).public_result == "y" * 500
