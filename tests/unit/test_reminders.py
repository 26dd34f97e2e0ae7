"""Command's reminder to a unit (催办, issue 17) on the fake unit of work: recorded at the
context's time by the commander who sent it, heard by the unit's room and command only, on
record in the case; refused, writing nothing, for a unit not responsible for the case, a
solved case, another role, or a case the caller may not see."""

from __future__ import annotations

import pytest

from dispatch import supervision
from dispatch.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dispatch.fieldwork import check_in, resolve, restore
from dispatch.model import Incident
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import EAST, IN_WEST, POWER, WEST, World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def _report(w: World) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="no power", location=IN_WEST))
    w.rec.published.clear()
    return incident


def test_a_reminder_is_recorded_at_the_clock_s_time_and_heard_by_the_unit_and_command(
        w: World) -> None:
    inc = _report(w)
    now = w.clock.advance(minutes=12)
    supervision.remind(w.ctx, w.user("commander"), inc.id, POWER, "  请尽快到场 ")
    [event] = w.rec.published
    assert (event.type, event.at, event.actor_id, event.data) == (
        "reminded", now, "id-commander", {"unit": POWER, "note": "请尽快到场"})
    assert event.audience == [f"unit:{POWER}", "command"]
    with w.db.uow() as uow:
        assert [e.type for e in uow.incidents.events(inc.id)][-1] == "reminded"


def test_a_reminder_to_a_unit_not_responsible_names_the_unit_and_writes_nothing(w: World) -> None:
    inc = _report(w)
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        supervision.remind(w.ctx, w.user("commander"), inc.id, EAST, "")
    assert refused.value.errors[0].field == "unit"
    assert w.db.snapshot() == before and w.rec.published == []


def test_a_solved_case_has_nothing_to_remind_of(w: World) -> None:
    inc = _report(w)
    w.clock.advance(minutes=10)
    check_in(w.ctx, w.user("officer"), inc.id, IN_WEST, 5.0, None)
    restore(w.ctx, w.user("officer"), inc.id, "order restored")
    resolve(w.ctx, w.user("officer"), inc.id, "fixed")
    w.rec.published.clear()
    before = w.db.snapshot()
    with pytest.raises(Conflict, match="resolved"):
        supervision.remind(w.ctx, w.user("commander"), inc.id, WEST, "")
    assert w.db.snapshot() == before and w.rec.published == []


def test_only_command_reminds_and_an_outsider_is_not_told_of_the_case(w: World) -> None:
    inc = _report(w)
    before = w.db.snapshot()
    for who in ("dispatcher", "officer", "reporter"):
        with pytest.raises(Forbidden):
            supervision.remind(w.ctx, w.user(who), inc.id, WEST, "")
    with pytest.raises(NotFound):
        supervision.remind(w.ctx, w.user("officer_east"), inc.id, WEST, "")
    with pytest.raises(NotFound):
        supervision.remind(w.ctx, w.user("commander"), "nope", WEST, "")
    assert w.db.snapshot() == before and w.rec.published == []
