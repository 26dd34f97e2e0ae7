"""Due timers fired in a burst (a scheduler back from an outage), against a bare firing loop.

    python -m bench.timer_burst --timers 30000 --cases 5000 [--pairs 1] [--keep]

Needs PostgreSQL with PostGIS on 127.0.0.1:5432 (user `postgres`, trust). The run creates a
database `bench_timers_<pid>`, seeds the demo (`prepare_database`), reports a few template cases
through the real API, clones them with Core up to `--cases` open cases, and plans `--timers`
due timers spread evenly over them, the mix a case has 31 minutes after its report: per unit, the
last repeated offer, the arrival warning and the arrival overdue notice (so a notice also writes
its accountability record). Officers of every unit have a fresh position, so each offer ranks.

Then, per pair (A then B, the database reset between):
- **product**: `dispatch.deadlines.fire_due_timers` on the real Context until nothing is due;
- **bare**: the same essential work in SQLAlchemy Core, in batches of 500: claim with
  `FOR UPDATE SKIP LOCKED`, take the event counter, insert one event (with its audience row) per
  timer and mark the timers fired, commit.

With `--steady SECONDS [--rate R]`, then: timers coming due at R per second over the open cases,
fired by the scheduler's loop (a sweep every second), and how late each fired (p50, p99, max).

Prints one JSON object: product_per_s, bare_per_s, ratio, cpu_ms_per_timer (this process's CPU:
the database's work is not in it), steady (lateness), and the per-run figures. The database is
dropped at the end unless `--keep`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import sqlalchemy as sa
from shapely import Point

ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
START = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Clock:
    """Fixed for the burst; the wall clock for the steady state (`live`)."""

    def __init__(self) -> None:
        self.now = START
        self.live = False

    def __call__(self) -> datetime:
        return datetime.now(UTC) if self.live else self.now


def _admin() -> Any:
    conn = psycopg2.connect(ADMIN_URL)
    conn.autocommit = True
    return conn


def build(url: str, cases: int, n_timers: int, clock: Clock) -> Any:
    from geo.jiyuan import demo_seats
    from server import create_app
    from server.cli import prepare_database

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-timers-"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "CLOCK": clock})
    prepare_database(app, seed_if_empty=True)
    ctx = app.extensions["dispatch"]
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "demo-reporter",
                                                    "password": "demo"}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    lon, lat = demo_seats()["419001102"]  # 轵城镇's seat
    body = {"category": "power_cut", "description": "停电, 生产线停了",
            "location": {"lat": lat, "lon": lon, "crs": "wgs84", "accuracy_m": 10.0}}
    templates = []
    for _ in range(10):
        r = client.post("/api/v1/incidents", json=body, headers=headers)
        assert r.status_code == 201, r.get_json()
        templates.append(r.get_json()["id"])
    _clone(ctx.engine, templates, cases, n_timers)
    return ctx


def _clone(engine: sa.Engine, templates: list[str], cases: int, n_timers: int) -> None:
    from dispatch.storage import tables as t

    with engine.begin() as conn:
        incs = [dict(r._mapping) for r in conn.execute(
            sa.select(t.incidents).where(t.incidents.c.id.in_(templates)))]
        units = [dict(r._mapping) for r in conn.execute(
            sa.select(t.incident_units).where(t.incident_units.c.incident_id.in_(templates)))]
        conn.execute(sa.delete(t.timers))
        rows, unit_rows = [], []
        planned: list[dict[str, Any]] = []
        for i in range(cases):
            src = incs[i % len(incs)]
            new_id = uuid.uuid4().hex
            new = dict(src, id=new_id, case_number=f"BENCH-{new_id}", received_at=START,
                       arrival_due=START
                       + (src["arrival_due"] - src["received_at"]),
                       restore_due=START + (src["restore_due"] - src["received_at"]),
                       resolve_due=START + (src["resolve_due"] - src["received_at"]),
                       timers_planned_at=START)
            rows.append(new)
            for u in units:
                if u["incident_id"] == src["id"]:
                    unit_rows.append(dict(u, incident_id=new["id"], arrival_due=new["arrival_due"]))
        conn.execute(sa.insert(t.incidents), rows)
        conn.execute(sa.insert(t.incident_units), unit_rows)
        by_case: dict[str, list[dict[str, Any]]] = {}
        for u in unit_rows:
            by_case.setdefault(u["incident_id"], []).append(u)
        kinds = [("offer", "offer", 5, timedelta(minutes=25)),
                 ("deadline_near", "arrival", 0, timedelta(minutes=25)),
                 ("overdue", "arrival", 0, timedelta(minutes=30, microseconds=1))]
        while len(planned) < n_timers:
            for case in rows:
                for u in by_case[case["id"]]:
                    for kind, milestone, attempt, after in kinds:
                        planned.append({
                            "incident_id": case["id"], "unit_code": u["unit_code"], "kind": kind,
                            "milestone": milestone, "attempt": attempt + len(planned) // (
                                len(rows) * 6), "deadline": u["arrival_due"],
                            "due_at": START + after, "round": 0})
            if len(planned) >= n_timers:
                break
        conn.execute(sa.insert(t.timers), planned[:n_timers])
        # Every unit's officer on duty near the cases, so each offer ranks someone.
        officers = conn.execute(sa.select(t.users.c.id, t.users.c.unit_code)
                                .where(t.users.c.role == "officer")).all()
        lon, lat = incs[0]["lon"], incs[0]["lat"]
        conn.execute(sa.delete(t.officer_last_positions))
        conn.execute(sa.insert(t.officer_last_positions), [
            {"officer_id": o.id, "unit_code": o.unit_code,
             "location": Point(lon + 0.001 * k, lat), "accuracy_m": 5.0,
             "recorded_at": START + timedelta(minutes=20),
             "received_at": START + timedelta(minutes=20)} for k, o in enumerate(officers)])


def reset(engine: sa.Engine, since_seq: int) -> None:
    from dispatch.storage import append_only
    from dispatch.storage import tables as t

    with engine.begin() as conn, append_only.lifted(conn):  # the log refuses DELETE otherwise
        conn.execute(sa.delete(t.event_audience).where(t.event_audience.c.seq > since_seq))
        conn.execute(sa.delete(t.events).where(t.events.c.seq > since_seq))
        conn.execute(sa.delete(t.overdue_records))
        conn.execute(sa.update(t.timers).values(fired_at=None, outcome=None))
        conn.execute(sa.update(t.timers).where(t.timers.c.kind == "offer").values(
            attempt=5, due_at=START + timedelta(minutes=25)))
    with engine.connect() as conn:
        conn.execute(sa.text("COMMIT"))
        conn.execute(sa.text("VACUUM ANALYZE timers"))


def run_product(ctx: Any) -> tuple[int, float, float]:
    from dispatch import deadlines

    wall, cpu = time.perf_counter(), time.process_time()
    fired = deadlines.fire_due_timers(ctx)
    return fired, time.perf_counter() - wall, time.process_time() - cpu


def run_bare(engine: sa.Engine, now: datetime, batch: int = 500) -> tuple[int, float, float]:
    from dispatch.storage import tables as t

    wall, cpu = time.perf_counter(), time.process_time()
    fired = 0
    tm, ev = t.timers, t.events
    while True:
        with engine.begin() as conn:
            due = conn.execute(sa.select(tm.c.id, tm.c.incident_id, tm.c.unit_code, tm.c.kind)
                               .where(tm.c.fired_at.is_(None), tm.c.due_at <= now)
                               .order_by(tm.c.due_at, tm.c.id).limit(batch)
                               .with_for_update(skip_locked=True)).all()
            if not due:
                break
            last = conn.execute(sa.update(t.event_counter).where(t.event_counter.c.id == 1)
                                .values(value=t.event_counter.c.value + len(due))
                                .returning(t.event_counter.c.value)).scalar_one()
            first = last - len(due) + 1
            conn.execute(sa.insert(ev), [
                {"seq": first + i, "incident_id": d.incident_id, "type": d.kind, "at": now,
                 "actor_id": None, "data": {"unit": d.unit_code},
                 "audience": [f"unit:{d.unit_code}"], "snapshot": {}}
                for i, d in enumerate(due)])
            conn.execute(sa.insert(t.event_audience), [
                {"room": f"unit:{d.unit_code}", "seq": first + i} for i, d in enumerate(due)])
            conn.execute(sa.update(tm).where(tm.c.id == sa.bindparam("tid"))
                         .values(fired_at=now, outcome="bare"),
                         [{"tid": d.id} for d in due])
            fired += len(due)
    return fired, time.perf_counter() - wall, time.process_time() - cpu


def run_steady(ctx: Any, clock: Clock, seconds: float, rate: float) -> dict[str, Any]:
    """Timers coming due at `rate` per second over `seconds` (warnings spread over the open
    cases), fired by the scheduler's loop (a sweep every second, as `python -m server.scheduler`
    runs it): how late each fired after its due time."""
    from dispatch import deadlines
    from dispatch.storage import tables as t

    clock.live = True
    engine = ctx.engine
    with engine.begin() as conn:
        conn.execute(sa.delete(t.timers))
        cases = conn.execute(sa.select(t.incident_units.c.incident_id,
                                       t.incident_units.c.unit_code,
                                       t.incident_units.c.arrival_due)).all()
        start = clock() + timedelta(seconds=1)
        n = int(seconds * rate)
        conn.execute(sa.insert(t.timers), [
            {"incident_id": c.incident_id, "unit_code": c.unit_code, "kind": "deadline_near",
             "milestone": "arrival", "attempt": i, "deadline": c.arrival_due,
             "due_at": start + timedelta(seconds=i / rate), "round": 0}
            for i, c in ((i, cases[i % len(cases)]) for i in range(n))])
    cpu = time.process_time()
    end = time.monotonic() + seconds + 3
    while time.monotonic() < end:
        deadlines.fire_due_timers(ctx)
        time.sleep(1.0)
    cpu = time.process_time() - cpu
    with engine.connect() as conn:
        late = sorted((r.fired_at - r.due_at).total_seconds() for r in conn.execute(
            sa.select(t.timers.c.fired_at, t.timers.c.due_at)
            .where(t.timers.c.fired_at.is_not(None))))
        pending = conn.execute(sa.select(sa.func.count()).select_from(t.timers)
                               .where(t.timers.c.fired_at.is_(None))).scalar_one()

    def q(p: float) -> float:
        return round(late[min(len(late) - 1, int(p * len(late)))], 3) if late else -1.0

    return {"rate_per_s": rate, "seconds": seconds, "fired": len(late), "unfired": pending,
            "lateness_p50_s": q(0.5), "lateness_p99_s": q(0.99),
            "lateness_max_s": round(late[-1], 3) if late else None,
            "cpu_ms_per_timer": round(1000 * cpu / max(len(late), 1), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers", type=int, default=30000)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--only", choices=["product", "bare"])
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--steady", type=float, default=0.0, metavar="SECONDS",
                        help="then the steady state: timers due at --rate per second for this "
                             "long, fired by the scheduler's loop; reports lateness")
    parser.add_argument("--rate", type=float, default=40.0,
                        help="steady timers per second (5,000 reports make ~70,000 firings in "
                             "their first half hour: ~39/s)")
    args = parser.parse_args()
    name = f"bench_timers_{os.getpid()}"
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    clock = Clock()
    runs: dict[str, list[dict[str, float]]] = {"product": [], "bare": []}
    steady = None
    try:
        ctx = build(url, args.cases, args.timers, clock)
        with ctx.engine.connect() as conn:
            base_seq = conn.execute(sa.text("SELECT value FROM event_counter")).scalar_one()
        clock.now = START + timedelta(minutes=31)
        for _ in range(args.pairs):
            for which in ("product", "bare"):
                if args.only and which != args.only:
                    continue
                reset(ctx.engine, base_seq)
                fired, wall, cpu = (run_product(ctx) if which == "product"
                                    else run_bare(ctx.engine, clock.now))
                runs[which].append({"fired": fired, "wall_s": round(wall, 2),
                                    "per_s": round(fired / wall, 1),
                                    "cpu_ms_per_timer": round(1000 * cpu / max(fired, 1), 3)})
                print(which, runs[which][-1], file=sys.stderr, flush=True)
        steady = run_steady(ctx, clock, args.steady, args.rate) if args.steady else None
        if steady:
            print("steady", steady, file=sys.stderr, flush=True)
        ctx.engine.dispose()
    finally:
        if not args.keep:
            with admin.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s", (name,))
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    def med(which: str, key: str) -> float | None:
        values = [r[key] for r in runs[which]]
        return round(statistics.median(values), 3) if values else None

    product, bare = med("product", "per_s"), med("bare", "per_s")
    print(json.dumps({
        "timers": args.timers, "cases": args.cases, "pairs": args.pairs,
        "product_per_s": product, "bare_per_s": bare,
        "ratio": round(product / bare, 3) if product and bare else None,
        "cpu_ms_per_timer": med("product", "cpu_ms_per_timer"),
        "bare_cpu_ms_per_timer": med("bare", "cpu_ms_per_timer"),
        "steady": steady, "runs": runs, "database": name if args.keep else None}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
