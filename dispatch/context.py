"""What every use case needs, passed in: `bootstrap()` in `server` builds one for each process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dispatch.clock import Clock, utc_now
from dispatch.locator import TerritoryLocator
from dispatch.model import Event, Incident
from dispatch.settings import Settings
from dispatch.timers import Timer


def _no_publish(events: Sequence[Event]) -> None:
    return None


def _no_schedule(timers: Sequence[Timer]) -> None:
    return None


@dataclass
class Context:
    uow: Callable[[], Any]
    clock: Clock = utc_now
    settings: Settings = field(default_factory=Settings)
    locator: TerritoryLocator = field(default_factory=TerritoryLocator)
    # Called with the events of a change after it committed (the real-time relay hooks in here).
    publish: Callable[[Sequence[Event]], None] = _no_publish
    # Called with new timers after they committed (RQ jobs at their due times, where configured).
    schedule: Callable[[Sequence[Timer]], None] = _no_schedule
    password_hasher: Callable[[str], str] | None = None


def commit_and_publish(ctx: Context, uow: Any, *incidents: Incident,
                       timers: Sequence[Timer] = ()) -> None:
    """Commit, then hand the change's new events and timers on.

    Side effects after commit: a push never announces, and a job never looks for, what could
    still roll back.
    """
    fresh = [event for inc in incidents for event in inc.events if event.seq is None]
    uow.commit()
    if fresh:
        ctx.publish(fresh)
    if timers:
        ctx.schedule(list(timers))
