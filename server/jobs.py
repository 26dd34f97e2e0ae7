"""RQ jobs: small module-level functions that take ids and are safe to run twice.

A job runs as the work of the request that planned its timers: the id its enqueuer put in the
job's meta (`server.realtime.rq_scheduler`) is bound while it runs, so its log lines name it (and
the events its timers write carry the id of the request that planned each timer).
"""

from __future__ import annotations

import logging

from dispatch import deadlines, trace
from dispatch.context import Context

log = logging.getLogger(__name__)
_ctx: Context | None = None


def bind(ctx: Context) -> None:
    """The worker process binds its context once at start-up (`python -m server.worker`)."""
    global _ctx
    _ctx = ctx


def _job_request_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return trace.sane(job.meta.get("request_id")) if job is not None else None


def fire_incident_timers(incident_id: str) -> int:
    """Fire the incident's due timers (none if a sweep or another worker had them)."""
    if _ctx is None:
        raise RuntimeError("no context bound: run jobs with `python -m server.worker`")
    with trace.bound(_job_request_id()):
        fired = deadlines.fire_due_timers(_ctx, incident_id=incident_id)
        log.info("timer job for %s fired %d", incident_id, fired,
                 extra={"incident_id": incident_id, "fired": fired})
        return fired
