"""The timers' rules at their edges: which timers a case gets (and which round they carry),
when an offer stops repeating, what each firing writes into the case's log, and how the sweep
fires, defers and schedules them on the fake unit of work."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from shapely.geometry import Point

from dispatch.clock import Policies, Policy
from dispatch.deadlines import fire_due_timers, plan_timers, plan_unplanned
from dispatch.model import Incident, Status
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import (Fired, OverdueRecord, Timer, TimerKind, announce_overdue, fire,
                             plan)
from dispatch.utc import iso_utc
from tests.unit.fakes import IN_WEST, POWER, WEST, LastPosition, World, new_world
from tests.unit.test_domain import T0, _incident

OFFER = timedelta(minutes=5)


def _no_one(unit: str) -> list:
    return []


def _solved(inc: Incident) -> Incident:
    inc.arrive("t", "o", T0 + timedelta(minutes=1), Point(112.6, 35.0), 1, None)
    inc.restore("o", T0 + timedelta(minutes=2), "ok")
    inc.resolve("o", T0 + timedelta(minutes=3), "done")
    return inc


# -- plan -----------------------------------------------------------------------------------------

def test_a_warning_exactly_at_the_report_is_not_planned_one_just_after_is() -> None:
    at_start = Policy(arrival=timedelta(minutes=10), arrival_warning=timedelta(minutes=10))
    inc = _incident(at_start)
    warnings = [t for t in plan(inc, at_start, None)
                if t.kind == TimerKind.DEADLINE_NEAR and t.milestone == "arrival"]
    assert warnings == []
    just_after = Policy(arrival=timedelta(minutes=10),
                        arrival_warning=timedelta(minutes=10) - timedelta(microseconds=1))
    inc = _incident(just_after)
    warnings = [t for t in plan(inc, just_after, None)
                if t.kind == TimerKind.DEADLINE_NEAR and t.milestone == "arrival"]
    assert [(t.unit_code, t.due_at) for t in warnings] == [
        ("t", T0 + timedelta(microseconds=1)), ("power_supply", T0 + timedelta(microseconds=1))]


def test_the_first_offer_timer_is_planned_in_full() -> None:
    inc = _incident()
    offers = [t for t in plan(inc, Policy(), OFFER) if t.unit_code == "t" and t.kind == "offer"]
    assert offers == [Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER,
                            attempt=1, round=0)]


def test_a_reopened_case_plans_its_open_deadlines_in_its_round_without_offers() -> None:
    inc = _solved(_incident())  # the territory arrived; power_supply never did
    reopened_at = T0 + timedelta(hours=2)
    inc.reopen(reopened_at, Policy(), "r")
    timers = plan(inc, Policy(), OFFER)
    new_due = reopened_at + timedelta(days=7)
    assert sorted((t.unit_code, t.kind, t.milestone, t.deadline, t.due_at) for t in timers) == (
        sorted([(unit, kind, "resolve", new_due, at)
                for unit in ("t", "power_supply")
                for kind, at in (("deadline_near", new_due - timedelta(days=1)),
                                 ("overdue", new_due + timedelta(microseconds=1)))]
               # the arrival still awaited: its notice again, but no warning before the reopening
               + [("power_supply", "overdue", "arrival", inc.arrival_due,
                   inc.arrival_due + timedelta(microseconds=1))]))
    assert {(t.round, t.attempt) for t in timers} == {(1, 0)}


def test_a_met_milestone_is_not_watched() -> None:
    inc = _incident()
    inc.arrive("t", "o", T0 + timedelta(minutes=1), Point(112.6, 35.0), 1, None)
    watched = {(t.unit_code, t.milestone) for t in plan(inc, Policy(), None)}
    assert ("t", "arrival") not in watched
    assert ("power_supply", "arrival") in watched
    assert ("t", "restore") in watched


# -- offers ---------------------------------------------------------------------------------------

def test_an_offer_due_exactly_at_the_arrival_deadline_is_not_planned() -> None:
    policy = Policy(arrival=OFFER * 2, arrival_warning=timedelta(minutes=1))
    inc = _incident(policy)
    first = Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER, attempt=1)
    assert fire(first, inc, T0 + OFFER, _no_one, OFFER).follow_up == []

    policy = Policy(arrival=OFFER * 2 + timedelta(microseconds=1),
                    arrival_warning=timedelta(minutes=1))
    inc = _incident(policy)
    first = Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER, attempt=1)
    assert fire(first, inc, T0 + OFFER, _no_one, OFFER).follow_up == [
        Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER * 2,
              attempt=2)]


def test_a_repeated_offer_tells_the_unit_and_the_dispatcher_exactly() -> None:
    inc = _incident()
    ranked = [{"officer_id": "o1", "distance_m": 80.0}]
    asked: list[str] = []

    def rank(unit: str) -> list:
        asked.append(unit)
        return ranked

    now = T0 + OFFER * 2 + timedelta(seconds=3)
    offer = Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER * 2,
                  attempt=2)
    before = len(inc.events)
    result = fire(offer, inc, now, rank, OFFER)
    assert result == Fired("repeated", follow_up=[
        Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER * 3,
              attempt=3)])
    assert asked == ["t"]
    offered, unanswered = inc.events[before:]
    assert (offered.type, offered.at, offered.actor_id, offered.data) == (
        "offered", now, None, {"unit": "t", "officers": ranked, "repeat": 2})
    assert (unanswered.type, unanswered.at, unanswered.actor_id, unanswered.data) == (
        "offer_unanswered", now, None, {"unit": "t", "waited_s": 603.0})


def test_an_offer_without_a_timeout_setting_does_not_plan_another() -> None:
    inc = _incident()
    offer = Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER, attempt=1)
    assert fire(offer, inc, T0 + OFFER, _no_one, None) == Fired("repeated", follow_up=[])


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_an_offer_to_a_unit_that_never_answered_a_solved_case_is_silent(status: Status) -> None:
    inc = _solved(_incident())  # the territory arrived; power_supply never answered
    inc.status = status
    offer = Timer(inc.id, "power_supply", TimerKind.OFFER, "offer", inc.arrival_due,
                  T0 + OFFER, attempt=1)
    before = len(inc.events)
    assert fire(offer, inc, T0 + OFFER * 4, _no_one, OFFER) == Fired("answered")
    assert len(inc.events) == before


def test_an_offer_to_a_unit_not_on_the_case_is_silent() -> None:
    inc = _incident()
    offer = Timer(inc.id, "water", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER, 1)
    assert fire(offer, inc, T0 + OFFER, _no_one, OFFER) == Fired("answered")


def test_an_offer_to_a_unit_that_accepted_is_silent_and_one_that_did_not_is_repeated() -> None:
    inc = _incident()
    inc.accept("t", "o", T0 + timedelta(minutes=1))
    accepted = Timer(inc.id, "t", TimerKind.OFFER, "offer", inc.arrival_due, T0 + OFFER, 1)
    assert fire(accepted, inc, T0 + OFFER, _no_one, OFFER).outcome == "answered"
    other = Timer(inc.id, "power_supply", TimerKind.OFFER, "offer", inc.arrival_due,
                  T0 + OFFER, 1)
    assert fire(other, inc, T0 + OFFER, _no_one, OFFER).outcome == "repeated"


# -- warnings and notices -------------------------------------------------------------------------

def test_a_warning_writes_the_unit_the_milestone_and_the_deadline() -> None:
    inc = _incident()
    now = inc.restore_due - timedelta(minutes=15)
    timer = Timer(inc.id, "power_supply", TimerKind.DEADLINE_NEAR, "restore", inc.restore_due,
                  now)
    before = len(inc.events)
    assert fire(timer, inc, now, _no_one, OFFER) == Fired("warned")
    [event] = inc.events[before:]
    assert (event.type, event.at, event.actor_id, event.data) == (
        "deadline_near", now, None,
        {"unit": "power_supply", "milestone": "restore", "due": iso_utc(inc.restore_due)})


def test_a_notice_due_at_the_deadline_itself_waits_for_the_first_late_instant() -> None:
    inc = _incident()
    due = inc.arrival_due
    timer = Timer(inc.id, "t", TimerKind.OVERDUE, "arrival", due, due)
    before = len(inc.events)
    assert fire(timer, inc, due, _no_one, OFFER) == Fired(
        "early", retry_at=due + timedelta(microseconds=1))
    assert len(inc.events) == before


def test_a_missed_deadline_proposes_its_full_record_in_the_timers_round() -> None:
    inc = _incident()
    due = inc.resolve_due
    now = due + timedelta(microseconds=1)
    timer = Timer(inc.id, "power_supply", TimerKind.OVERDUE, "resolve", due, now, round=3)
    result = fire(timer, inc, now, _no_one, OFFER)
    assert result == Fired("overdue", record=OverdueRecord(
        inc.id, "power_supply", "resolve", due, now, round=3))


def test_an_overdue_notice_carries_the_unit_the_milestone_the_deadline_and_how_late() -> None:
    inc = _incident()
    due = inc.arrival_due
    at = due + timedelta(seconds=90, milliseconds=500)
    record = OverdueRecord(inc.id, "power_supply", "arrival", due, at)
    announce_overdue(inc, record)
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data) == (
        "overdue", at, None, {"unit": "power_supply", "milestone": "arrival",
                              "due": iso_utc(due), "late_by_s": 90.5})


# -- the sweep on the fake ------------------------------------------------------------------------

@pytest.fixture
def w() -> World:
    return new_world()


def _case(w: World, category: str = "power_cut") -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category=category, description="d", location=IN_WEST))
    return incident


def test_planning_uses_the_categorys_policy_and_the_offer_timeout_setting() -> None:
    policies = Policies.from_seconds({"default": {"arrival": 1800},
                                      "power_cut": {"arrival": 1200}})
    w = new_world(policies=policies, offer_timeout=timedelta(minutes=7))
    incident = _case(w)
    arrival = {t.unit_code: t.deadline for t in w.db.state.timers
               if t.kind == "overdue" and t.milestone == "arrival"}
    assert arrival == {WEST: incident.received_at + timedelta(minutes=20),
                       POWER: incident.received_at + timedelta(minutes=20)}
    offers = {t.unit_code: t.due_at for t in w.db.state.timers if t.kind == "offer"}
    assert offers == {WEST: incident.received_at + timedelta(minutes=7),
                      POWER: incident.received_at + timedelta(minutes=7)}


def test_planning_marks_the_case_planned_at_the_clocks_time_and_schedules_what_it_stored(
        w: World) -> None:
    incident = _case(w)
    assert w.incident(incident.id).timers_planned_at == w.clock.now
    stored = {(t.unit_code, t.kind, t.milestone, t.due_at) for t in w.db.state.timers}
    assert {(t.unit_code, t.kind, t.milestone, t.due_at) for t in w.rec.scheduled} == stored
    w.rec.scheduled.clear()
    w.clock.advance(seconds=1)
    plan_timers(w.ctx, w.incident(incident.id))
    assert w.rec.scheduled == []
    assert w.incident(incident.id).timers_planned_at == w.clock.now - timedelta(seconds=1)


def _unplan(w: World, incident: Incident) -> None:
    with w.db.uow() as uow:
        stored = uow.incidents.get(incident.id, for_update=True)
        assert stored is not None
        stored.timers_planned_at = None
        uow.commit()


def test_the_sweep_plans_at_most_a_batch_of_unplanned_cases(w: World) -> None:
    first, second = _case(w), _case(w)
    _unplan(w, first)
    _unplan(w, second)
    w.db.state.timers.clear()
    w.clock.advance(seconds=5)
    assert plan_unplanned(w.ctx, batch=1) == 1
    assert plan_unplanned(w.ctx) == 1
    assert plan_unplanned(w.ctx) == 0
    for incident in (first, second):
        assert w.incident(incident.id).timers_planned_at == w.clock.now
    assert {t.incident_id for t in w.db.state.timers} == {first.id, second.id}


def test_firing_one_case_leaves_the_others_timers_pending(w: World) -> None:
    first, second = _case(w), _case(w)
    w.clock.now = first.received_at + w.ctx.settings.offer_timeout
    assert fire_due_timers(w.ctx, incident_id=first.id) == 2
    # The offers fired (a repeated offer moves its own row on: an outcome, still pending).
    fired = {t.incident_id for t in w.db.state.timers if t.outcome is not None}
    assert fired == {first.id}
    assert fire_due_timers(w.ctx) == 2
    assert {t.incident_id for t in w.db.state.timers if t.outcome is not None} == {
        first.id, second.id}


def test_fired_timers_record_when_and_what_and_the_next_pending_is_scheduled(
        w: World, caplog: pytest.LogCaptureFixture) -> None:
    incident = _case(w)
    w.clock.now = incident.received_at + w.ctx.settings.offer_timeout
    w.rec.scheduled.clear()
    with caplog.at_level(logging.INFO, logger="dispatch.deadlines"):
        assert fire_due_timers(w.ctx) == 2
    # Each repeated offer is the same row again, due at the next attempt (no row per repeat).
    offers = [t for t in w.db.state.timers if t.kind == "offer"]
    assert [(t.attempt, t.due_at, t.fired_at, t.outcome) for t in offers] == [
        (2, incident.received_at + 2 * w.ctx.settings.offer_timeout, None, "repeated")] * 2
    pending = [t for t in w.db.state.timers if t.fired_at is None]
    soonest = min(t.due_at for t in pending)
    assert [(t.incident_id, t.due_at) for t in w.rec.scheduled] == [(incident.id, soonest)]
    assert "fired 2 timers: repeated, repeated" in caplog.messages


def test_a_notice_fired_at_the_deadline_stays_pending_until_the_first_late_instant(
        w: World) -> None:
    incident = _case(w)
    due = incident.arrival_due
    with w.db.uow() as uow:  # a timer planned at the deadline itself (before the one rule)
        uow.timers.add_all([Timer(incident.id, WEST, TimerKind.OVERDUE, "arrival", due, due,
                                  attempt=9)])
        uow.commit()
    w.db.state.timers[:] = [t for t in w.db.state.timers
                            if t.due_at >= due or t.kind == "offer"]
    w.clock.now = due
    fire_due_timers(w.ctx, incident_id=incident.id)
    early = next(t for t in w.db.state.timers if t.attempt == 9)
    assert (early.fired_at, early.outcome, early.due_at) == (
        None, None, due + timedelta(microseconds=1))
    assert "overdue" not in [e.type for e in w.events(incident.id)]


def test_a_repeated_offer_ranks_the_officers_seen_within_the_on_duty_window(w: World) -> None:
    incident = _case(w)
    now = incident.received_at + w.ctx.settings.offer_timeout
    window = w.ctx.settings.on_duty_window
    power, west = w.user("officer_power"), w.user("officer")
    w.db.state.last_positions[power.id] = LastPosition(
        power.id, POWER, IN_WEST, 5.0, now - window, now - window)
    w.db.state.last_positions[west.id] = LastPosition(
        west.id, WEST, IN_WEST, 5.0, now - window - timedelta(seconds=1), now)
    w.clock.now = now
    w.rec.published.clear()
    fire_due_timers(w.ctx)
    offered = {e.data["unit"]: [o["officer_id"] for o in e.data["officers"]]
               for e in w.rec.published if e.type == "offered"}
    assert offered == {POWER: [power.id], WEST: []}
