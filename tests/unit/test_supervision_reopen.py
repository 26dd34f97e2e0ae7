"""The reporter sends a solved case back, on the fake unit of work: who may, the time and the
category's policy the new deadline is counted with, what is committed and published, and the new
round's timers planned after the commit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.clock import Policies, Policy
from dispatch.errors import Conflict, Forbidden, NotFound
from dispatch.fieldwork import check_in, resolve, restore
from dispatch.model import Incident, Status
from dispatch.reporting import NewReport, report_incident
from dispatch.supervision import reopen
from dispatch.timers import TimerKind
from dispatch.utc import iso_utc
from tests.unit.fakes import IN_WEST, POWER, WEST, World, new_world

# The case's own category gets a resolve allowance unlike the default's.
POLICIES = Policies(default=Policy(resolve=timedelta(days=7)),
                    by_category={"power_cut": Policy(resolve=timedelta(days=2))})


@pytest.fixture
def w() -> World:
    return new_world(policies=POLICIES)


def _report(w: World) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="no power", location=IN_WEST))
    return incident


def _solved(w: World) -> Incident:
    incident = _report(w)
    w.clock.advance(minutes=10)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, 5.0, None)
    w.clock.advance(minutes=10)
    restore(w.ctx, w.user("officer"), incident.id, "order restored")
    w.clock.advance(hours=3)
    resolve(w.ctx, w.user("officer"), incident.id, "fixed")
    w.rec.published.clear()
    w.rec.scheduled.clear()
    return incident


def test_the_reporter_reopens_with_a_new_deadline_from_now_by_the_cases_policy(w: World) -> None:
    incident = _solved(w)
    now = w.clock.advance(days=1)
    returned = reopen(w.ctx, w.user("reporter"), incident.id, "still no power")
    stored = w.incident(incident.id)
    for inc in (returned, stored):
        assert (inc.id, inc.status, inc.round, inc.reopened_at) == (
            incident.id, Status.REOPENED, 1, now)
        assert inc.resolve_due == now + timedelta(days=2)
        assert (inc.resolved_at, inc.resolved_by, inc.resolve_note) == (None, None, None)
    event = w.events(incident.id)[-1]
    assert (event.type, event.at, event.actor_id) == ("reopened", now, w.user("reporter").id)
    assert event.data == {"status": "reopened", "note": "still no power", "round": 1,
                          "resolve_due": iso_utc(now + timedelta(days=2))}
    assert [e.type for e in w.rec.published] == ["reopened"]
    assert w.rec.published[0].seq == event.seq


def test_a_reopening_without_a_note_records_an_empty_one(w: World) -> None:
    incident = _solved(w)
    reopen(w.ctx, w.user("reporter"), incident.id)
    assert w.events(incident.id)[-1].data["note"] == ""


def test_the_new_rounds_resolve_timers_are_stored_and_scheduled_after_the_commit(
        w: World) -> None:
    incident = _solved(w)
    now = w.clock.advance(days=1)
    before = len(w.db.state.timers)
    reopen(w.ctx, w.user("reporter"), incident.id)
    stored = w.incident(incident.id)
    assert stored.timers_planned_at == now
    new = w.db.state.timers[before:]
    due = now + timedelta(days=2)
    assert {(t.unit_code, t.kind, t.milestone, t.deadline, t.round) for t in new} == {
        (unit, kind, "resolve", due, 1)
        for unit in (WEST, POWER) for kind in (TimerKind.DEADLINE_NEAR, TimerKind.OVERDUE)}
    # Scheduled too: the department's arrival, still awaited, whose notice is stored once.
    assert {(t.unit_code, t.kind, t.milestone, t.round) for t in w.rec.scheduled} == {
        (t.unit_code, t.kind, t.milestone, 1) for t in new} | {
        (POWER, TimerKind.OVERDUE, "arrival", 1)}


@pytest.mark.parametrize("who", ["officer", "officer_power", "dispatcher", "commander",
                                 "admin"])
def test_only_a_reporter_reopens(w: World, who: str) -> None:
    incident = _solved(w)
    before = w.db.snapshot()
    with pytest.raises(Forbidden) as refused:
        reopen(w.ctx, w.user(who), incident.id, "no")
    assert str(refused.value) == (
        f"this action is for the roles reporter; you are {w.user(who).role}")
    assert w.db.state == before
    assert w.rec.published == [] and w.rec.scheduled == []


def test_another_reporter_does_not_see_the_case(w: World) -> None:
    incident = _solved(w)
    before = w.db.snapshot()
    with pytest.raises(NotFound) as hidden:
        reopen(w.ctx, w.user("reporter2"), incident.id)
    assert hidden.value.detail == f"no incident {incident.id} that you may see"
    with pytest.raises(NotFound) as unknown:
        reopen(w.ctx, w.user("reporter"), "no-such-case")
    assert unknown.value.detail == "no incident no-such-case that you may see"
    assert w.db.state == before


def test_a_case_not_solved_is_not_reopened_and_nothing_is_written(w: World) -> None:
    incident = _report(w)
    w.rec.published.clear()
    w.rec.scheduled.clear()
    before = w.db.snapshot()
    with pytest.raises(Conflict, match="only a solved or closed incident can be reopened"):
        reopen(w.ctx, w.user("reporter"), incident.id)
    assert w.db.state == before
    assert w.rec.published == [] and w.rec.scheduled == []
