"""The on-time answer for a resolution (`clock.resolved_on_time`) and the records of milestones
met late (`timers.met_late`): pure, with their exact boundaries."""

from __future__ import annotations

from datetime import timedelta

from dispatch.clock import resolve_basis, resolved_on_time
from dispatch.model import Milestone
from dispatch.timers import met_late
from tests.unit.fakes import T0, World, new_world

US = timedelta(microseconds=1)
FIRST = T0 + timedelta(days=7)
EXTENDED = FIRST + timedelta(days=3)


def test_the_basis_is_the_first_deadline_once_extended() -> None:
    assert resolve_basis(FIRST, None) == FIRST
    assert resolve_basis(EXTENDED, FIRST) == FIRST


def test_a_resolution_is_on_time_up_to_the_first_deadline_whatever_the_extension() -> None:
    assert resolved_on_time(None, EXTENDED, FIRST) is None
    assert resolved_on_time(FIRST, EXTENDED, FIRST) is True
    assert resolved_on_time(FIRST + US, EXTENDED, FIRST) is False
    assert resolved_on_time(EXTENDED, EXTENDED, FIRST) is False
    assert resolved_on_time(FIRST, FIRST, None) is True
    assert resolved_on_time(FIRST + US, FIRST, None) is False


def _case(w: World):  # type: ignore[no-untyped-def]
    from dispatch.reporting import NewReport, report_incident
    from tests.unit.fakes import IN_WEST
    inc, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "停电", IN_WEST))
    return inc


def test_met_late_proposes_a_record_per_unit_only_strictly_after_the_deadline() -> None:
    w = new_world()
    inc = _case(w)
    units = inc.unit_codes()
    assert met_late(inc, units, Milestone.ARRIVAL, inc.arrival_due) == []
    late = met_late(inc, units[:1], Milestone.ARRIVAL, inc.arrival_due + US)
    assert [(r.unit_code, r.milestone, r.due_at, r.recorded_at, r.round) for r in late] == [
        (units[0], "arrival", inc.arrival_due, inc.arrival_due + US, 0)]
    inc.round, inc.resolve_due = 2, inc.resolve_due + timedelta(days=1)
    resolved = met_late(inc, units, Milestone.RESOLVE, inc.resolve_due + US)
    assert [(r.unit_code, r.due_at, r.round) for r in resolved] == [
        (u, inc.resolve_due, 2) for u in units]
    assert met_late(inc, units, Milestone.RESTORE, inc.restore_due + US)[0].round == 0
