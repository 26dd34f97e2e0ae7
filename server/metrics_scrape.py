"""The figures `/metrics` reads when it is scraped, from the database and Redis.

- `jiyuan311_open_cases{status,state}`: every open case (any status but closed) by status and
  by its clocks' state (`on_time`, `near`, `overdue`, `restored`, `resolved`), and
  `jiyuan311_unit_open_cases{unit,state}` for each unit answering for it;
  `jiyuan311_cases_near` and `jiyuan311_cases_overdue` are the two states' totals. Read and
  judged exactly as `GET /api/v1/map/incidents` reads and judges them (the map's read, two
  SELECTs of the columns a marker needs, then `dispatch.board.case_instants` at the Context's
  clock), so the metric and the command center's map never disagree;
- `jiyuan311_timers_due_unfired`: timers due and not yet fired (the sweep's and RQ's backlog;
  one count over the partial index of pending timers);
- `jiyuan311_rq_jobs{state}`: the timer jobs queued, scheduled (waiting for their time),
  started and failed (a length or a cardinality each);
- `jiyuan311_event_log_seq`, the log's last seq, read at every scrape (one row), and
  `jiyuan311_relay_lag_events`, that seq minus the lowest seq the live web processes' relays sent
  (each relay publishes it after each tail of the log, every `DISPATCH_SWEEP_SECONDS`: a healthy
  relay lags by at most one interval's events);
- `jiyuan311_scrape_ok{source}`: 1 when the database (or Redis) answered this scrape, 0 when not
  (the other figures from it are then left out, not reported as zero).

Everything but the log's seq is kept `DISPATCH_METRICS_CACHE_SECONDS` (5 s) per process, so a
scrape every few seconds from two Prometheus servers reads the open cases at most once in 5 s.
Measured on the map: reading and judging 5,000 open cases takes about 85 ms of CPU.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from dispatch.board import ClockState, case_instants
from dispatch.context import Context, reader
from dispatch.ports import IncidentQuery
from dispatch.queries import OPEN_STATUSES
from dispatch.storage import tables as t
from server.channels import QUEUE
from server.redis_url import connect as connect_redis
from server.config import Config

log = logging.getLogger(__name__)
NAMES = ("jiyuan311_open_cases", "jiyuan311_unit_open_cases", "jiyuan311_cases_near",
         "jiyuan311_cases_overdue", "jiyuan311_timers_due_unfired", "jiyuan311_rq_jobs",
         "jiyuan311_event_log_seq", "jiyuan311_relay_lag_events", "jiyuan311_scrape_ok")
RQ_STATES = ("queued", "scheduled", "started", "failed")


class Figures:
    def __init__(self, ctx: Context, cfg: Config) -> None:
        self.ctx, self.cfg = ctx, cfg
        self._lock = threading.Lock()
        self._kept: tuple[float, list[GaugeMetricFamily]] | None = None

    def forget(self) -> None:
        """The next scrape reads afresh (tests)."""
        with self._lock:
            self._kept = None

    def collect(self, relayed: float | None) -> list[GaugeMetricFamily]:
        """The families of one scrape; `relayed`: the lowest seq the relays sent, if any."""
        out = list(self._cached())
        ok = GaugeMetricFamily("jiyuan311_scrape_ok", "1 when the source answered this scrape",
                               labels=["source"])
        try:
            seq = self._last_seq()
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", type(exc).__name__)
            ok.add_metric(["database"], 0)
        else:
            ok.add_metric(["database"], 1)
            out.append(_gauge("jiyuan311_event_log_seq", "the event log's last seq", seq))
            if relayed is not None:
                out.append(_gauge("jiyuan311_relay_lag_events", "events in the log that the "
                                  "slowest live relay has not sent yet", max(seq - relayed, 0)))
        if self.cfg.REDIS_URL:
            ok.add_metric(["redis"], 1 if any(f.name == "jiyuan311_rq_jobs" for f in out)
                          else 0)
        return [*out, ok]

    def _cached(self) -> list[GaugeMetricFamily]:
        with self._lock:  # one read at a time; the others wait for it and reuse it
            now = time.monotonic()
            kept = self._kept
            if kept is not None and now - kept[0] < self.cfg.METRICS_CACHE_SECONDS:
                return kept[1]
            families: list[GaugeMetricFamily] = []
            try:
                families += self._cases()
                families.append(self._backlog())
            except SQLAlchemyError as exc:
                log.warning("metrics: could not read the cases: %s", type(exc).__name__)
                families = []
            if self.cfg.REDIS_URL:
                try:
                    families.append(self._jobs(self.cfg.REDIS_URL))
                except RedisError as exc:
                    log.warning("metrics: Redis did not answer: %s", type(exc).__name__)
            self._kept = (now, families)
            return families

    def _last_seq(self) -> int:
        with reader(self.ctx) as uow:
            return uow.events.last_seq()

    def _cases(self) -> list[GaugeMetricFamily]:
        with reader(self.ctx) as uow:
            cases = uow.incidents.open_cases(IncidentQuery(status=OPEN_STATUSES))
        now = self.ctx.clock()
        by_case: Counter[tuple[str, str]] = Counter()
        by_unit: Counter[tuple[str, str]] = Counter()
        for case in cases:
            state = str(case_instants(case, self.ctx.settings).state(now))
            by_case[(case.status, state)] += 1
            for assigned in case.units:
                by_unit[(assigned.code, state)] += 1
        opened = GaugeMetricFamily("jiyuan311_open_cases", "open cases (any status but closed) "
                                   "by status and clock state, as the map judges them",
                                   labels=["status", "state"])
        for (status, state), n in sorted(by_case.items()):
            opened.add_metric([status, state], n)
        units = GaugeMetricFamily("jiyuan311_unit_open_cases", "open cases each unit answers "
                                  "for, by the case's clock state", labels=["unit", "state"])
        for (code, state), n in sorted(by_unit.items()):
            units.add_metric([code, state], n)
        states = Counter[str]()
        for (_, state), n in by_case.items():
            states[state] += n
        return [opened, units,
                _gauge("jiyuan311_cases_near", "open cases whose first unmet deadline is near",
                       states[str(ClockState.NEAR)]),
                _gauge("jiyuan311_cases_overdue", "open cases with a deadline passed unmet",
                       states[str(ClockState.OVERDUE)])]

    def _backlog(self) -> GaugeMetricFamily:
        tm = t.timers.c
        with self.ctx.engine.connect() as conn:
            due = conn.execute(select(func.count()).select_from(t.timers).where(
                tm.fired_at.is_(None), tm.due_at <= self.ctx.clock())).scalar_one()
        return _gauge("jiyuan311_timers_due_unfired", "timers due and not yet fired", due)

    def _jobs(self, url: str) -> GaugeMetricFamily:
        from rq import Queue
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        queue = Queue(QUEUE, connection=connect_redis(url, socket_timeout=2,
                                                               socket_connect_timeout=1))
        counts = {"queued": queue.count,
                  # rq's registries are untyped (their constructors take no annotations)
                  "scheduled": ScheduledJobRegistry(queue=queue).count,  # type: ignore[no-untyped-call]  # see above
                  "started": StartedJobRegistry(queue=queue).count,
                  "failed": FailedJobRegistry(queue=queue).count}
        jobs = GaugeMetricFamily("jiyuan311_rq_jobs", "timer jobs in RQ, by state",
                                 labels=["state"])
        for state in RQ_STATES:
            jobs.add_metric([state], counts[state])
        return jobs


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
