"""Prometheus metrics: what each process counts, and `/metrics`, closed to the outside.

Counted as it happens, in the process where it happens (prometheus_client):
- `jiyuan311_http_requests_total{route,method,status}` and
  `jiyuan311_http_request_duration_seconds{route,method}`: the route is the URL rule
  (`/api/v1/incidents/<incident_id>`), never the raw path, so the series stay few;
- `jiyuan311_signin_refusals_total{status}`: sign-ins refused 401 (wrong password) or 429 (the
  throttle), on the API and the command center's form;
- `jiyuan311_timer_lateness_seconds{kind}`: how late each timer fired after its due time, in the
  process that fired it (the worker, the scheduler, or a web process keeping the clocks);
- `jiyuan311_sweep_last_success_timestamp_seconds`: the end of the last sweep that succeeded
  (the scheduler's heartbeat).
Sampled every `DISPATCH_SWEEP_SECONDS` in each web process and at every scrape:
`jiyuan311_sockets{role}`, `jiyuan311_relay_seq` (the last seq this process's relay sent) and
`jiyuan311_db_pool_checked_out` / `jiyuan311_db_pool_size`. Read at the scrape from the database
and Redis: `server.metrics_scrape`.

Multi-process mode: gunicorn's config (`server/gunicorn_conf.py`) sets
`PROMETHEUS_MULTIPROC_DIR` before its workers start, so every worker of one gunicorn writes its
figures there and whichever worker answers a scrape reports the sum (sockets, pool), the minimum
(the relay's seq: the laggard) or the maximum (the heartbeat) of the live workers. The worker
and the scheduler never join that folder (they drop the variable first): each serves its own
figures on `DISPATCH_OPS_PORT` (`server.ops_http`), which works when they run in other
containers or on other machines.

The web process's route and request hooks are `server.metrics_web` (this module imports no
Flask: the worker and the scheduler load it). Access: with `DISPATCH_METRICS_TOKEN` set,
`Authorization: Bearer <token>` is required (from anywhere); without it, only loopback and
private addresses are served. The address is the client's as the trusted proxies report it
(`DISPATCH_TRUSTED_PROXY_HOPS`, werkzeug's ProxyFix): behind the load balancer every connection
comes from a private address, so the peer alone would open the metrics to the internet.
"""

from __future__ import annotations

import glob
import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import (REGISTRY, CollectorRegistry, Counter, Gauge,
                               Histogram, generate_latest, multiprocess)
from prometheus_client.registry import Collector

from dispatch.context import Context
from dispatch.errors import FieldError, Forbidden, Unauthorized
from dispatch.model import Role
from server import metrics_scrape
from server.config import Config

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
ROLES = tuple(str(role) for role in Role)

REQUESTS = Counter("jiyuan311_http_requests", "HTTP requests answered, by route (the URL rule), "
                   "method and status", ["route", "method", "status"])
LATENCY = Histogram("jiyuan311_http_request_duration_seconds", "time from the first request "
                    "hook to the answer, by route and method", ["route", "method"],
                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
SIGNIN_REFUSALS = Counter("jiyuan311_signin_refusals", "sign-ins refused: 401 wrong name or "
                          "password, 429 throttled", ["status"])
TIMER_LATENESS = Histogram("jiyuan311_timer_lateness_seconds", "seconds between a timer's due "
                           "time and its firing, by kind", ["kind"],
                           buckets=(.1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 900, 3600))
# Labelled, so that a process that never swept (a web process beside a scheduler) and a relay
# not started report nothing rather than a zero.
SWEEP = Gauge("jiyuan311_sweep_last_success_timestamp_seconds", "Unix time the last sweep of "
              "the timers ended without error (the scheduler's heartbeat), by the kind of "
              "process that swept", ["process"], multiprocess_mode="livemax")
SOCKETS = Gauge("jiyuan311_sockets", "connected /live sockets, by role", ["role"],
                multiprocess_mode="livesum")
RELAYED = Gauge("jiyuan311_relay_seq", "the last event-log seq this process's relay sent (the "
                "lowest of the live web processes)", ["relay"], multiprocess_mode="livemin")
POOL_OUT = Gauge("jiyuan311_db_pool_checked_out", "database connections in use",
                 multiprocess_mode="livesum")
POOL_SIZE = Gauge("jiyuan311_db_pool_size", "database connections the pool keeps (besides "
                  "its overflow)", multiprocess_mode="livesum")
# The names above, and those of the scrape's figures: the dashboard's and the rules' test
# checks every expression against them.
COUNTED = ("jiyuan311_http_requests_total", "jiyuan311_http_request_duration_seconds",
           "jiyuan311_signin_refusals_total", "jiyuan311_timer_lateness_seconds",
           "jiyuan311_sweep_last_success_timestamp_seconds", "jiyuan311_sockets",
           "jiyuan311_relay_seq", "jiyuan311_db_pool_checked_out", "jiyuan311_db_pool_size")
NAMES = COUNTED + metrics_scrape.NAMES


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


# -- what the processes call -------------------------------------------------------------------
def timers_fired(fired: Sequence[tuple[str, float]]) -> None:
    """The Context's `timers_fired`: each fired timer's lateness."""
    for kind, seconds in fired:
        TIMER_LATENESS.labels(kind).observe(max(seconds, 0.0))


last_swept: list[float | None] = [None]  # time.time() of this process's last good sweep
lease_held: list[bool | None] = [None]  # a scheduler: whether its last round held the lease


def swept(process: str) -> None:
    now = last_swept[0] = time.time()
    SWEEP.labels(process).set(now)


def lease(held: bool) -> None:
    """A scheduler's round: whether it holds the lease (`server.scheduler`). A standby's round
    is its readiness heartbeat; the sweep gauge above stays the active one's alone (so the
    "no sweep" alert still fires when the active scheduler stops sweeping)."""
    lease_held[0] = held
    if not held:
        last_swept[0] = time.time()


def sample(ctx: Context, sockets: Callable[[], dict[str, int]] | None = None) -> None:
    """This process's gauges: its sockets by role, its relay's seq, its pool."""
    if sockets is not None:
        counts = sockets()
        for role in ROLES:
            SOCKETS.labels(role).set(counts.get(role, 0))
    sent = ctx.relay.sent_seq if ctx.relay is not None else None
    if sent is not None:
        RELAYED.labels("web").set(sent)
    pool = getattr(ctx.engine, "pool", None)
    if pool is not None and hasattr(pool, "checkedout"):
        POOL_OUT.set(pool.checkedout())
        POOL_SIZE.set(pool.size())


# -- who may read them ---------------------------------------------------------------------------
# Named, not `ipaddress`'s is_private (which also holds the documentation and reserved ranges).
INTERNAL = tuple(ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def internal(address: str | None) -> bool:
    """Loopback and the private networks (RFC 1918, IPv6 unique local addresses)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in INTERNAL)


def refusal(address: str | None, authorization: str | None, token: str | None
            ) -> Unauthorized | Forbidden | None:
    """Why this caller may not read the metrics, or None."""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode()):
            return None
        return Unauthorized("send the metrics token: Authorization: Bearer <token>",
                            [FieldError("Authorization", "the metrics token is required")])
    if internal(address):
        return None
    return Forbidden("the metrics are served to the internal network only (or with "
                     "DISPATCH_METRICS_TOKEN set, to its bearer)")


# -- the exposition --------------------------------------------------------------------------------
class _Families:
    """A registry-like object over already collected families, for `generate_latest`."""

    def __init__(self, families: Iterable[Any]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Any]:
        return self._families


class SettledFiles(multiprocess.MultiProcessCollector):
    """The workers' files, read without their two races with gunicorn (prometheus/client_python
    issue 1199, open): a starting worker's file exists at 0 bytes for a moment before it is
    sized, and a dead worker's live gauges are deleted (`child_exit`) between the listing and
    the read. Either failed the whole scrape with a 500 (seen when a worker was killed during
    a scrape). An empty file holds nothing yet and a deleted one nothing any more: both are left
    out, and a file deleted while being read makes the listing be taken again."""

    def collect(self) -> Iterable[Any]:
        for attempt in range(3):
            files = [f for f in glob.glob(os.path.join(self._path, "*.db")) if _sized(f)]
            try:
                merged: Iterable[Any] = self.merge(files, accumulate=True)  # type: ignore[no-untyped-call]  # upstream's, unannotated
                return merged
            except FileNotFoundError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _sized(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except FileNotFoundError:
        return False


class Exposition:
    """What one process's `/metrics` answers: its counted figures (all of its gunicorn's workers
    in multi-process mode), then the scrape's own."""

    def __init__(self, ctx: Context, cfg: Config,
                 sockets: Callable[[], dict[str, int]] | None = None) -> None:
        self.ctx, self.sockets = ctx, sockets
        self.figures = metrics_scrape.Figures(ctx, cfg)

    def render(self) -> bytes:
        sample(self.ctx, self.sockets)
        counted: Collector
        folder = multiprocess_dir()
        if folder:
            counted = CollectorRegistry()
            SettledFiles(counted, folder)  # type: ignore[no-untyped-call]  # its __init__ is upstream's
        else:
            counted = REGISTRY
        families = list(counted.collect())
        relayed = next((s.value for f in families if f.name == "jiyuan311_relay_seq"
                        for s in f.samples), None)
        families.extend(self.figures.collect(relayed))
        return generate_latest(_Families(families))
