"""RQ jobs: small module-level functions that take ids and are safe to run twice."""

from __future__ import annotations

from dispatch import deadlines
from dispatch.context import Context

_ctx: Context | None = None


def bind(ctx: Context) -> None:
    """The worker process binds its context once at start-up (`python -m server.worker`)."""
    global _ctx
    _ctx = ctx


def fire_incident_timers(incident_id: str) -> int:
    """Fire the incident's due timers (none if a sweep or another worker had them)."""
    if _ctx is None:
        raise RuntimeError("no context bound: run jobs with `python -m server.worker`")
    return deadlines.fire_due_timers(_ctx, incident_id=incident_id)
