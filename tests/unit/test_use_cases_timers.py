"""The timers' plan and fire, and the relay's replay, on the fake unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.deadlines import fire_due_timers, plan_timers, plan_unplanned
from dispatch.fieldwork import accept, check_in
from dispatch.model import Incident
from dispatch.relay import Relay, replay
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import TimerKind
from tests.unit.fakes import IN_WEST, POWER, WEST, World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def _case(w: World) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="d", location=IN_WEST))
    return incident


def _types(w: World, incident: Incident) -> list[str]:
    return [e.type for e in w.events(incident.id)]


def test_a_report_plans_every_units_timers_once(w: World) -> None:
    incident = _case(w)
    planned = list(w.db.state.timers)
    kinds = {(t.unit_code, t.kind, t.milestone) for t in planned}
    for unit in (WEST, POWER):
        for milestone in ("arrival", "restore", "resolve"):
            assert (unit, TimerKind.OVERDUE, milestone) in kinds
            assert (unit, TimerKind.DEADLINE_NEAR, milestone) in kinds
        assert (unit, TimerKind.OFFER, "offer") in kinds
    assert len(w.rec.scheduled) == len(planned)
    plan_timers(w.ctx, w.incident(incident.id))  # a second planner finds it planned
    assert len(w.db.state.timers) == len(planned)


def test_a_sweep_plans_a_case_whose_process_died_before_planning(w: World) -> None:
    incident = _case(w)
    with w.db.uow() as uow:  # as if the process had died between the commit and the plan
        stored = uow.incidents.get(incident.id, for_update=True)
        assert stored is not None
        stored.timers_planned_at = None
        uow.commit()
    w.db.state.timers.clear()
    assert plan_unplanned(w.ctx) == 1
    assert w.incident(incident.id).timers_planned_at == w.clock.now
    assert len(w.db.state.timers) == len(w.rec.scheduled) // 2
    assert plan_unplanned(w.ctx) == 0


def test_nothing_fires_before_it_is_due(w: World) -> None:
    _case(w)
    first = min(t.due_at for t in w.db.state.timers)
    w.clock.now = first - timedelta(seconds=1)
    assert fire_due_timers(w.ctx) == 0


def test_an_unanswered_offer_is_repeated_and_the_dispatcher_told(w: World) -> None:
    incident = _case(w)
    accept(w.ctx, w.user("officer"), incident.id)  # the west unit answered; power did not
    w.clock.now = incident.received_at + w.ctx.settings.offer_timeout
    w.rec.published.clear()
    assert fire_due_timers(w.ctx) == 2
    offers = [(e.type, e.data["unit"]) for e in w.rec.published]
    assert offers == [("offered", POWER), ("offer_unanswered", POWER)]
    outcomes = {(t.unit_code, t.outcome, t.fired_at is None)
                for t in w.db.state.timers if t.outcome is not None}
    assert outcomes == {(WEST, "answered", False), (POWER, "repeated", True)}
    # The next offer of the unit is planned (its own row, moved on) and scheduled.
    assert [t.attempt for t in w.db.state.timers if t.unit_code == POWER
            and t.kind == "offer"] == [2]


def test_a_missed_arrival_is_recorded_once_and_met_by_a_late_check_in(w: World) -> None:
    incident = _case(w)
    w.clock.now = incident.arrival_due + timedelta(seconds=1)
    while fire_due_timers(w.ctx):  # repeated offers plan their next, already due
        pass
    w.clock.advance(seconds=1)
    assert fire_due_timers(w.ctx) == 0  # each timer fires once
    with w.db.uow() as uow:
        records = uow.accountability.for_incident(incident.id)
    assert {(r.unit_code, r.milestone) for r in records} == {(WEST, "arrival"),
                                                              (POWER, "arrival")}
    assert _types(w, incident).count("overdue") == 2
    w.clock.advance(seconds=59)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None)
    with w.db.uow() as uow:
        met = {r.unit_code: r.late_by_seconds for r in uow.accountability.for_incident(
            incident.id)}
    assert met == {WEST: 61.0, POWER: None}


def test_an_arrival_in_time_leaves_no_record(w: World) -> None:
    incident = _case(w)
    w.clock.now = incident.arrival_due
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None)
    check_in(w.ctx, w.user("officer_power"), incident.id, IN_WEST, None, None)
    w.clock.now = incident.arrival_due + timedelta(seconds=1)
    fire_due_timers(w.ctx)
    with w.db.uow() as uow:
        assert [r for r in uow.accountability.for_incident(incident.id)
                if r.milestone == "arrival"] == []


def test_a_deadline_warning_goes_to_the_unit_only(w: World) -> None:
    incident = _case(w)
    warn_at = incident.arrival_due - w.ctx.settings.policies.default.arrival_warning
    w.clock.now = warn_at
    w.rec.published.clear()
    fire_due_timers(w.ctx)
    warnings = [e for e in w.rec.published if e.type == "deadline_near"]
    assert sorted(e.audience[0] for e in warnings) == [f"unit:{POWER}", f"unit:{WEST}"]


def test_firing_in_small_batches_fires_everything_due(w: World) -> None:
    incident = _case(w)
    w.clock.now = incident.resolve_due + timedelta(days=1)
    fired = fire_due_timers(w.ctx, batch=3)
    # Each row fired once, an offer's once per attempt (its repeats are the same row, moved on).
    assert fired == sum(t.attempt if t.kind == "offer" else 1 for t in w.db.state.timers)
    assert [t.attempt for t in w.db.state.timers if t.kind == "offer"] == [5, 5]
    assert all(t.fired_at is not None for t in w.db.state.timers
               if t.due_at <= w.clock.now)


def test_replay_gives_each_room_its_events_after_a_seq(w: World) -> None:
    incident = _case(w)
    last = w.events(incident.id)[-1].seq
    command = replay(w.ctx.uow, ["command"], 0, w.ctx.settings)
    assert [e["data"]["seq"] for e in command["events"]] == list(range(1, (last or 0) + 1))
    west = replay(w.ctx.uow, [f"unit:{WEST}"], 0, w.ctx.settings)
    assert [e["event"] for e in west["events"]] == ["task.offered"]
    assert replay(w.ctx.uow, ["command"], last, w.ctx.settings)["events"] == []
    with pytest.raises(Exception, match="future"):
        replay(w.ctx.uow, ["command"], (last or 0) + 1, w.ctx.settings)


def test_the_relay_emits_what_was_committed_in_seq_order(w: World) -> None:
    sent: list[int] = []
    relay = Relay(w.ctx.uow, lambda name, data, rooms: sent.append(data["seq"]), w.ctx.settings)
    relay.start()
    _case(w)
    assert relay.flush() == len(w.db.state.log) and sent == sorted(sent)


def test_a_drain_can_stop_after_at_most_some_timers(w: World) -> None:
    incident = _case(w)
    w.clock.now = incident.received_at + timedelta(minutes=31)
    due = len([t for t in w.db.state.timers if t.due_at <= w.clock.now])
    assert due >= 4
    assert fire_due_timers(w.ctx, batch=1, most=2) == 2  # at the limit: stops
    assert fire_due_timers(w.ctx, batch=2, most=1) == 2  # a batch is never cut short
    assert fire_due_timers(w.ctx, most=0) == 0
    assert fire_due_timers(w.ctx) > 0  # the rest
    while fire_due_timers(w.ctx):  # the offers' repeats, already due
        pass
    assert fire_due_timers(w.ctx, most=1) == 0
