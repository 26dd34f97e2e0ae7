"""Wiring the real-time side: the relay onto Socket.IO, RQ timers, the sweep loop, positions.

With `REDIS_URL`, Socket.IO goes through the Redis message queue (any process can reach any client),
timers are also RQ jobs, and the sweep runs in the scheduler process. Without it, one process does
everything: the same relay, rooms and timers, the sweep in a background task.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any
from collections.abc import Callable, Sequence

import redis
from redis.exceptions import RedisError

from dispatch import deadlines
from dispatch.context import Context
from dispatch.relay import Relay
from dispatch.timers import Timer

log = logging.getLogger(__name__)
NAMESPACE = "/live"
QUEUE = "timers"


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)


def transport_check(url: str | None) -> Callable[[], bool]:
    """Socket.IO's Redis manager logs and drops a publish it cannot make, so the relay asks first:
    while Redis is away, events stay in the outbox instead of being marked pushed."""
    if not url:
        return lambda: True
    client = redis_client(url)

    def ready() -> bool:
        try:
            return bool(client.ping())
        except RedisError:
            return False
    return ready


def rq_scheduler(url: str) -> Callable[[Sequence[Timer]], None]:
    from rq import Queue

    queue = Queue(QUEUE, connection=redis_client(url))

    def schedule(timers: Sequence[Timer]) -> None:
        try:
            for t in timers:
                queue.enqueue_at(t.due_at, "server.jobs.fire_timer", t.id,
                                 job_id=f"timer-{t.id}", result_ttl=600, failure_ttl=86400)
        except RedisError as exc:  # the sweep fires them from the database instead
            log.warning("could not schedule %d timers in RQ: %s", len(timers), exc)
    return schedule


def wire(ctx: Context, emit: Callable[[str, dict[str, Any], list[str]], None],
         redis_url: str | None) -> Relay:
    relay = Relay(ctx.uow, ctx.clock, emit, transport_check(redis_url))
    ctx.publish = _safe(relay.flush)
    if redis_url:
        ctx.schedule = rq_scheduler(redis_url)
    ctx.relay = relay  # type: ignore[attr-defined]
    return relay


def _safe(flush: Callable[[], int]) -> Callable[[], None]:
    """A push that fails after commit must not turn a recorded change into an error response:
    the event is in the outbox and the sweep pushes it."""
    def publish() -> None:
        try:
            flush()
        except Exception:  # noqa: BLE001 - logged; the outbox keeps the event for the sweep
            log.exception("relay flush failed; the sweep will retry")
    return publish


def sweep_once(ctx: Context, relay: Relay) -> None:
    deadlines.fire_due_timers(ctx)
    relay.flush()


def sweep_forever(ctx: Context, relay: Relay, interval: float, sleep: Callable[[float], None],
                  stop: threading.Event | None = None) -> None:
    """The reconciliation loop: fire what is due from the database, push what is unpushed,
    and keep the position history within its retention."""
    last_purge = 0.0
    while stop is None or not stop.is_set():
        try:
            sweep_once(ctx, relay)
            if time.monotonic() - last_purge > 3600:
                with ctx.uow() as uow:
                    before = ctx.clock() - timedelta(days=ctx.settings.position_retention_days)
                    uow.positions.purge(before)
                    uow.commit()
                last_purge = time.monotonic()
        except Exception:  # noqa: BLE001 - a bad round must not stop the clocks; it is logged
            log.exception("sweep failed; retrying in %.1f s", interval)
        sleep(interval)


class PositionThrottle:
    """Command hears an officer at most once a second."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._last: dict[str, float] = {}

    def allow(self, officer_id: str) -> bool:
        now = time.monotonic()
        if now - self._last.get(officer_id, -1e9) < self.every:
            return False
        self._last[officer_id] = now
        return True


def attach(app: Any, ctx: Context, socketio: Any, redis_url: str | None) -> Relay:
    """Bind the web process: the relay emits through this app's Socket.IO server."""
    from server import live

    def emit(name: str, data: dict[str, Any], rooms: list[str]) -> None:
        socketio.emit(name, data, to=rooms, namespace=NAMESPACE)

    throttle = PositionThrottle()

    def push_position(user: Any, fix: dict[str, Any]) -> None:
        if throttle.allow(user.id):
            try:
                socketio.emit("officer.position", fix, to="command", namespace=NAMESPACE)
            except Exception:  # noqa: BLE001 - a dropped map update is replaced by the next one
                log.exception("could not push a position")

    ctx.push_position = push_position
    live.register(socketio)
    return wire(ctx, emit, redis_url)
