"""The records the reads build (dispatch.board) carry the case's own judgement: a solved case whose
resolve deadline was extended is judged against its first deadline whether read as a map record,
a list item or an event's snapshot; a met deadline is never overdue in a list item; the instants
follow the case's category and status."""

from __future__ import annotations

from datetime import timedelta

from dispatch.board import (
    CaseUnit, ClockState, OpenCase, SnapshotCase, case_instants, clocks_of, instants_json,
)
from dispatch.clock import Policies, Policy
from dispatch.fieldwork import check_in, restore
from dispatch.model import Incident, Status
from dispatch.queries import IncidentFilters, list_incidents
from dispatch.reporting import NewReport, report_incident
from dispatch.settings import Settings
from tests.unit.fakes import IN_WEST, POWER, T0, WEST, World, new_world

US = timedelta(microseconds=1)
POLICY = Policy()
ARRIVAL, RESTORE, RESOLVE = T0 + POLICY.arrival, T0 + POLICY.restore, T0 + POLICY.resolve
EXTENDED = RESOLVE + timedelta(days=3)


def _report(w: World, category: str = "power_cut") -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category=category, description="d", location=IN_WEST))
    return w.incident(incident.id)


def _solved_late_within_an_extension(w: World) -> Incident:
    """Solved a day after its first resolve deadline, within the extension."""
    inc = _report(w)
    for unit in inc.unit_codes():
        inc.arrive(unit, "o1", T0 + timedelta(minutes=5), inc.location, 3.0, None)
    inc.restore("o1", T0 + timedelta(minutes=20), "ok")
    inc.resolve_due_original, inc.resolve_due = RESOLVE, EXTENDED
    inc.resolve("o1", RESOLVE + timedelta(days=1), "fixed")
    assert inc.status == Status.RESOLVED
    return inc


def test_a_map_record_keeps_the_first_resolve_deadline_it_is_judged_on() -> None:
    record = OpenCase("c1", "power_cut", Status.ON_SITE, WEST, 112.55, 35.05, T0, False, 0,
                      ARRIVAL, RESTORE, EXTENDED, None, None, RESOLVE,
                      (CaseUnit(WEST, "territory", None, None, ARRIVAL),))
    resolve = clocks_of(record)[-1]
    assert (resolve.due, resolve.judged_against, resolve.basis) == (EXTENDED, RESOLVE, RESOLVE)


def test_an_event_s_snapshot_judges_a_late_solution_as_the_case_does() -> None:
    w = new_world()
    inc = _solved_late_within_an_extension(w)
    from_snapshot = instants_json(case_instants(SnapshotCase(inc.snapshot()), w.ctx.settings))
    assert from_snapshot == instants_json(case_instants(inc, w.ctx.settings))
    resolve = from_snapshot["milestones"][-1]
    assert resolve == {"milestone": "resolve", "unit": None, "due": "2026-12-07T02:00:00Z",
                       "near_at": "2026-12-06T02:00:00Z", "done_at": "2026-12-05T02:00:00Z",
                       "on_time": False}
    assert from_snapshot["calm"] == "resolved" and from_snapshot["near_at"] is None


def test_the_snapshot_reads_the_category_and_its_policy() -> None:
    settings = Settings(policies=Policies(by_category={
        "power_cut": Policy(arrival_warning=timedelta(minutes=3))}))
    w = new_world(policies=settings.policies)
    power, other = _report(w), _report(w, "other")
    assert SnapshotCase(power.snapshot()).category == "power_cut"
    for case, lead in ((power, 3), (other, 10)):
        for x in (case_instants(case, settings),
                  case_instants(SnapshotCase(case.snapshot()), settings)):
            assert x.near_at == ARRIVAL - timedelta(minutes=lead)


def test_the_instants_of_a_solved_case_follow_its_status() -> None:
    w = new_world()
    inc = _solved_late_within_an_extension(w)
    x = case_instants(inc, w.ctx.settings)
    assert (x.near_at, x.due, x.calm) == (None, None, ClockState.RESOLVED)
    assert x.state(EXTENDED + timedelta(days=30)) == ClockState.RESOLVED


def test_a_list_item_never_counts_a_met_deadline_as_overdue() -> None:
    w = new_world()
    inc = _report(w)
    w.clock.now = ARRIVAL + timedelta(minutes=5)  # the arrival itself late
    check_in(w.ctx, w.user("officer"), inc.id, IN_WEST, 5.0, None)
    restore(w.ctx, w.user("officer"), inc.id, "ok")
    [listed], _ = list_incidents(w.ctx, w.user("commander"), IncidentFilters())
    stored = w.incident(inc.id)
    after = RESTORE + US
    assert [(c.milestone, c.unit_code) for c in listed.overdue(after)] == [("arrival", POWER)]
    assert listed.overdue(after) == stored.overdue(after)
    assert listed.clocks() == stored.clocks()
