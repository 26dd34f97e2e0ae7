"""Firing due timers: the sweep (all that is due) and the RQ job (one incident's due timers).

Both lock the timer rows with SKIP LOCKED and re-check they are unfired, so two workers, a
restarted worker, or a sweep racing a job still fire each timer once; an overdue notice is written
only with its new accountability record (a unique constraint), so it can never be doubled. After
firing, the incident's next pending timer is handed to `ctx.schedule`, so the chain of RQ jobs
goes on even when the sweep was the one that fired (after a flushed Redis, say).
"""

from __future__ import annotations

import logging
from typing import Any

from dispatch import timers
from dispatch.context import Context, commit_and_publish
from dispatch.model import Incident
from dispatch.ports import UnitOfWork

log = logging.getLogger(__name__)


def _plan(ctx: Context, incident: Incident) -> list[timers.Timer]:
    return timers.plan(incident, ctx.settings.policies.for_category(incident.category),
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


def fire_due_timers(ctx: Context, batch: int = 100, incident_id: str | None = None) -> int:
    """Fire everything that is due (or only one incident's); returns how many timers fired."""
    fired = 0
    while True:
        with ctx.uow() as uow:
            due = uow.timers.claim_due(ctx.clock(), batch, incident_id)
            if not due:
                return fired
            _fire_all(ctx, uow, due)
            fired += len(due)
        if len(due) < batch:
            return fired


def _fire_all(ctx: Context, uow: UnitOfWork, due: list[timers.Timer]) -> None:
    now = ctx.clock()
    touched: dict[str, Incident] = {}
    follow_ups: list[timers.Timer] = []
    since = now - ctx.settings.on_duty_window
    # Cases are locked in one global order (by id), so two sweepers whose batches share cases
    # wait for each other instead of deadlocking.
    for timer in sorted(due, key=lambda t: (t.incident_id, t.due_at)):
        incident = touched.get(timer.incident_id) or uow.incidents.get(timer.incident_id,
                                                                        for_update=True)
        assert incident is not None  # a timer's case exists (a foreign key)
        touched[incident.id] = incident

        def rank(unit: str, inc: Incident = incident) -> list[dict[str, Any]]:
            return uow.positions.rank([unit], inc.location, since)[unit]

        result = timers.fire(timer, incident, now, rank, ctx.settings.offer_timeout)
        if result.retry_at is not None:  # not due after all: stays pending, due later
            timer.due_at = result.retry_at
            continue
        if result.record is not None and uow.accountability.add_once(result.record):
            timers.announce_overdue(incident, result.record)
        timer.fired_at, timer.outcome = now, result.outcome
        follow_ups.extend(result.follow_up or [])
    uow.timers.add_all(follow_ups)
    uow.flush()
    commit_and_publish(ctx, uow, timers=uow.timers.next_pending(list(touched)))
    log.info("fired %d timers: %s", len(due), ", ".join(t.outcome or "" for t in due))
