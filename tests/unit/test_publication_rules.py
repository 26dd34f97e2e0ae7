"""The public disclosure's use cases on the fake unit of work (dispatch.publication): which cases
a period publishes, what its answer depends on (`version`), the names its scrubber knows, and the
refusals of a commander's review and withholding, word for word. The record of one case is
tests/unit/test_disclosure.py; the review's main path tests/unit/test_public_text.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from shapely.geometry import Point

from dispatch import disclosure, publication
from dispatch.errors import Conflict, NotFound, ValidationFailed
from dispatch.model import Incident, Site, User
from dispatch.ports import PeriodQuery
from dispatch.reporting import NewReport, report_incident
from dispatch.scrubbing import NAME_MARK
from tests.unit.fakes import (
    IN_WEST, FakeDatabase, FakeIncidents, FakeUnitOfWork, World, new_world,
)

# 2026-W48 in China Standard Time: Monday 23 November 00:00 to Monday 30 November 00:00.
W48 = disclosure.period("2026-W48", None, datetime(2026, 11, 27, tzinfo=UTC))
START, END = datetime(2026, 11, 22, 16, tzinfo=UTC), datetime(2026, 11, 29, 16, tzinfo=UTC)


@pytest.fixture
def w() -> World:
    return new_world()


def _case_at(w: World, at: datetime, category: str = "power_cut") -> Incident:
    w.clock.now = at
    inc, _ = report_incident(w.ctx, w.user("reporter"), NewReport(category, "停电", IN_WEST))
    return inc


def _add_names(w: World) -> None:
    """A user and a site with nothing to do with any case: their names are on record."""
    with w.db.uow() as uow:
        uow.users.add(User(username="wangwu_jy", password_hash="x", role="officer",
                           display_name="王五", id="id-wangwu"))
        uow.sites.add(Site(owner_id="someone", name="宏达建材", location=Point(0, 0),
                           address="沁园路1888号", id="site-hongda"))
        uow.commit()


# -- the period's cases ----------------------------------------------------------------------------
def test_a_period_publishes_the_cases_received_in_it_oldest_first_and_not_withheld(
        w: World) -> None:
    assert (W48.start, W48.end) == (START, END)
    tick = timedelta(microseconds=1)
    before = _case_at(w, START - tick)
    first = _case_at(w, START)  # the start is inside
    withheld = _case_at(w, START + timedelta(days=1))
    last = _case_at(w, END - tick, "water_cut")
    after = _case_at(w, END)  # the end is outside
    publication.withhold(w.ctx, w.user("commander"), withheld.id, "涉及个人隐私")
    answer = publication.published_cases(w.ctx, W48)
    assert answer["period"] == {"label": "2026-W48", "start": "2026-11-22T16:00:00Z",
                                "end": "2026-11-29T16:00:00Z"}
    assert [c["id"] for c in answer["cases"]] == [first.id, last.id]
    assert answer["count"] == 2
    assert set(answer) == {"period", "count", "cases"}
    assert {before.id, after.id}.isdisjoint(c["id"] for c in answer["cases"])


def test_each_published_case_is_judged_at_the_clock_s_time_and_scrubbed_of_every_name(
        w: World) -> None:
    _add_names(w)
    inc = _case_at(w, START + timedelta(days=1))
    publication.review_public_text(w.ctx, w.user("commander"), inc.id,
                                   "王五在宏达建材门口", "wangwu_jy 已到沁园路1888号")
    w.clock.now = START + timedelta(days=1, minutes=30)  # the arrival deadline itself
    [case] = publication.published_cases(w.ctx, W48)["cases"]
    assert case == disclosure.public_case(w.incident(inc.id), publication.scrubber(w.ctx),
                                          w.clock.now)
    assert case["problem"] == f"{NAME_MARK}在{NAME_MARK}门口"
    assert case["result"]["note"] == f"{NAME_MARK} 已到{NAME_MARK}"
    assert case["milestones"]["arrival"][0]["on_time"] is None  # open at its deadline
    w.clock.advance(microseconds=1)
    [case] = publication.published_cases(w.ctx, W48)["cases"]
    assert case["milestones"]["arrival"][0]["on_time"] is False  # missed just after


class _Recording(FakeIncidents):
    """What the use cases ask the store: each read of a case (and whether under its lock), and
    each query of a period."""

    asked: list[object] = []

    def get(self, incident_id: str, for_update: bool = False) -> Incident | None:
        self.asked.append((incident_id, for_update))
        return super().get(incident_id, for_update)

    def received_between(self, query: PeriodQuery) -> list[Incident]:
        self.asked.append(query)
        return super().received_between(query)


def _recording(db: FakeDatabase) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(db)
    uow.incidents = _Recording(uow)
    return uow


def _recorded(w: World) -> World:
    _Recording.asked = []
    return replace(w, ctx=replace(w.ctx, uow=partial(_recording, w.db),
                                  read=partial(_recording, w.db)))


def test_the_store_is_asked_for_every_case_of_the_period_not_withheld(w: World) -> None:
    publication.published_cases(_recorded(w).ctx, W48)
    assert _Recording.asked == [PeriodQuery(start=START, end=END, include_withheld=False,
                                            limit=publication.MAX_CASES)]


def test_a_review_and_a_withholding_read_the_case_under_its_lock(w: World) -> None:
    inc = _case_at(w, w.clock.now)
    recorded = _recorded(w)
    publication.review_public_text(recorded.ctx, w.user("commander"), inc.id, "厂区停电", None)
    publication.withhold(recorded.ctx, w.user("commander"), inc.id, "隐私")
    assert _Recording.asked == [(inc.id, True), (inc.id, True)]


def test_an_empty_period_publishes_nothing(w: World) -> None:
    _case_at(w, END + timedelta(days=1))
    answer = publication.published_cases(w.ctx, W48)
    assert (answer["count"], answer["cases"]) == (0, [])


# -- what an answer depends on ---------------------------------------------------------------------
def test_the_version_is_the_log_s_position_the_names_and_the_minute(w: World) -> None:
    w.clock.now = datetime(2026, 11, 27, 2, 3, 59, 999999, tzinfo=UTC)
    with w.db.uow() as uow:
        seq = uow.events.last_seq()
        users = uow.users.names_version()
        sites = uow.sites.names_version()
    assert publication.version(w.ctx) == (seq, (*users, *sites), "2026-11-27T02:03")
    w.clock.advance(microseconds=1)
    assert publication.version(w.ctx)[2] == "2026-11-27T02:04"


def test_the_version_moves_with_every_event_and_every_name(w: World) -> None:
    first = publication.version(w.ctx)
    inc = _case_at(w, w.clock.now)
    after_report = publication.version(w.ctx)
    assert after_report[0] > first[0] and after_report[1:] == first[1:]
    publication.review_public_text(w.ctx, w.user("commander"), inc.id, "厂区停电", None)
    assert publication.version(w.ctx)[0] > after_report[0]
    with w.db.uow() as uow:
        uow.sites.add(Site(owner_id="someone", name="恒通物流", location=Point(0, 0)))
        uow.commit()
    with_site = publication.version(w.ctx)
    assert with_site[1][2:] != after_report[1][2:] and with_site[1][:2] == after_report[1][:2]
    with w.db.uow() as uow:
        uow.users.add(User(username="lisi", password_hash="x", role="officer"))
        uow.commit()
    with_user = publication.version(w.ctx)
    assert with_user[1][:2] != with_site[1][:2] and with_user[1][2:] == with_site[1][2:]


def test_the_scrubber_knows_every_user_s_and_site_s_names(w: World) -> None:
    _add_names(w)
    scrub = publication.scrubber(w.ctx)
    assert scrub("王五 wangwu_jy 宏达建材 沁园路1888号 commander") == " ".join([NAME_MARK] * 5)
    assert scrub("厂区停电") == "厂区停电"
    assert publication.scrubber(w.ctx) is scrub  # kept while the names and the minute stay


# -- what a commander reads of a case's public text ------------------------------------------------
def test_the_public_text_says_who_reviewed_it_when_and_what_goes_out(w: World) -> None:
    _add_names(w)
    inc = _case_at(w, w.clock.now)
    w.clock.advance(minutes=7)
    publication.review_public_text(w.ctx, w.user("commander"), inc.id, "王五反映停电", "王五确认")
    text = publication.public_text(w.ctx, w.incident(inc.id))
    assert text == publication.PublicText(
        problem="王五反映停电", result="王五确认", reviewed_by=w.user("commander").id,
        reviewed_at=w.clock.now, published_problem=f"{NAME_MARK}反映停电",
        published_result=f"{NAME_MARK}确认")


# -- a commander's review: refusals, word for word -------------------------------------------------
def test_a_review_refused_says_why_by_field(w: World) -> None:
    inc, commander = _case_at(w, w.clock.now), w.user("commander")
    published = len(w.rec.published)
    with pytest.raises(ValidationFailed) as exc:
        publication.review_public_text(w.ctx, commander, inc.id, None, None)
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("problem", "give the public problem, the result or both")]
    for problem, result, field in (("x" * 501, None, "problem"), ("ok", "y" * 501, "result")):
        with pytest.raises(ValidationFailed) as exc:
            publication.review_public_text(w.ctx, commander, inc.id, problem, result)
        assert [(e.field, e.message) for e in exc.value.errors] == [
            (field, "at most 500 characters")]
    with pytest.raises(NotFound) as nf:
        publication.review_public_text(w.ctx, commander, "nope", "x", None)
    assert str(nf.value) == "no incident nope that you may see"
    assert w.incident(inc.id).public_problem is None and len(w.rec.published) == published


def test_the_limit_is_counted_after_the_spaces_around_the_text_go(w: World) -> None:
    inc = _case_at(w, w.clock.now)
    publication.review_public_text(w.ctx, w.user("commander"), inc.id,
                                   "  " + "x" * 500 + "\n", None)
    assert w.incident(inc.id).public_problem == "x" * 500


def test_a_review_is_published_once_committed_and_a_repeat_publishes_nothing(w: World) -> None:
    inc, commander = _case_at(w, w.clock.now), w.user("commander")
    published = len(w.rec.published)
    returned = publication.review_public_text(w.ctx, commander, inc.id, "厂区停电", None)
    assert returned.public_problem == "厂区停电" and returned.id == inc.id
    [event] = w.rec.published[published:]
    assert event.type == "public_text_reviewed" and event.incident_id == inc.id
    publication.review_public_text(w.ctx, commander, inc.id, "厂区停电", None)
    assert len(w.rec.published) == published + 1


# -- withholding -----------------------------------------------------------------------------------
def test_a_withholding_refused_says_why(w: World) -> None:
    inc, commander = _case_at(w, w.clock.now), w.user("commander")
    for reason, message in ((" \n", "say why the case is withheld"),
                            ("x" * 501, "at most 500 characters")):
        with pytest.raises(ValidationFailed) as exc:
            publication.withhold(w.ctx, commander, inc.id, reason)
        assert [(e.field, e.message) for e in exc.value.errors] == [("reason", message)]
    with pytest.raises(NotFound) as nf:
        publication.withhold(w.ctx, commander, "nope", "隐私")
    assert str(nf.value) == "no incident nope that you may see"
    assert w.incident(inc.id).withheld_at is None


def test_a_withholding_keeps_the_reason_without_its_spaces_and_publishes_once(w: World) -> None:
    inc, commander = _case_at(w, w.clock.now), w.user("commander")
    published = len(w.rec.published)
    w.clock.advance(minutes=3)
    returned = publication.withhold(w.ctx, commander, inc.id, "  涉及个人隐私 \n")
    stored = w.incident(inc.id)
    assert (stored.withheld_reason, stored.withheld_by, stored.withheld_at) == (
        "涉及个人隐私", commander.id, w.clock.now)
    assert returned.withheld_reason == "涉及个人隐私"
    [event] = w.rec.published[published:]
    assert event.type == "withheld" and event.data["reason"] == "涉及个人隐私"
    publication.withhold(w.ctx, commander, inc.id, "涉及个人隐私")  # the same again: nothing
    assert len(w.rec.published) == published + 1
    with pytest.raises(Conflict):
        publication.withhold(w.ctx, commander, inc.id, "另一个理由")
    # a reason of exactly the limit, after its spaces go
    other = _case_at(w, w.clock.now)
    publication.withhold(w.ctx, commander, other.id, " " + "x" * 500 + " ")
    assert w.incident(other.id).withheld_reason == "x" * 500


def test_a_review_of_one_field_keeps_the_other_as_reviewed(w: World) -> None:
    inc, commander = _case_at(w, w.clock.now), w.user("commander")
    publication.review_public_text(w.ctx, commander, inc.id, "厂区停电", "已恢复供电")
    publication.review_public_text(w.ctx, commander, inc.id, "厂区断电", None)
    stored = w.incident(inc.id)
    assert (stored.public_problem, stored.public_result) == ("厂区断电", "已恢复供电")
    publication.review_public_text(w.ctx, commander, inc.id, None, "供电恢复")
    stored = w.incident(inc.id)
    assert (stored.public_problem, stored.public_result) == ("厂区断电", "供电恢复")
