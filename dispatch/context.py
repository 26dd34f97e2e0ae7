"""What every use case needs, passed in: `server.bootstrap.bootstrap()` builds one per process.

The Context is finished when it is built: frozen, so that nothing rewires what the use cases call
after the fact (the kind of process decides its publisher, scheduler and relay at build time).
Its members may keep their own state (the locator's and the routing table's caches, the relay's
watermark); the Context never changes which members it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import logging
from dataclasses import dataclass, field
from typing import Any

from dispatch import notify
from dispatch.clock import Clock, utc_now
from dispatch.locator import TerritoryLocator
from dispatch.routing import RoutingTable
from dispatch.model import Event, User
from dispatch.ports import UnitOfWork
from dispatch.scrubbing import NameBook
from dispatch.settings import Settings
from dispatch.timers import Timer
from dispatch.relay import Relay  # a web process's; typed here, built by server.bootstrap

log = logging.getLogger(__name__)


def no_publish(events: Sequence[Event]) -> None:
    """A process without clients or Redis: the web processes tail the log anyway."""


def no_schedule(timers: Sequence[Timer]) -> None:
    """Without RQ the sweep fires the timers from the database."""


def no_position(user: User, fix: dict[str, Any]) -> None:
    """A process that serves no live map."""


def no_observation(fired: Sequence[tuple[str, float]]) -> None:
    """A process that keeps no metrics."""


@dataclass(frozen=True)
class Context:
    uow: Callable[[], UnitOfWork]
    # For reads that need no transaction (a user per request, listings): fewer round trips.
    read: Callable[[], UnitOfWork] | None = None
    clock: Clock = utc_now
    settings: Settings = field(default_factory=Settings)
    locator: TerritoryLocator = field(default_factory=TerritoryLocator)
    routing: RoutingTable = field(default_factory=RoutingTable)
    # Called with the events a change wrote, after it committed (the relay pushes them).
    publish: Callable[[Sequence[Event]], None] = no_publish
    # Called with new timers after they committed (RQ jobs at their due times, where configured).
    schedule: Callable[[Sequence[Timer]], None] = no_schedule
    # Called with an officer's newest fix after it committed (live map; not part of the log).
    push_position: Callable[[User, dict[str, Any]], None] = no_position
    password_hasher: Callable[[str], str] | None = None
    # (stored hash or None for an unknown user, password) -> (matches, should be rehashed).
    # Injected so that the web process can run it off its event loop.
    password_verifier: Callable[[str | None, str], tuple[bool, bool]] | None = None
    # The SQLAlchemy engine the web layer reads (readiness, warm-up, migrations); opaque here.
    engine: Any = None
    # The outbox relay of a process that serves sockets (None elsewhere): its loops start it.
    relay: Relay | None = None
    # Called after a batch of timers committed with each one's (kind, seconds late): the
    # metrics' histogram of lateness (server/metrics.py).
    timers_fired: Callable[[Sequence[tuple[str, float]]], None] = no_observation
    # The scrubber of the names on record, kept while they stay (`dispatch.publication`).
    names: NameBook = field(default_factory=NameBook)
    # Alerts to people whose app is closed (`dispatch.notify`): None tells nobody.
    notifier: notify.Notifier | None = None


def reader(ctx: Context) -> UnitOfWork:
    return (ctx.read or ctx.uow)()


def commit_and_publish(ctx: Context, uow: UnitOfWork, timers: Sequence[Timer] = ()) -> None:
    """Commit, then let the relay push the new events and RQ schedule the new timers.

    Side effects after commit: a push never announces, and a job never looks for, what could
    still roll back.
    """
    events = uow.commit()
    # Committed: from here nothing may turn the answer into an error (a report committed and
    # answered 500 would be sent again). Both hooks have a net: the relay tails the log, and
    # the sweep fires due timers from the database whether RQ heard of them or not.
    try:
        if events:
            ctx.publish(events)
        if timers:
            ctx.schedule(list(timers))
    except Exception:  # noqa: BLE001 - logged; the nets above redo what was missed
        log.exception("after commit: publishing or scheduling failed; the sweep and the relay's "
                      "tail will catch up")
    if ctx.notifier is not None and events:
        try:
            notify.deliver(ctx.notifier, notify.notices(events, uow.officers.ids_of))
        except Exception:  # noqa: BLE001 - alerts are best effort: the change is committed
            log.exception("after commit: the notices could not be worked out")
