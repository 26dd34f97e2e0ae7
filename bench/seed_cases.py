"""Seed open cases fast, with Core inserts, for the read benchmarks (the map, the list page).

    python -m bench.seed_cases postgresql://postgres@127.0.0.1:5432/bench_x 5000 [--seed 1]

The database must hold the Jiyuan demo (`python -m server seed-demo`): the cases are reported by
`demo-reporter` and `demo-reporter-2`, lie inside the active boundary set's territories (random
points near each town's seat, kept only when that territory covers them), and are routed like a
real report (the territory, then the category's departments). Received times spread over the
last two hours before `now`, and the statuses over the life of a case (most dispatched, then on
site, restored, resolved, a few reopened), so every clock state of the map shows.

No events and no timers are written (`timers_planned_at` is set, so a running scheduler does not
plan 5,000 cases' timers during a read benchmark): what is seeded is what a read of open cases
touches. Going through the API instead would take minutes for 5,000 cases.
"""

from __future__ import annotations

import argparse
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shapely.geometry import Point
from sqlalchemy import insert, select

from dispatch.clock import Policy
from dispatch.storage import tables as t
from dispatch.storage.database import make_engine
from geo.jiyuan import demo_seats

CATEGORIES = ["power_cut", "water_cut", "gate_blocked", "road_blocked", "other"]
# (status, weight): what share of open cases is at each step of its life.
STATUSES = [("dispatched", 50), ("on_site", 20), ("restored", 20), ("resolved", 7),
            ("reopened", 3)]
BATCH = 1000


def seed_open_cases(database_url: str, n: int, seed: int = 1,
                    now: datetime | None = None) -> list[str]:
    """Insert `n` open cases with their units; returns their ids."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    policy = Policy()
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            active = conn.execute(select(t.boundary_sets.c.id).where(t.boundary_sets.c.active)
                                  ).scalar_one()
            areas = {r.code: (r.name, r.geom) for r in conn.execute(
                select(t.territory_boundaries.c.code, t.territory_boundaries.c.name,
                       t.territory_boundaries.c.geom)
                .where(t.territory_boundaries.c.set_id == active))}
            reporters = list(conn.execute(select(t.users.c.id).where(
                t.users.c.username.in_(["demo-reporter", "demo-reporter-2"]))).scalars())
            routing: dict[str, list[str]] = {}
            for category, code in conn.execute(select(t.routing.c.category,
                                                      t.routing.c.unit_code)):
                routing.setdefault(category, []).append(code)
            unit_names = dict(conn.execute(select(t.units.c.code, t.units.c.name)).all())
            if not (areas and reporters):
                raise SystemExit("seed the demo first: python -m server seed-demo")
            places = _places(rng, areas, n)
            ids: list[str] = []
            cases: list[dict[str, Any]] = []
            units: list[dict[str, Any]] = []
            for i, (code, point) in enumerate(places):
                case, its_units = _case(rng, now, policy, code, areas[code][0], point,
                                        reporters[i % len(reporters)], active, routing,
                                        unit_names)
                ids.append(case["id"])
                cases.append(case)
                units.extend(its_units)
            for start in range(0, len(cases), BATCH):
                conn.execute(insert(t.incidents), cases[start:start + BATCH])
            for start in range(0, len(units), BATCH):
                conn.execute(insert(t.incident_units), units[start:start + BATCH])
        return ids
    finally:
        engine.dispose()


def _places(rng: random.Random, areas: dict[str, tuple[str, Any]], n: int
            ) -> list[tuple[str, Point]]:
    seats = {code: xy for code, xy in demo_seats().items() if code in areas}
    codes = sorted(seats)
    out: list[tuple[str, Point]] = []
    while len(out) < n:
        code = codes[len(out) % len(codes)]
        lon, lat = seats[code]
        point = Point(lon + rng.uniform(-0.03, 0.03), lat + rng.uniform(-0.03, 0.03))
        if areas[code][1].covers(point):
            out.append((code, point))
    return out


def _case(rng: random.Random, now: datetime, policy: Policy, code: str, name: str,
          point: Point, reporter: str, set_id: int, routing: dict[str, list[str]],
          unit_names: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    category = rng.choice(CATEGORIES)
    status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
    received = now - timedelta(seconds=rng.uniform(0, 7200))
    arrival, restore = received + policy.arrival, received + policy.restore
    resolve = received + policy.resolve
    there = status != "dispatched"
    restored = status in ("restored", "resolved", "reopened")
    incident_id = uuid.uuid4().hex

    def done(start: datetime, due: datetime) -> datetime:
        """A time between `start` and now, late now and then."""
        return min(now, start + (due - start) * rng.uniform(0.3, 1.2))

    arrived_at = done(received, arrival) if there else None
    restored_at = done(arrived_at or received, restore) if restored else None
    resolved_at = done(restored_at or received, now) if status == "resolved" else None
    reopened_at = now - timedelta(minutes=1) if status == "reopened" else None
    case = {
        "id": incident_id, "case_number": f"BENCH-{incident_id}", "category": category,
        "description": f"bench case {incident_id[:8]}",
        "status": status, "location": point, "lon": point.x, "lat": point.y,
        "location_accuracy_m": 10.0, "reported_crs": "wgs84", "reporter_id": reporter,
        "site_id": None, "green_channel": rng.random() < 0.05, "territory_code": code,
        "territory_name": name, "boundary_set_id": set_id, "received_at": received,
        "arrival_due": arrival, "restore_due": restore,
        "resolve_due": reopened_at + policy.resolve if reopened_at else resolve,
        "restored_at": restored_at, "restored_by": reporter if restored_at else None,
        "restore_note": "bench" if restored_at else None,
        "resolved_at": resolved_at, "resolved_by": reporter if resolved_at else None,
        "resolve_note": "bench" if resolved_at else None, "closed_at": None,
        "timers_planned_at": received, "round": 1 if reopened_at else 0,
        "reopened_at": reopened_at,
    }
    codes = [code] + sorted(c for c in routing.get(category, []) if c != code)
    its_units = [{
        "incident_id": incident_id, "unit_code": c, "unit_name": unit_names.get(c, c),
        "kind": "territory" if c == code else "department", "arrival_due": arrival,
        "accepted_at": arrived_at if (there and j == 0) else None, "accepted_by": None,
        "arrived_at": arrived_at if (there and j == 0) else None, "arrived_by": None,
        "arrival_location": point if (there and j == 0) else None,
        "arrival_distance_m": 12.0 if (there and j == 0) else None,
        "arrival_device_time": None} for j, c in enumerate(codes)]
    return case, its_units


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", type=datetime.fromisoformat, default=None,
                        help="ISO time with offset the cases are received before (default: now)")
    args = parser.parse_args(argv)
    ids = seed_open_cases(args.database_url, args.n, args.seed, args.now)
    print(f"seeded {len(ids)} open cases")


if __name__ == "__main__":
    main()
