"""One simulated run against a server: sign the demo people in, plan the day, let it play in
accelerated time, wait for the clocks to settle, and sum it up."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from datetime import UTC, datetime, timedelta
from typing import Any

from shapely.ops import unary_union

from dispatch.utc import CST
from geo.crs import wgs84_to_gcj02
from simulate import scenario
from simulate.agents import Officer, Run, Scheduler, SimClock
from simulate.client import Api, ApiError
from simulate.ledger import Ledger, Summary, parse_time, summarize

REPORTERS = ("demo-reporter", "demo-reporter-2")
# A deadline past without its overdue notice is waited for this long before the run ends anyway.
NOTICE_GRACE = timedelta(seconds=10)


@dataclass(frozen=True)
class Options:
    url: str
    speed: float = 60.0
    hours: float = 24.0
    rate: float | None = None       # reports a second: the load mode
    seed: int = 1
    per_day: float = 48.0
    start_hour: float = 8.0         # local time (CST) the simulated period starts at
    late_share: float = 0.15
    drain_minutes: float = 90.0     # simulated minutes allowed after the last report to settle
    position_every_s: float = 1.0   # wall seconds between positions while driving
    heartbeat_minutes: float = 10.0  # simulated minutes between positions while idle
    crews: int = 3                  # cases a unit's account works at once
    password: str = "demo"


def simulate(opts: Options, say: Callable[[str], None] = print,
             stop: threading.Event | None = None) -> Summary:
    """Runs until the period is over and the clocks settled, or `stop` is set, or Ctrl-C
    (KeyboardInterrupt in the calling thread): the summary so far either way."""
    stop = stop or threading.Event()
    api = Api(opts.url)
    reporters = [api.sign_in(name, opts.password) for name in REPORTERS]
    reader = reporters[0]["access_token"]
    areas = scenario.areas_from_geojson(api.call("GET", "/units/boundaries", reader))
    units = api.call("GET", "/units", reader)["items"]
    full = opts.rate is None
    wall_s = opts.hours * 3600.0 / opts.speed
    plan = (scenario.plan_day(areas, opts.seed, opts.start_hour, opts.hours, opts.per_day)
            if full else scenario.plan_load(areas, opts.seed, float(opts.rate or 0), wall_s))
    day = datetime.now(CST).replace(hour=0, minute=0, second=0, microsecond=0)
    start = day + timedelta(hours=opts.start_hour)
    say(f"simulating {opts.hours:g} h from {start:%Y-%m-%d %H:%M} CST at {opts.speed:g}x "
        f"({wall_s:.0f} s) against {api.base}: {len(plan)} reports planned, mode "
        f"{'full' if full else f'load at {opts.rate:g}/s'}, seed {opts.seed}")

    ledger, scheduler = Ledger(), Scheduler(stop)
    clock = SimClock(start, opts.speed, stop)
    run = Run(api=api, clock=clock, ledger=ledger, scheduler=scheduler, seed=opts.seed,
              late_share=opts.late_share, full=full, position_every_s=opts.position_every_s,
              heartbeat_s=opts.heartbeat_minutes * 60.0)
    officers = _officers(run, units, areas, opts.password, opts.crews, say)
    interrupted = False
    try:
        for officer in officers:
            officer.start()
        clock.t0 = time.monotonic()  # the day starts once everyone is on duty
        scheduler.start()
        post = _poster(run, reporters, opts.speed, say)
        base = clock.t0
        for report in plan:
            at = clock.wall_at(report.at_s) if full else base + report.at_s
            scheduler.at(at, partial(post, report))
        if stop.wait(max(base + wall_s - time.monotonic(), 0.0)):
            interrupted = True
        else:
            interrupted = _drain(run, opts, full, len(plan))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stop.set()
        scheduler.shutdown()
        for officer in officers:
            officer.join(5)
    return summarize(ledger, datetime.now(UTC), mode="full" if full else "load", seed=opts.seed,
                     speed=opts.speed, simulated_hours=opts.hours,
                     wall_seconds=round(time.monotonic() - clock.t0, 1),
                     started_at=f"{start:%Y-%m-%d %H:%M} CST", interrupted=interrupted,
                     planned=len(plan))


def _drain(run: Run, opts: Options, full: bool, planned: int) -> bool:
    """After the last report: until every arrival and restore is decided (full), or every
    report has been answered and every case accepted (load), within `drain_minutes` simulated.
    True when stopped."""
    # Load: up to 30 s of wall time for the last offers to be heard and accepted (a loaded
    # server or machine delays them; 10 s proved short in CI).
    limit = time.monotonic() + (opts.drain_minutes * 60.0 / opts.speed if full else 30.0)
    while time.monotonic() < limit:
        if full and run.ledger.settled(datetime.now(UTC), NOTICE_GRACE):
            return False
        offers = sum(len(c.arrival_due) for c in run.ledger.cases())
        if (not full and run.ledger.answered() >= planned
                and run.ledger.accepted + run.ledger.accept_refused >= offers):
            return False
        if run.clock.stop.wait(0.25):
            return True
    return False


def _officers(run: Run, units: list[dict[str, Any]], areas: list[scenario.Area],
              password: str, crews: int, say: Callable[[str], None]) -> list[Officer]:
    """`officer-<code>` of every unit, starting at the territory's heart, or the city centre
    for a department."""
    by_code = {a.code: a for a in areas}
    urban = [a.geometry for a in areas if a.urban] or [a.geometry for a in areas]
    centre = unary_union(urban).representative_point()
    stations: dict[str, tuple[float, float]] = {}
    for a in areas:
        p = a.geometry.representative_point()
        stations[a.code] = (p.x, p.y)

    def station(territory: str) -> tuple[float, float]:
        return stations.get(territory, (centre.x, centre.y))
    out = []
    for unit in units:
        code = unit["code"]
        try:
            signed = run.api.sign_in(f"officer-{code}", password)
        except ApiError as exc:
            say(f"  no officer for {code} ({exc}); its cases will go unanswered")
            continue
        territory = code in by_code
        home = by_code[code].geometry.representative_point() if territory else centre
        out.append(Officer(run, code, signed["access_token"], (home.x, home.y),
                           urban_of=lambda c: c in by_code and by_code[c].urban,
                           station=None if territory else station, crews=crews))
    return out


def _poster(run: Run, reporters: list[dict[str, Any]], speed: float,
            say: Callable[[str], None]) -> Callable[[scenario.PlannedReport], None]:
    run_id = uuid.uuid4().hex[:12]
    checked = threading.Event()

    def post(r: scenario.PlannedReport) -> None:
        lon, lat = (wgs84_to_gcj02(r.lon, r.lat) if r.crs == "gcj02" else (r.lon, r.lat))
        body = {"category": r.category, "description": r.description,
                "location": {"lat": float(lat), "lon": float(lon), "accuracy_m": 20.0,
                             "crs": r.crs}}
        sent = time.monotonic()
        try:
            incident = run.api.call("POST", "/incidents", reporters[r.reporter]["access_token"],
                                    body, idempotency_key=f"sim-{run_id}-{r.index}")
        except ApiError as exc:
            run.ledger.refuse(r.index, exc.status, str(exc.problem.get("title", "")))
            return
        # Before `learn`: an officer waits for the ledger to know the case, then reads `sent`.
        run.ledger.sent(incident["id"], sent, time.monotonic() - sent)
        run.ledger.learn(incident, index=r.index)
        if run.full and not checked.is_set():
            checked.set()
            _check_scale(incident, speed, say)

    return post


def _check_scale(incident: dict[str, Any], speed: float, say: Callable[[str], None]) -> None:
    """The server's deadlines should run as fast as the simulation: say so when they do not."""
    received, due = parse_time(incident["received_at"]), parse_time(
        incident["deadlines"]["arrival"])
    assert received is not None and due is not None
    allowance = (due - received).total_seconds()
    if allowance <= 0:
        return
    server_scale = 1800.0 / allowance
    if abs(server_scale - speed) > 0.05 * speed:
        say(f"  warning: the server gives {allowance:g} s to arrive, {server_scale:.3g}x the "
            f"rule's 30 min, not {speed:g}x: start it with DISPATCH_TIME_SCALE={speed:g} (or "
            "its DISPATCH_DEADLINES differ from the rule)")
