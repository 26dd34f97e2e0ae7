"""What every use case needs, passed in: `bootstrap()` in `server` builds one for each process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dispatch.clock import Clock, utc_now
from dispatch.locator import TerritoryLocator
from dispatch.routing import RoutingTable
from dispatch.model import Event, User
from dispatch.ports import UnitOfWork
from dispatch.settings import Settings
from dispatch.timers import Timer


def _no_publish(events: Sequence[Event]) -> None:
    return None


def _no_schedule(timers: Sequence[Timer]) -> None:
    return None


@dataclass
class Context:
    uow: Callable[[], UnitOfWork]
    # For reads that need no transaction (a user per request, listings): fewer round trips.
    read: Callable[[], UnitOfWork] | None = None
    clock: Clock = utc_now
    settings: Settings = field(default_factory=Settings)
    locator: TerritoryLocator = field(default_factory=TerritoryLocator)
    routing: RoutingTable = field(default_factory=RoutingTable)
    # Called with the events a change wrote, after it committed (the relay pushes them).
    publish: Callable[[Sequence[Event]], None] = _no_publish
    # Called with new timers after they committed (RQ jobs at their due times, where configured).
    schedule: Callable[[Sequence[Timer]], None] = _no_schedule
    # Called with an officer's newest fix after it committed (live map; not part of the log).
    push_position: Callable[[User, dict[str, Any]], None] = lambda user, fix: None
    password_hasher: Callable[[str], str] | None = None
    # (stored hash or None for an unknown user, password) -> (matches, should be rehashed).
    # Injected so that the web process can run it off its event loop.
    password_verifier: Callable[[str | None, str], tuple[bool, bool]] | None = None
    # Wiring the web layer reads (readiness, warm-up, the relay loops); opaque to the domain.
    engine: Any = None
    relay: Any = None


def reader(ctx: Context) -> UnitOfWork:
    return (ctx.read or ctx.uow)()


def commit_and_publish(ctx: Context, uow: UnitOfWork, timers: Sequence[Timer] = ()) -> None:
    """Commit, then let the relay push the new events and RQ schedule the new timers.

    Side effects after commit: a push never announces, and a job never looks for, what could
    still roll back.
    """
    events = uow.commit()
    if events:
        ctx.publish(events)
    if timers:
        ctx.schedule(list(timers))
