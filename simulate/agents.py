"""The simulated people: officers on duty who hear offers on /live, accept, drive to the site
sending their positions, check in, restore order and solve the problem; and the clock they live
by, which runs `speed` times faster than the wall's."""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import queue
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from geo.distance import geodesic_distance_m, offset_point
from simulate import scenario
from simulate.client import Api, ApiError, Live, new_key, wire_now
from simulate.ledger import Ledger, parse_time

log = logging.getLogger(__name__)


class Stopped(Exception):
    """The run is over (its end, or Ctrl-C): an agent leaves whatever it was doing."""


class SimClock:
    """Simulated time: `start` at the wall's `t0`, running `speed` times faster."""

    def __init__(self, start: datetime, speed: float, stop: threading.Event) -> None:
        self.start, self.speed, self.stop = start, speed, stop
        self.t0 = time.monotonic()

    def elapsed_s(self) -> float:
        """Simulated seconds since the start."""
        return (time.monotonic() - self.t0) * self.speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed_s())

    def wall_at(self, sim_s: float) -> float:
        """The monotonic wall time at which `sim_s` simulated seconds have passed."""
        return self.t0 + sim_s / self.speed

    def sleep(self, sim_s: float) -> None:
        """Wait `sim_s` simulated seconds; raises `Stopped` when the run ends meanwhile."""
        if self.stop.wait(max(sim_s, 0.0) / self.speed):
            raise Stopped


class Scheduler:
    """Calls due at wall times, run on a small pool so a slow answer delays nothing else."""

    def __init__(self, stop: threading.Event, workers: int = 8) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._count = itertools.count()
        self._cond = threading.Condition()
        self._stop = stop
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim")
        self._thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def at(self, wall: float, fn: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (wall, next(self._count), fn))
            self._cond.notify()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                wait = (self._heap[0][0] - time.monotonic()) if self._heap else 0.2
                if wait > 0:
                    self._cond.wait(min(wait, 0.2))
                    continue
                _, _, fn = heapq.heappop(self._heap)
            self.pool.submit(_logged, fn)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def shutdown(self) -> None:
        self.wake()
        self._thread.join(5)
        self.pool.shutdown(wait=True, cancel_futures=True)


def _logged(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Stopped:
        pass
    except Exception:  # noqa: BLE001 - one failed call must not end the day; it is logged
        log.exception("a simulated action failed")


@dataclass(frozen=True)
class Run:
    """What every agent shares."""

    api: Api
    clock: SimClock
    ledger: Ledger
    scheduler: Scheduler
    seed: int
    late_share: float
    full: bool                  # False under load: officers only accept
    position_every_s: float     # wall seconds between positions while driving
    heartbeat_s: float          # simulated seconds between positions while idle


@dataclass(frozen=True)
class Task:
    incident: dict[str, Any]
    heard_at: float


@dataclass
class Crew:
    """One of a unit's teams in the field. The demo has one officer account per unit, so a
    unit's crews share it: the first crew is the account's phone (its positions are streamed and
    drawn on the map), the others only check in with their own fixes."""

    number: int
    position: tuple[float, float]

    @property
    def streams(self) -> bool:
        return self.number == 0


class Officer:
    """`officer-<unit>`: the unit's account, worked by `crews` crews at once. A territory's
    crews drive from where they are (they start at the territory's heart); a department's drive
    from its station in the case's territory (`station`), as police, power and water stations
    sit in every town."""

    def __init__(self, run: Run, unit: str, token: str, home: tuple[float, float],
                 urban_of: Callable[[str], bool],
                 station: Callable[[str], tuple[float, float]] | None, crews: int) -> None:
        self.run, self.unit, self.token = run, unit, token
        self.crews = [Crew(n, home) for n in range(max(crews, 1))]
        self._urban_of, self._station = urban_of, station
        self._tasks: queue.Queue[Task] = queue.Queue()
        self._seen: set[str] = set()
        self.live = Live(run.api.base, token, self._heard)
        self._threads = [threading.Thread(target=self._loop, args=(crew,), daemon=True,
                                          name=f"officer-{unit}-{crew.number}")
                         for crew in self.crews]

    def start(self) -> None:
        self.live.connect()
        self.send_position(self.crews[0])
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for thread in self._threads:
            if thread.ident is not None:  # started (Ctrl-C may come while others connect)
                thread.join(max(end - time.monotonic(), 0.0))
        self.live.disconnect()

    # -- what the officer hears (on the socket's thread: quick, hand work to the crews) -------
    def _heard(self, event: str, data: Any) -> None:
        if not isinstance(data, dict):
            return
        if "incident" in data and isinstance(data["incident"], dict):
            self.run.ledger.learn(data["incident"])
        if event == "incident.overdue":
            self.run.ledger.notice(data)
        elif event == "task.offered" and data.get("data", {}).get("unit") == self.unit:
            incident_id = data["incident_id"]
            if incident_id not in self._seen:  # an offer is repeated until someone accepts
                self._seen.add(incident_id)
                self._tasks.put(Task(data["incident"], time.monotonic()))

    # -- what the crews do ---------------------------------------------------------------------
    def _loop(self, crew: Crew) -> None:
        clock = self.run.clock
        while not clock.stop.is_set():
            try:
                task = self._tasks.get(timeout=self.run.heartbeat_s / clock.speed)
            except queue.Empty:
                if crew.streams:
                    _logged(lambda: self.send_position(crew))  # still on duty
                continue
            try:
                self._handle(task, crew)
            except Stopped:
                return
            except Exception:  # noqa: BLE001 - the crew goes on to the next case
                log.exception("officer-%s failed on %s", self.unit, task.incident["id"])

    def _our_index(self, incident_id: str) -> int | None:
        """The offer can overtake the reporter's 201: wait for the ledger to know it, up to 10 s
        (a loaded server answers the POST well after it pushed the offer; 2 s proved short)."""
        for _ in range(200):
            index = self.run.ledger.index_of(incident_id)
            if index is not None or self.run.clock.stop.is_set():
                return index
            time.sleep(0.05)
        return None

    def _handle(self, task: Task, crew: Crew) -> None:
        incident = task.incident
        index = self._our_index(incident["id"])
        if index is None:
            return  # someone else's case on this server: not the simulation's to work
        if not self.run.full:
            self.run.ledger.offered(incident["id"], task.heard_at)
            self.run.ledger.accept_answer(self._accept(incident["id"]))
            return
        c = scenario.conduct(self.run.seed, index, self.unit, self.run.late_share)
        clock = self.run.clock
        clock.sleep(c.accept_after_s)
        if not self._accept(incident["id"]):
            return
        clock.sleep(c.prepare_s)
        territory = incident["territory"]["code"]
        if self._station is not None:
            crew.position = self._station(territory)
        site = (incident["location"]["lon"], incident["location"]["lat"])
        drive = scenario.travel_s(geodesic_distance_m(*crew.position, *site),
                                  self._urban_of(territory))
        if c.late:  # waits on purpose so as to arrive after the deadline
            clock.sleep(self._until_due_s(incident) + c.late_by_s - drive)
        self._drive(crew, site, drive)
        if self.run.ledger.is_resolved(incident["id"]):
            return  # solved before this unit came: its arrival stays missed
        if not self._check_in(crew, incident["id"], site):
            return
        if self.run.ledger.claim_restore(incident["id"], self.unit):
            clock.sleep(c.restore_work_s)
            self.run.ledger.learn(self.run.api.call(
                "POST", f"/incidents/{incident['id']}/restore", self.token,
                {"note": "秩序已恢复"}, idempotency_key=new_key()))
            wall = clock.wall_at(clock.elapsed_s() + c.resolve_after_s)
            self.run.scheduler.at(wall, lambda: self._resolve(incident["id"]))
        else:
            clock.sleep(c.linger_s)

    def _until_due_s(self, incident: dict[str, Any]) -> float:
        """Simulated seconds from now to the unit's arrival deadline (the server keeps it in
        real time; `speed` carries it over)."""
        unit = next(u for u in incident["units"] if u["code"] == self.unit)
        due = parse_time(unit["arrival_due"])
        assert due is not None
        return (due - datetime.now(UTC)).total_seconds() * self.run.clock.speed

    def _accept(self, incident_id: str) -> bool:
        answer = self.live.call("task.accept", {"incident_id": incident_id})
        ok = isinstance(answer, dict) and bool(answer.get("ok"))
        if not ok:
            log.info("officer-%s could not accept %s: %s", self.unit, incident_id, answer)
        return ok

    def _drive(self, crew: Crew, site: tuple[float, float], drive_s: float) -> None:
        start, clock = crew.position, self.run.clock
        begun = clock.elapsed_s()
        step = self.run.position_every_s * clock.speed
        while True:
            done = (clock.elapsed_s() - begun) / drive_s if drive_s > 0 else 1.0
            crew.position = scenario.along(start, site, done)
            if done >= 1.0:
                return
            if crew.streams:
                _logged(lambda: self.send_position(crew))
            clock.sleep(min(step, drive_s * (1.0 - done)))

    def _check_in(self, crew: Crew, incident_id: str, site: tuple[float, float]) -> bool:
        bearing = zlib.crc32(f"{incident_id}/{self.unit}".encode()) % 360
        lon, lat = offset_point(site[0], site[1], bearing, 25.0)  # parked near the gate
        crew.position = (lon, lat)
        try:
            self.run.ledger.learn(self.run.api.call(
                "POST", f"/incidents/{incident_id}/check-in", self.token,
                {"location": {"lat": lat, "lon": lon, "accuracy_m": 12.0},
                 "recorded_at": wire_now()}, idempotency_key=new_key()))
        except ApiError as exc:
            log.info("officer-%s could not check in at %s: %s", self.unit, incident_id, exc)
            return False
        if crew.streams:
            self.send_position(crew)
        return True

    def _resolve(self, incident_id: str) -> None:
        self.run.ledger.learn(self.run.api.call(
            "POST", f"/incidents/{incident_id}/resolve", self.token,
            {"note": "问题已解决"}, idempotency_key=new_key()))

    def send_position(self, crew: Crew) -> None:
        lon, lat = crew.position
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return
        self.live.call("position", {"lat": lat, "lon": lon, "accuracy_m": 15.0,
                                    "recorded_at": wire_now()})
