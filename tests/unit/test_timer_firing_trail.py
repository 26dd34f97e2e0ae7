"""What firing due timers leaves behind besides the case's events, on the fake: the request that
planned a timer named on what its firing writes (the trace an operator follows), the log line
of a batch, how late each timer fired (the lateness metric), every claimed timer handed back
to storage; and two orderings: a deferred notice does not hold back the timers after it, and a
notice whose record exists already is not announced twice.

Through `fire_due_timers` only (no private names), so that they hold across a rewrite of how a
batch is fired."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest

from dispatch.deadlines import fire_due_timers
from dispatch.model import Incident
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import Timer, TimerKind
from tests.unit.fakes import IN_WEST, POWER, WEST, FakeUnitOfWork, World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def _case(w: World) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="d", location=IN_WEST))
    return incident


def _offers_planned_by(w: World, requests: dict[str, str]) -> None:
    """As storage does: each unit's offer timer row names the request that planned it."""
    for timer in w.db.state.timers:
        if timer.kind == TimerKind.OFFER:
            timer.request_id = requests[timer.unit_code]


def _fire_offers(w: World, incident: Incident, late: timedelta = timedelta()) -> int:
    w.clock.now = incident.received_at + w.ctx.settings.offer_timeout + late
    return fire_due_timers(w.ctx)


def test_what_a_firing_writes_names_the_request_that_planned_the_timer(w: World) -> None:
    incident = _case(w)
    before = {e.seq: e.request_id for e in w.events(incident.id)}
    _offers_planned_by(w, {WEST: "req-west", POWER: "req-power"})
    assert _fire_offers(w, incident) == 2  # both units' offers in one batch, one case
    written = [(e.type, e.data["unit"], e.request_id) for e in w.events(incident.id)
               if e.seq not in before]
    assert sorted(written) == [("offer_unanswered", POWER, "req-power"),
                               ("offer_unanswered", WEST, "req-west"),
                               ("offered", POWER, "req-power"), ("offered", WEST, "req-west")]
    # What was written before keeps what it had; the repeated offer's row keeps its request.
    assert {e.seq: e.request_id for e in w.events(incident.id) if e.seq in before} == before
    assert {(t.unit_code, t.request_id) for t in w.db.state.timers if t.kind == "offer"} == {
        (WEST, "req-west"), (POWER, "req-power")}


def test_a_timer_planned_by_no_request_writes_events_of_no_request(w: World) -> None:
    incident = _case(w)
    assert _fire_offers(w, incident) == 2
    assert {e.request_id for e in w.events(incident.id)} == {None}


def test_a_batch_is_one_log_line_with_each_timers_ids_and_outcome(
        w: World, caplog: pytest.LogCaptureFixture) -> None:
    incident = _case(w)
    _offers_planned_by(w, {WEST: "req-west", POWER: "req-power"})
    offers = sorted((t for t in w.db.state.timers if t.kind == "offer"), key=lambda t: t.id or 0)
    with caplog.at_level(logging.INFO, logger="dispatch.deadlines"):
        _fire_offers(w, incident)
    [line] = [r for r in caplog.records if r.getMessage().startswith("fired")]
    assert line.getMessage() == "fired 2 timers: repeated, repeated"
    assert line.timers == [  # type: ignore[attr-defined]  # the record's `extra`
        {"id": t.id, "incident_id": incident.id, "kind": "offer", "outcome": "repeated",
         "planned_by": t.request_id} for t in offers]


def test_how_late_each_timer_fired_is_observed_by_kind(w: World) -> None:
    observed: list[Sequence[tuple[str, float]]] = []
    ctx = replace(w.ctx, timers_fired=observed.append)
    incident = _case(w)
    w.clock.now = incident.received_at + ctx.settings.offer_timeout + timedelta(seconds=30)
    assert fire_due_timers(ctx) == 2
    assert observed == [[("offer", 30.0), ("offer", 30.0)]]


class _Saving(FakeUnitOfWork):
    """Records the timers each transaction hands back to storage."""

    saved: list[list[int | None]] = []

    def __enter__(self) -> _Saving:
        super().__enter__()

        def save(items: Sequence[Timer]) -> None:
            _Saving.saved.append([t.id for t in items])

        self.timers.save = save  # type: ignore[method-assign]
        return self


def test_every_claimed_timer_is_handed_back_to_storage(w: World) -> None:
    incident = _case(w)
    offers = sorted(t.id for t in w.db.state.timers if t.kind == "offer")
    _Saving.saved = []
    ctx = replace(w.ctx, uow=partial(_Saving, w.db))
    w.clock.now = incident.received_at + ctx.settings.offer_timeout
    assert fire_due_timers(ctx) == 2
    assert [sorted(ids) for ids in _Saving.saved] == [offers]


def test_a_deferred_notice_does_not_hold_back_the_timers_after_it(
        w: World, caplog: pytest.LogCaptureFixture) -> None:
    incident = _case(w)
    due = incident.arrival_due
    w.clock.now = due - timedelta(seconds=1)
    while fire_due_timers(w.ctx):  # everything before the deadline (offers repeat until it)
        pass
    # Both units' notices planned at the deadline itself (before the boundary was one rule):
    # one batch, the first deferred, the second after it.
    def notices() -> list[Timer]:
        return [t for t in w.db.state.timers
                if t.kind == TimerKind.OVERDUE and t.milestone == "arrival"]

    assert {t.unit_code for t in notices()} == {WEST, POWER}
    for t in notices():
        t.due_at = due
    w.clock.now = due
    with caplog.at_level(logging.INFO, logger="dispatch.deadlines"):
        assert fire_due_timers(w.ctx) == 2
    assert [(t.fired_at, t.outcome, t.due_at) for t in notices()] == [
        (None, None, due + timedelta(microseconds=1))] * 2
    # A deferred timer has no outcome yet: the line says so by leaving it empty.
    assert "fired 2 timers: , " in caplog.messages
    assert fire_due_timers(w.ctx) == 0  # nothing left due
    w.clock.now = due + timedelta(microseconds=1)
    assert fire_due_timers(w.ctx) == 2
    assert sorted(e.data["unit"] for e in w.events(incident.id) if e.type == "overdue") == sorted(
        [WEST, POWER])


def test_a_notice_whose_record_exists_already_is_not_announced_again(w: World) -> None:
    incident = _case(w)
    w.clock.now = incident.arrival_due + timedelta(seconds=1)
    while fire_due_timers(w.ctx):
        pass
    assert [e.type for e in w.events(incident.id)].count("overdue") == 2
    # The same notices fired again (a second row of the same deadline, a worker that lost its
    # marks): their records are not new, so nothing is announced.
    for t in w.db.state.timers:
        if t.kind == TimerKind.OVERDUE and t.milestone == "arrival":
            t.fired_at, t.outcome = None, None
    assert fire_due_timers(w.ctx) == 2
    assert [e.type for e in w.events(incident.id)].count("overdue") == 2
