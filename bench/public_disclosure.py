"""How long the public disclosure takes to answer, for a month of cases, on both databases.

    .venv/bin/python -m bench.public_disclosure [--cases 300] [--sites 3000] [--rounds 20]
        [--only sqlite|postgis]

Builds a fresh app per database (a temporary SQLite file; a temporary PostGIS database on
127.0.0.1:5432, dropped at the end), seeds the demo and `--sites` sites (their names and
addresses are on record, so the scrubber holds them all), files `--cases` reports with personal
data in their text spread over November 2026, each with a public text a commander reviewed
carrying the same data (so every published case is scrubbed), then times, through
Flask's test client (no network, no server): the month's JSON and page built anew (as after any
change of a case), the same answers kept by the process (nothing changed since), and the same
requests with the ETag they returned (304, no body). Medians and maxima in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2026, 11, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _app(url: str | None, clock: Clock) -> Any:
    from server import create_app
    from server.cli import prepare_database
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-public-"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "CLOCK": clock})
    prepare_database(app, seed_if_empty=True)
    return app


def _seed(app: Any, clock: Clock, cases: int, sites: int) -> None:
    from shapely.geometry import Point

    from dispatch.model import Site
    from dispatch.publication import review_public_text
    from dispatch.reporting import NewReport, report_incident
    from geo.jiyuan import demo_seats
    ctx = app.extensions["dispatch"]
    with ctx.uow() as uow:
        reporter = uow.users.by_username("demo-reporter")
        commander = uow.users.by_username("demo-commander")
        for i in range(sites):
            uow.sites.add(Site(owner_id=reporter.id, name=f"济源第{i}号工地", location=Point(
                112.6, 35.1), address=f"沁园路 {i} 号院", created_at=START))
        uow.commit()
    seats = list(demo_seats().values())
    for i in range(cases):
        clock.now = START + timedelta(minutes=i * (29 * 24 * 60 // cases))
        lon, lat = seats[i % len(seats)]
        text = (f"第{i}号:济源示范企业 A 大门被堵,联系 1381234{i % 10000:04d},座机 0391-66{i:05d},"
                f"邮箱 boss{i}@example.com,身份证 41088119900101{i % 1000:03d}X")
        case, _ = report_incident(ctx, reporter, NewReport(("gate_blocked", "power_cut")[i % 2],
                                                           text, Point(lon, lat)))
        review_public_text(ctx, commander, case.id, text, f"联系人张三已疏通,济源第{i}号工地复工")
    clock.now = datetime(2026, 12, 2, tzinfo=UTC)


def _time(client: Any, path: str, rounds: int, headers: dict[str, str] | None = None,
          cold: bool = False) -> tuple[list[float], Any]:
    out, last = [], None
    for _ in range(rounds):
        if cold:  # as after any change of a case: the answer is built again
            client.application.extensions.pop("public_answers", None)
        t0 = time.perf_counter()
        last = client.get(path, headers=headers or {})
        out.append((time.perf_counter() - t0) * 1000)
    return out, last


def run(store: str, cases: int, sites: int, rounds: int) -> None:
    clock = Clock()
    name = f"bench_public_{uuid.uuid4().hex[:8]}"
    url = None
    admin = None
    if store == "postgis":
        admin = psycopg2.connect(ADMIN_URL)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        app = _app(url, clock)
        _seed(app, clock, cases, sites)
        client = app.test_client()
        for label, path in (("json", "/api/v1/public/cases?month=2026-11"),
                            ("page", "/public/cases?month=2026-11")):
            cold, r = _time(client, path, rounds, cold=True)
            assert r.status_code == 200, r.data[:300]
            warm, r = _time(client, path, rounds)
            again, r304 = _time(client, path, rounds, {"If-None-Match": r.headers["ETag"]})
            assert r304.status_code == 304
            print(f"{store:7} {label}: {cases} cases, {len(r.data) / 1024:.0f} KiB; built "
                  f"median {statistics.median(cold):.0f} ms (max {max(cold):.0f}); kept: 200 "
                  f"median {statistics.median(warm):.1f} ms (max {max(warm):.1f}), 304 median "
                  f"{statistics.median(again):.1f} ms")
        ctx = app.extensions["dispatch"]
        ctx.names.__init__()  # forget the compiled names: time reading and compiling them
        t0 = time.perf_counter()
        from dispatch.publication import scrubber
        compiled = scrubber(ctx).names.count
        print(f"{store:7} names on record: {compiled} read and compiled in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms (once per change of a name)")
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
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", choices=["sqlite", "postgis"])
    args = parser.parse_args()
    for store in ("sqlite", "postgis"):
        if args.only in (None, store):
            run(store, args.cases, args.sites, args.rounds)


if __name__ == "__main__":
    main()
