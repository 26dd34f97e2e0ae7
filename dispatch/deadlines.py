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

log = logging.getLogger(__name__)


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


def _fire_all(ctx: Context, uow: Any, due: list[timers.Timer]) -> None:
    now = ctx.clock()
    touched: dict[str, Incident] = {}
    follow_ups: list[timers.Timer] = []
    since = now - ctx.settings.on_duty_window
    for timer in due:
        incident = touched.get(timer.incident_id) or uow.incidents.get(timer.incident_id,
                                                                        for_update=True)
        touched[incident.id] = incident

        def rank(unit: str, inc: Incident = incident) -> list[dict[str, Any]]:
            return uow.positions.rank([unit], inc.location, since)[unit]

        result = timers.fire(timer, incident, now, rank, ctx.settings.offer_timeout)
        if result.record is not None and uow.accountability.add_once(result.record):
            timers.announce_overdue(incident, result.record)
        timer.fired_at, timer.outcome = now, result.outcome
        follow_ups.extend(result.follow_up or [])
    uow.timers.add_all(follow_ups)
    uow.flush()
    commit_and_publish(ctx, uow, timers=uow.timers.next_pending(list(touched)))
    log.info("fired %d timers: %s", len(due), ", ".join(t.outcome or "" for t in due))
