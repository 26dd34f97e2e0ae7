"""How long the units' assessment takes over a month of cases, on SQLite and on PostGIS.

    .venv/bin/python -m bench.stats_units [--cases 5000] [--runs 5] [--only sqlite]

Seeds the demo into a fresh database (a temporary SQLite file; a PostGIS database
`bench_stats_<pid>` dropped at the end), writes `--cases` cases spread over November 2026 across
the territories and the routed departments (a mix of on-time, late, open, extended, reopened,
complained and answered ones, written directly through the unit of work: the point is the read),
then times `GET /api/v1/stats/units` for the whole month as JSON, CSV and XLSX, signed in as
`demo-commander`, and prints the median of `--runs` requests of each (server time, in-process).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import psycopg2
from shapely.geometry import Point

from dispatch.model import Assignment, Complaint, Incident, Status

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MONTH = datetime(2026, 10, 31, 16, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 2, tzinfo=UTC)
ROUTES = {"power_cut": ["power_supply"], "water_cut": ["water_supply"],
          "road_blocked": ["public_security", "traffic_police"], "other": []}


def _case(rng: random.Random, territories: list[tuple[str, str]], names: dict[str, str],
          reporter: str, set_id: int) -> Incident:
    code, name = rng.choice(territories)
    category = rng.choice(list(ROUTES))
    received = MONTH + timedelta(seconds=rng.randrange(30 * 86400))
    inc = Incident(category=category, description="bench", location=Point(112.6, 35.07),
                   reporter_id=reporter, territory_code=code, territory_name=name,
                   boundary_set_id=set_id, received_at=received,
                   arrival_due=received + timedelta(minutes=30),
                   restore_due=received + timedelta(hours=1),
                   resolve_due=received + timedelta(days=7), status=Status.DISPATCHED,
                   timers_planned_at=received)
    inc.case_number = f"BENCH-{inc.id}"  # off the counters: never one a report could get
    for unit in [code, *ROUTES[category]]:
        a = Assignment(unit, names[unit], "territory" if unit == code else "department",
                       inc.arrival_due)
        if rng.random() < 0.9:
            a.arrived_at = received + timedelta(minutes=rng.uniform(3, 45))
        inc.assignments.append(a)
    if rng.random() < 0.8:
        inc.restored_at = received + timedelta(minutes=rng.uniform(20, 90))
        inc.status = Status.RESTORED
        if rng.random() < 0.8:
            inc.resolved_at = received + timedelta(days=rng.uniform(0.2, 9))
            inc.status = Status.RESOLVED
            if rng.random() < 0.7:
                inc.status, inc.closed_at = Status.CLOSED, inc.resolved_at + timedelta(days=1)
                inc.feedback_at = inc.closed_at
                inc.feedback_satisfied = rng.random() < 0.85
                inc.feedback_rating = rng.randint(3, 5) if inc.feedback_satisfied else 2
                inc.closed_reason = "satisfied" if inc.feedback_satisfied else "no_feedback"
    if rng.random() < 0.1:
        inc.resolve_due_original, inc.extensions = inc.resolve_due, 1
        inc.resolve_due += timedelta(days=5)
    if rng.random() < 0.05:
        inc.round = 1
    if rng.random() < 0.05:
        inc.complaints.append(Complaint(inc.id, 1, reporter, "slow", received,
                                        received + timedelta(days=1)))
    return inc


def run(backend: str, cases: int, runs: int) -> None:
    from server import create_app
    from server.cli import prepare_database

    name = f"bench_stats_{__import__('os').getpid()}"
    url = None
    admin = None
    if backend == "postgis":
        admin = psycopg2.connect(ADMIN_URL)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                              "INSTANCE_PATH": tmp, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                              "CLOCK": lambda: NOW})
            prepare_database(app, seed_if_empty=True)
            ctx = app.extensions["dispatch"]
            rng = random.Random(20261127)
            with ctx.uow() as uow:
                units = uow.units.list()
                names = {u.code: u.name for u in units}
                territories = [(u.code, u.name) for u in units if u.kind == "territory"]
                reporter = uow.users.by_username("demo-reporter").id
                set_id = uow.boundaries.active_set().id
            started = time.perf_counter()
            for start in range(0, cases, 500):
                with ctx.uow() as uow:
                    for _ in range(min(500, cases - start)):
                        uow.incidents.add(_case(rng, territories, names, reporter, set_id))
                    uow.commit()
            print(f"{backend}: {cases} cases written in {time.perf_counter() - started:.1f} s")
            client = app.test_client()
            token = client.post("/api/v1/auth/token", json={
                "username": "demo-commander", "password": "demo"}).get_json()["access_token"]
            head = {"Authorization": f"Bearer {token}"}
            for fmt in ("json", "csv", "xlsx"):
                took = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    r = client.get(f"/api/v1/stats/units?from=2026-11-01&to=2026-11-30"
                                   f"&format={fmt}", headers=head)
                    took.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.get_data(as_text=True)[:300]
                print(f"{backend}: {fmt:4} median {statistics.median(took) * 1000:.0f} ms "
                      f"(min {min(took) * 1000:.0f}, {len(r.data)} bytes)")
            ctx.engine.dispose()
    finally:
        if admin is not None:
            with admin.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s", (name,))
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgis"])
    args = parser.parse_args()
    for backend in ("sqlite", "postgis"):
        if args.only in (None, backend):
            run(backend, args.cases, args.runs)


if __name__ == "__main__":
    main()
