"""Wiring the real-time side: the relay onto Socket.IO, wake-ups and timers on Redis, the loops.

Every process that commits events wakes the web processes (a Redis pub/sub note) and each web
process relays new events from the database to its own clients. Without Redis, one process does
everything: the same relay, rooms and timers, with the loops as background tasks.

Nothing here imports Flask or Socket.IO: a web process passes its Socket.IO server in, and the
worker and the scheduler use the Redis side alone (`headless_hooks`, `sweep`).
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
from redis.exceptions import RedisError

from dispatch import deadlines, trace
from dispatch.context import Context, no_position, no_publish, no_schedule
from dispatch.model import Event, User
from dispatch.relay import Relay
from dispatch.settings import Settings
from dispatch.storage.database import warm
from dispatch.timers import Timer
from server import metrics
from server.redis_url import connect as connect_redis
from server.channels import NAMESPACE, QUEUE, USERS_CHANNEL, WAKE_CHANNEL
from server.config import Config

log = logging.getLogger(__name__)
PROCESS_TOKEN = uuid.uuid4().hex.encode()  # a process ignores its own wake-up notes


def redis_client(url: str) -> redis.Redis:
    """A client of the Redis master (`redis://`, or `redis+sentinel://` in the HA shape)."""
    return connect_redis(url, socket_timeout=2, socket_connect_timeout=1)


def rq_scheduler(url: str) -> Callable[[Sequence[Timer]], None]:
    from rq import Queue

    queue = Queue(QUEUE, connection=redis_client(url))

    def schedule(timers: Sequence[Timer]) -> None:
        """One job per incident, at its earliest due timer; the job schedules the next one.

        The id names the incident and the due time, so scheduling the same moment twice (the
        request and a sweep, say) makes one job."""
        earliest: dict[str, Timer] = {}
        for t in sorted(timers, key=lambda t: t.due_at):
            earliest.setdefault(t.incident_id, t)
        try:
            # One pipeline, one round trip: a batch of fired timers schedules up to a hundred
            # incidents' next jobs, and one round trip each would slow a drain by as many.
            with queue.connection.pipeline() as pipe:
                for incident_id, t in earliest.items():
                    job_id = f"timers-{incident_id}-{int(t.due_at.timestamp() * 1000)}"
                    # The job names the request that planned the timer (server.jobs binds it).
                    queue.enqueue_at(t.due_at, "server.jobs.fire_incident_timers", incident_id,
                                     job_id=job_id, result_ttl=600, failure_ttl=86400,
                                     meta={"request_id": t.request_id or trace.current()},
                                     pipeline=pipe)
                    log.info("scheduled timer job %s", job_id, extra={
                        "incident_id": incident_id, "job_id": job_id,
                        "request_id": t.request_id or trace.current()})
                pipe.execute()
        except RedisError as exc:  # the sweep fires them from the database instead
            log.warning("could not schedule %d timers in RQ: %s", len(timers), exc)
    return schedule


@dataclass(frozen=True)
class Hooks:
    """What a kind of process gives its Context to reach the others after a commit."""

    publish: Callable[[Sequence[Event]], None] = no_publish
    schedule: Callable[[Sequence[Timer]], None] = no_schedule
    push_position: Callable[[User, dict[str, Any]], None] = no_position
    relay: Relay | None = None


def wake_publisher(redis_url: str) -> Callable[[], None]:
    """A note on the wake-up channel: every web process flushes its relay when it hears one."""
    wake = redis_client(redis_url)

    def wake_others() -> None:
        try:
            wake.publish(WAKE_CHANNEL, PROCESS_TOKEN)
        except RedisError as exc:  # the others tail the log within a second anyway
            log.warning("could not wake the other processes: %s", exc)
    return wake_others


def user_change_publisher(redis_url: str) -> Callable[[set[str]], None]:
    """Tell every web process which users' tokens changed (a revocation, a deactivation), so
    their token caches forget them now rather than when the cache's time runs out."""
    client = redis_client(redis_url)

    def tell(user_ids: set[str]) -> None:
        try:
            client.publish(USERS_CHANNEL, json.dumps(sorted(user_ids)))
        except RedisError as exc:  # the caches' time bound still holds
            log.warning("could not tell the web processes of %d users: %s", len(user_ids), exc)
    return tell


def headless_hooks(redis_url: str | None) -> Hooks:
    """A process that serves no clients (worker, scheduler, command): after a commit it wakes
    the web processes, whose relays push the events from the log, and hands new timers to RQ.
    Without Redis it does neither: the web process tails the log and sweeps the timers."""
    if not redis_url:
        return Hooks()
    wake_others = wake_publisher(redis_url)

    def publish(events: Sequence[Event]) -> None:
        wake_others()
    return Hooks(publish=publish, schedule=rq_scheduler(redis_url))


def web_hooks(uow: Callable[[], Any], socketio: Any, redis_url: str | None,
              settings: Settings) -> Hooks:
    """A process that serves clients: its relay pushes what it commits to its own clients at
    once, and wakes the others; positions go to command through Socket.IO's message queue;
    timers go to RQ off the request's path. The loops start with `start_web_loops`."""

    def emit_local(name: str, data: dict[str, Any], rooms: list[str]) -> None:
        # The relay of each process serves its own clients: no trip through the queue.
        socketio.emit(name, data, to=rooms, namespace=NAMESPACE, ignore_queue=True)

    relay = Relay(uow, emit_local, settings)
    wake_others = wake_publisher(redis_url) if redis_url else None

    def publish(events: Sequence[Event]) -> None:
        """After a commit that wrote events: push them here, wake the other processes."""
        try:
            relay.push(events)
        except Exception:  # noqa: BLE001 - the change is committed; the periodic tail retries
            log.exception("relay push failed; the periodic tail will retry")
        # Let the clients' writers send the frames now, before this request goes on to build
        # its response (cooperative scheduling would otherwise make every officer wait for it).
        socketio.sleep(0)
        if wake_others is not None:
            wake_others()

    throttle = PositionThrottle()

    def push_position(user: User, fix: dict[str, Any]) -> None:
        if throttle.allow(user.id):
            try:
                socketio.emit("officer.position", fix, to="command", namespace=NAMESPACE)
            except Exception:  # noqa: BLE001 - a dropped map update is replaced by the next one
                log.exception("could not push a position")

    schedule = _in_background(socketio, rq_scheduler(redis_url)) if redis_url else no_schedule
    return Hooks(publish=publish, schedule=schedule, push_position=push_position, relay=relay)


def _in_background(socketio: Any, to_rq: Callable[[Sequence[Timer]], None]
                   ) -> Callable[[Sequence[Timer]], None]:
    def schedule(timers: Sequence[Timer]) -> None:
        # Off the request's path: the response does not wait for Redis (the sweep is the net).
        socketio.start_background_task(to_rq, timers)
    return schedule


def start_web_loops(ctx: Context, cfg: Config, socketio: Any, keep_clocks: bool,
                    recheck_sockets: Callable[[], Any],
                    forget_users: Callable[[list[str]], None]) -> None:
    """In a process that serves clients: relay from now on, tail the log, listen for wake-ups,
    re-check idle sockets, and (without a separate scheduler) keep the clocks."""
    relay = ctx.relay
    if relay is None:
        raise RuntimeError("a web process's Context has a relay (bootstrap with Process.WEB)")
    interval = cfg.SWEEP_SECONDS
    from server.live import connected_by_role  # the web process's alone: not the worker's
    relay.start()
    warm(ctx.engine, 5)
    socketio.start_background_task(_every, interval, socketio.sleep, relay.flush, "relay tail")
    socketio.start_background_task(_every, interval, socketio.sleep,
                                   lambda: metrics.sample(ctx, connected_by_role), "metrics")
    if cfg.REDIS_URL:
        socketio.start_background_task(_listen_for_wakeups, cfg.REDIS_URL, relay,
                                       socketio.sleep, forget_users)
    if keep_clocks:
        socketio.start_background_task(_every, interval, socketio.sleep,
                                       lambda: sweep(ctx, "web"), "clock sweep")
    socketio.start_background_task(_every, cfg.SOCKET_RECHECK_SECONDS,
                                   socketio.sleep, recheck_sockets, "socket re-check")


def _every(interval: float, sleep: Callable[[float], object], work: Callable[[], Any],
           what: str, stop: threading.Event | None = None) -> None:
    while stop is None or not stop.is_set():
        try:
            work()
        except Exception:  # noqa: BLE001 - one bad round must not stop the loop; it is logged
            log.exception("%s failed; retrying in %.1f s", what, interval)
        sleep(interval)


def _listen_for_wakeups(url: str, relay: Relay, sleep: Callable[[float], None],
                        forget_users: Callable[[list[str]], None]) -> None:
    """Flush on every wake-up note, and once after each (re)subscription to catch up; forget
    the users another process revoked or deactivated."""
    while True:
        try:
            client = connect_redis(url, socket_timeout=None, socket_connect_timeout=1)
            pubsub = client.pubsub()  # type: ignore[no-untyped-call]  # redis-py's pubsub() has no annotations
            pubsub.subscribe(WAKE_CHANNEL, USERS_CHANNEL)
            relay.flush()
            for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                if message["channel"] == USERS_CHANNEL.encode():
                    forget_users(json.loads(message["data"]))
                elif message["data"] != PROCESS_TOKEN:
                    relay.flush()
        except RedisError as exc:
            log.warning("wake-up channel lost (%s); tailing the log meanwhile", exc)
        except Exception:  # noqa: BLE001 - keep listening; the error is logged
            log.exception("wake-up listener failed")
        sleep(0.5)


SWEEP_SLICE = 500  # timers fired between two looks for unplanned cases (under a second)
_last_purge: list[float | None] = [None]  # monotonic time of the last purge in this process


def sweep(ctx: Context, process: str = "scheduler") -> None:
    """Plan what was left unplanned, fire what is due, keep positions within their retention;
    then the heartbeat (`jiyuan311_sweep_last_success_timestamp_seconds`).

    A backlog (a scheduler back from an outage) is drained in slices, planning in between: a
    case whose timers were never stored waits for one slice (about a second), not the drain.
    A round has a request id of its own ("sweep-..."): the timers it plans carry it."""
    with trace.bound(f"sweep-{trace.new_id()[:16]}"):
        _sweep(ctx)
    metrics.swept(process)


def _sweep(ctx: Context) -> None:
    while True:
        deadlines.plan_unplanned(ctx)
        if deadlines.fire_due_timers(ctx, most=SWEEP_SLICE) < SWEEP_SLICE:
            break
    last = _last_purge[0]
    if last is None or time.monotonic() - last > 3600:
        with ctx.uow() as uow:
            uow.positions.purge(ctx.clock() - timedelta(days=ctx.settings.position_retention_days))
            uow.commit()
        _last_purge[0] = time.monotonic()


def sweep_forever(ctx: Context, interval: float, stop: threading.Event,
                  lease: Callable[[], bool] = lambda: True) -> None:
    """Sweep every `interval` while `lease()` says this scheduler is the active one; a standby
    only looks at the lease (and keeps its readiness heartbeat)."""
    def round_() -> None:
        if lease():
            metrics.lease(True)
            sweep(ctx, "scheduler")
        else:
            metrics.lease(False)
    _every(interval, stop.wait, round_, "clock sweep", stop)


def tune_gc() -> None:
    """Measured (bench/): with thousands of connected clients a full collection stalls every
    push for 20-150 ms. Start-up objects are frozen out of collections, and collections are made
    rarer, trading a little memory for a short tail."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


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
