"""The notification seam (`dispatch.notify`): who is told what after a commit, and that what a
sender is handed carries no case details (only the user, the kind and the case number)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field, replace
import pytest

from dispatch.fieldwork import check_in, resolve, restore
from dispatch.model import Event
from dispatch.notify import LogNotifier, Notice, NoticeKind, deliver, notices
from dispatch.reporting import NewReport, report_incident
from dispatch.deadlines import fire_due_timers
from tests.unit.fakes import IN_WEST, T0, World, new_world


@dataclass
class Recording:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def notify(self, user_id: str, kind: str, case_number: str) -> None:
        self.sent.append((user_id, kind, case_number))


@pytest.fixture
def w() -> World:
    return new_world()


def _told(w: World) -> tuple[World, Recording]:
    rec = Recording()
    return replace(w, ctx=replace(w.ctx, notifier=rec)), rec


def test_a_new_case_tells_every_active_officer_of_each_unit_it_is_offered_to(w: World) -> None:
    w, rec = _told(w)
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        "power_cut", "停电, 生产线停了, 张经理 13812345678", IN_WEST))
    officers = {w.user(n).id for n in ("officer", "officer2", "officer_power")}
    assert {(u, k) for u, k, _ in rec.sent} == {(o, "task_offered") for o in officers}
    assert {n for _, _, n in rec.sent} == {case.case_number}


def test_the_reporter_is_told_of_arrival_solution_and_the_feedback_asked(w: World) -> None:
    w, rec = _told(w)
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "停电", IN_WEST))
    rec.sent.clear()
    check_in(w.ctx, w.user("officer"), case.id, IN_WEST, 5.0, None)
    restore(w.ctx, w.user("officer"), case.id, "通电了")  # not an alert
    resolve(w.ctx, w.user("officer"), case.id, "换了线路")
    me = w.user("reporter").id
    assert rec.sent == [(me, "arrived", case.case_number), (me, "resolved", case.case_number),
                        (me, "feedback_requested", case.case_number)]


def test_a_repeated_offer_tells_nobody_again(w: World) -> None:
    w, rec = _told(w)
    report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "停电", IN_WEST))
    rec.sent.clear()
    w.clock.advance(minutes=6)  # the offer's timeout: offered again by the timers
    assert fire_due_timers(w.ctx) >= 2
    with w.db.uow() as uow:
        assert any(e.type == "offered" and e.data["repeat"] for e in uow.events.after(0, 100))
    assert rec.sent == []


def test_what_a_sender_is_handed_holds_no_description_place_or_name(w: World) -> None:
    w, rec = _told(w)
    text = "停电, 张经理 13812345678, 一号厂区"
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", text, IN_WEST))
    check_in(w.ctx, w.user("officer"), case.id, IN_WEST, 5.0, None)
    assert [f.name for f in dataclasses.fields(Notice)] == ["user_id", "kind", "case_number"]
    personal = [text, "张经理", "13812345678", "一号厂区", str(IN_WEST.x), str(IN_WEST.y),
                w.user("reporter").display_name, w.user("officer").display_name, "West"]
    for user_id, kind, number in rec.sent:
        assert kind in set(NoticeKind) and number == case.case_number
        assert user_id in {u.id for u in w.city.users.values()}  # an id (the fake's hold names)
        for said in (kind, number):
            assert not any(p in said for p in personal), said


def test_a_failing_sender_is_logged_and_the_others_still_go(caplog: pytest.LogCaptureFixture
                                                            ) -> None:
    sent: list[str] = []

    class Flaky:
        def notify(self, user_id: str, kind: str, case_number: str) -> None:
            if user_id == "a":
                raise ConnectionError("SMS gateway down")
            sent.append(user_id)

    with caplog.at_level(logging.ERROR):
        deliver(Flaky(), [Notice("a", NoticeKind.ARRIVED, "N-1"),
                          Notice("b", NoticeKind.ARRIVED, "N-1")])
    assert sent == ["b"] and "could not send the arrived notice about case N-1" in caplog.text


def test_events_of_a_case_without_a_number_are_not_told() -> None:
    e = Event("arrived", T0, None, {"unit": "w"}, ["user:r1", "unit:w", "command"], "c1",
              snapshot={"case_number": ""})
    assert notices([e], lambda codes: {}) == []
    told = replace(e, snapshot={"case_number": "JY311-20261127-0001"})
    assert notices([told], lambda codes: {}) == [
        Notice("r1", NoticeKind.ARRIVED, "JY311-20261127-0001")]


def test_the_default_sender_only_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dispatch.notify"):
        LogNotifier().notify("u1", "arrived", "JY311-20261127-0001")
    assert "notice arrived to user u1 about case JY311-20261127-0001" in caplog.text
