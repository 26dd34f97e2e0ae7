"""Firing due timers: the sweep (all that is due) and the RQ job (one incident's due timers).

Both lock the timer rows with SKIP LOCKED and re-check they are unfired, so two workers, a
restarted worker, or a sweep racing a job still fire each timer once; an overdue notice is written
only with its new accountability record (a unique constraint), so it can never be doubled. After
firing, the incident's next pending timer is handed to `ctx.schedule`, so the chain of RQ jobs
goes on even when the sweep was the one that fired (after a flushed Redis, say).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from dispatch import timers
from dispatch.context import Context, commit_and_publish
from dispatch.model import Incident
from dispatch.ports import UnitOfWork

log = logging.getLogger(__name__)

# Timers per transaction: sized so that a batch's transaction stays within a few tens of ms
# (bench/timer_burst.py), however large the backlog.
BATCH = 100


def _plan(ctx: Context, incident: Incident) -> list[timers.Timer]:
    return timers.plan(incident, ctx.settings.policy(incident.category, incident.green_channel),
                       ctx.settings.offer_timeout)


def plan_in(ctx: Context, uow: UnitOfWork, incident: Incident) -> list[timers.Timer]:
    """Plan a new case's timers in the transaction that creates it (one transaction per report):
    they commit with the case or not at all. Returns them, to schedule after the commit."""
    planned = _plan(ctx, incident)
    incident.timers_planned_at = ctx.clock()
    uow.flush()  # the case's row first: the timers name it
    uow.timers.add_all(planned)
    return planned


def plan_timers(ctx: Context, incident: Incident) -> None:
    """Store the timers of a case just reported or reopened (unless a sweep already did: the
    first to mark the round planned plans it) and schedule them."""
    planned = _plan(ctx, incident)
    with ctx.uow() as uow:
        if not uow.incidents.mark_timers_planned(incident.id, ctx.clock()):
            return
        uow.timers.add_all(planned)
        commit_and_publish(ctx, uow, timers=planned)


def plan_unplanned(ctx: Context, batch: int = 100) -> int:
    """The sweep's half of `plan_timers`: cases whose process died between commit and planning."""
    with ctx.uow() as uow:
        incidents = uow.timers.unplanned_incidents(batch)
        planned: list[timers.Timer] = []
        for incident in incidents:
            planned.extend(_plan(ctx, incident))
            incident.timers_planned_at = ctx.clock()
        uow.timers.add_all(planned)
        commit_and_publish(ctx, uow, timers=planned)
        return len(incidents)


def fire_due_timers(ctx: Context, batch: int = BATCH, incident_id: str | None = None,
                    most: int | None = None) -> int:
    """Fire everything that is due, oldest first (or only one incident's; or stop once `most`
    have fired); returns how many timers fired. One transaction per batch, so a drain never
    holds what it locked for long."""
    fired = 0
    while most is None or fired < most:
        with ctx.uow() as uow:
            due = uow.timers.claim_due(ctx.clock(), batch, incident_id)
            if not due:
                return fired
            _fire_all(ctx, uow, due)
            fired += len(due)
        if len(due) < batch:
            return fired
    return fired


def _fire_all(ctx: Context, uow: UnitOfWork, due: list[timers.Timer]) -> None:
    """Fire a claimed batch in a bounded number of statements, whatever its size.

    The cases are loaded and locked in one query (in id order: two sweepers whose batches share
    cases wait for each other instead of deadlocking), the batch's offers are ranked in one
    query, its missed deadlines recorded in one statement, its events written at the commit
    (numbered there under the log counter's row lock, held only for that: `event_log`)."""
    now = ctx.clock()
    cases = {c.id: c for c in uow.timers.lock_cases([x.incident_id for x in due])}
    ranked = _rank_offers(ctx, uow, due, cases, now)
    ordered = sorted(due, key=lambda x: (x.incident_id, x.due_at))

    # An overdue timer (a unit's or command's complaint reply) only proposes its accountability
    # record and writes nothing on the case, so all of the batch's records are written first, in
    # one statement; each notice is then announced in its place in the case's order, only if its
    # record was new.
    proposed = {id(x): timers.fire(x, cases[x.incident_id], now, _no_rank,
                                   ctx.settings.offer_timeout)
                for x in ordered if x.kind in timers.RECORDING_KINDS}
    new = {id(r) for r in uow.accountability.add_new(
        [f.record for f in proposed.values() if f.record is not None])}

    lateness = [(str(x.kind), (now - x.due_at).total_seconds()) for x in due]
    follow_ups: list[timers.Timer] = []
    for timer in ordered:
        incident = cases[timer.incident_id]
        result = proposed.get(id(timer)) or timers.fire(
            timer, incident, now, partial(_ranked, ranked, incident.id),
            ctx.settings.offer_timeout)
        if result.retry_at is not None:  # not due after all: stays pending, due later
            timer.due_at = result.retry_at
            continue
        if result.record is not None and id(result.record) in new:
            timers.announce_overdue(incident, result.record)
        _caused_by(timer.request_id, incident, result.follow_up or [])
        follow_ups.extend(_repeat_in_place(timer, result, now))
    uow.timers.save(due)
    uow.timers.add_all(follow_ups)
    commit_and_publish(ctx, uow, timers=uow.timers.next_pending(list(cases)))
    ctx.timers_fired(lateness)
    # Ids only: the request that planned each timer follows it into this line and its events.
    log.info("fired %d timers: %s", len(due), ", ".join(x.outcome or "" for x in due), extra={
        "timers": [
        {"id": x.id, "incident_id": x.incident_id, "kind": str(x.kind), "outcome": x.outcome,
         "planned_by": x.request_id} for x in due]})


def _caused_by(request_id: str | None, incident: Incident,
               follow_ups: list[timers.Timer]) -> None:
    """What a timer writes (the case's new events, its follow-up timers) is the work of the
    request that planned it: its id goes with them (dispatch/trace.py)."""
    if request_id is None:
        return
    for event in incident.events:
        if event.seq is None and event.request_id is None:
            event.request_id = request_id
    for follow in follow_ups:
        follow.request_id = follow.request_id or request_id


def _repeat_in_place(timer: timers.Timer, result: timers.Fired, now: datetime
                     ) -> list[timers.Timer]:
    """A repeated offer's next attempt is this row again, moved (attempt and due time), not a
    new row: a case's offers cost one row per unit however often no one answers. Any other
    follow-up is returned to be stored; the timer itself is marked fired."""
    follow = result.follow_up or []
    if (len(follow) == 1 and timer.kind == timers.TimerKind.OFFER
            and _same_offer(timer, follow[0])):
        timer.attempt, timer.due_at = follow[0].attempt, follow[0].due_at
        timer.outcome = result.outcome  # the last firing's outcome; fired_at stays empty
        return []
    timer.fired_at, timer.outcome = now, result.outcome
    return follow


def _same_offer(timer: timers.Timer, nxt: timers.Timer) -> bool:
    return (nxt.kind, nxt.incident_id, nxt.unit_code, nxt.deadline) == (
        timer.kind, timer.incident_id, timer.unit_code, timer.deadline)


def _rank_offers(ctx: Context, uow: UnitOfWork, due: list[timers.Timer],
                 cases: dict[str, Incident], now: datetime
                 ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The officers of every offer in the batch, in one query (before anything is written)."""
    wanted = sorted({(x.incident_id, x.unit_code) for x in due
                     if x.kind == timers.TimerKind.OFFER})
    since = now - ctx.settings.on_duty_window
    ranked = uow.positions.rank_each([(unit, cases[i].location) for i, unit in wanted], since)
    return dict(zip(wanted, ranked, strict=True))


def _ranked(ranked: dict[tuple[str, str], list[dict[str, Any]]], incident_id: str, unit: str
            ) -> list[dict[str, Any]]:
    return ranked[(incident_id, unit)]


def _no_rank(unit: str) -> list[dict[str, Any]]:
    raise AssertionError("an overdue notice ranks no one")
