"""The state of a case's clocks for the map and the board (`dispatch.board`), at each boundary,
and the map's read (`queries.open_cases`) on the fakes: scope, filters, seq."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from shapely.geometry import Point

from dispatch.board import CaseUnit, ClockState, OpenCase, clock_state, next_due
from dispatch.clock import Policy
from dispatch.model import Incident, Milestone, MilestoneClock, Status
from dispatch.queries import MapFilters, open_cases
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import IN_EAST, IN_WEST, POWER, T0, WEST, World, new_world

S = timedelta(seconds=1)
US = timedelta(microseconds=1)
POLICY = Policy()  # arrival 30 min (warned 10 before), restore 1 h (15), resolve 7 days (1 day)
ARRIVAL, RESTORE, RESOLVE = T0 + POLICY.arrival, T0 + POLICY.restore, T0 + POLICY.resolve


def _case(status: str = Status.DISPATCHED, arrived: datetime | None = None,
          second_arrived: datetime | None = None, restored: datetime | None = None,
          resolved: datetime | None = None) -> OpenCase:
    return OpenCase(
        "c1", "power_cut", status, WEST, 112.55, 35.05, T0, False, 0, ARRIVAL, RESTORE, RESOLVE,
        restored, resolved, None,
        (CaseUnit(WEST, "territory", arrived, arrived, ARRIVAL),
         CaseUnit(POWER, "department", None, second_arrived, ARRIVAL)))


def _state(case: OpenCase, now: datetime) -> ClockState:
    return clock_state(case.status, case.clocks(), now, POLICY)


# -- on time, near, overdue: the arrival ---------------------------------------------------------
@pytest.mark.parametrize(("now", "state"), [
    (T0, ClockState.ON_TIME),
    (ARRIVAL - POLICY.arrival_warning - S, ClockState.ON_TIME),  # a second before the warning
    (ARRIVAL - POLICY.arrival_warning - US, ClockState.ON_TIME),
    (ARRIVAL - POLICY.arrival_warning, ClockState.NEAR),  # exactly at the warning: near
    (ARRIVAL - S, ClockState.NEAR),
    (ARRIVAL, ClockState.NEAR),  # exactly at the deadline: still in time
    (ARRIVAL + US, ClockState.OVERDUE),  # the first late instant
    (ARRIVAL + S, ClockState.OVERDUE),
])
def test_arrival_state_at_its_boundaries(now: datetime, state: ClockState) -> None:
    assert _state(_case(), now) == state


def test_one_unit_still_on_its_way_keeps_the_case_overdue() -> None:
    case = _case(Status.ON_SITE, arrived=T0 + 5 * 60 * S)
    assert _state(case, ARRIVAL) == ClockState.NEAR
    assert _state(case, ARRIVAL + S) == ClockState.OVERDUE
    both = _case(Status.ON_SITE, arrived=T0 + 5 * 60 * S, second_arrived=ARRIVAL)
    assert _state(both, ARRIVAL + S) == ClockState.ON_TIME


# -- restore and resolve --------------------------------------------------------------------------
@pytest.mark.parametrize(("now", "state"), [
    (RESTORE - POLICY.restore_warning - S, ClockState.ON_TIME),
    (RESTORE - POLICY.restore_warning, ClockState.NEAR),
    (RESTORE, ClockState.NEAR),
    (RESTORE + S, ClockState.OVERDUE),
])
def test_restore_state_at_its_boundaries(now: datetime, state: ClockState) -> None:
    both_there = _case(Status.ON_SITE, arrived=T0 + S, second_arrived=T0 + S)
    assert _state(both_there, now) == state


@pytest.mark.parametrize(("now", "state"), [
    (RESOLVE - POLICY.resolve_warning - S, ClockState.RESTORED),
    (RESOLVE - POLICY.resolve_warning, ClockState.NEAR),
    (RESOLVE, ClockState.NEAR),
    (RESOLVE + S, ClockState.OVERDUE),
])
def test_a_restored_case_until_its_resolve_deadline(now: datetime, state: ClockState) -> None:
    case = _case(Status.RESTORED, arrived=T0 + S, second_arrived=T0 + S, restored=T0 + 2 * S)
    assert _state(case, now) == state


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_solved_is_resolved_whatever_the_clocks(status: str) -> None:
    case = _case(status, arrived=T0 + S, restored=T0 + 2 * S, resolved=T0 + 3 * S)
    assert _state(case, ARRIVAL + S) == ClockState.RESOLVED  # the department never arrived


def test_the_warning_is_the_categorys_policy() -> None:
    short = Policy(arrival_warning=timedelta(minutes=1))
    case = _case()
    assert clock_state(case.status, case.clocks(), ARRIVAL - 2 * 60 * S, short
                       ) == ClockState.ON_TIME
    assert clock_state(case.status, case.clocks(), ARRIVAL - 60 * S, short) == ClockState.NEAR


def test_a_met_deadline_is_never_near() -> None:
    met = MilestoneClock(Milestone.ARRIVAL, WEST, ARRIVAL, T0 + S)
    assert clock_state(Status.ON_SITE, [met], ARRIVAL, POLICY) == ClockState.ON_TIME


# -- the next deadline ----------------------------------------------------------------------------
def test_next_due_is_the_earliest_unmet_and_the_first_unit_among_equals() -> None:
    nxt = next_due(_case().clocks())
    assert nxt is not None and (nxt.milestone, nxt.unit_code, nxt.due) == (
        Milestone.ARRIVAL, WEST, ARRIVAL)
    nxt = next_due(_case(Status.ON_SITE, arrived=T0 + S).clocks())
    assert nxt is not None and (nxt.milestone, nxt.unit_code) == (Milestone.ARRIVAL, POWER)
    nxt = next_due(_case(Status.ON_SITE, arrived=T0 + S, second_arrived=T0 + S).clocks())
    assert nxt is not None and (nxt.milestone, nxt.unit_code) == (Milestone.RESTORE, None)
    done = _case(Status.RESOLVED, T0 + S, T0 + S, T0 + 2 * S, T0 + 3 * S)
    assert next_due(done.clocks()) is None


# -- the map's read on the fakes ------------------------------------------------------------------
@pytest.fixture
def w() -> World:
    return new_world()


def _report(w: World, reporter: str = "reporter", category: str = "power_cut",
            at: Point = IN_WEST) -> Incident:
    incident, _ = report_incident(w.ctx, w.user(reporter), NewReport(
        category=category, description="d", location=at))
    return incident


def test_the_records_clocks_are_the_incidents_own(w: World) -> None:
    inc = _report(w)
    [case] = open_cases(w.ctx, w.user("commander"), MapFilters()).cases
    assert case.case.clocks() == inc.clocks()
    assert [u.code for u in case.case.units] == inc.unit_codes()


def test_open_cases_are_scoped_filtered_and_judged_at_the_clock(w: World) -> None:
    west = _report(w)
    east = _report(w, "reporter2", "other", IN_EAST)

    def ids(who: str, f: MapFilters | None = None) -> set[str]:
        return {c.case.id for c in open_cases(w.ctx, w.user(who), f or MapFilters()).cases}

    assert ids("commander") == ids("admin") == {west.id, east.id}
    assert ids("reporter") == {west.id} and ids("reporter2") == {east.id}
    assert ids("officer") == ids("dispatcher") == {west.id}
    assert ids("officer_power") == {west.id} and ids("officer_east") == {east.id}
    assert ids("commander", MapFilters(category="other")) == {east.id}
    assert ids("commander", MapFilters(unit=POWER)) == {west.id}
    assert ids("commander", MapFilters(bbox=(112.6, 35.0, 112.7, 35.1))) == {east.id}
    w.clock.now = ARRIVAL + US
    view = open_cases(w.ctx, w.user("commander"), MapFilters())
    assert view.generated_at == ARRIVAL + US
    assert {c.state for c in view.cases} == {ClockState.OVERDUE}
    assert view.seq == max(e.seq or 0 for i in (west, east) for e in w.events(i.id))


def test_a_listed_case_has_the_incidents_clocks_and_overdue(w: World) -> None:
    from dispatch.queries import IncidentFilters, list_incidents

    inc = _report(w)
    [listed], total = list_incidents(w.ctx, w.user("commander"), IncidentFilters())
    assert total == 1 and listed.clocks() == inc.clocks()
    for now in (ARRIVAL, ARRIVAL + US, RESOLVE + US):
        assert listed.overdue(now) == inc.overdue(now)
    assert [u.code for u in listed.units] == inc.unit_codes()
