"""bench/seed_cases.py, which the read benchmarks stand on: the cases it writes are open cases
as a report makes them, on both databases (placed in their territory, routed, every state)."""

from __future__ import annotations

from collections import Counter

from bench.seed_cases import seed_open_cases
from tests.conftest import START


def test_seeded_cases_are_open_placed_routed_and_in_every_state(client, login, ctx, clock):
    ids = seed_open_cases(ctx.engine.url.render_as_string(hide_password=False), 120, seed=7,
                          now=START)
    clock.set(START)
    assert len(set(ids)) == 120
    body = client.get("/api/v1/map/incidents", headers=login("demo-commander")).get_json(
        force=True)
    features = {f["id"]: f for f in body["features"]}
    assert set(features) == set(ids)
    routing = client.get("/api/v1/units", headers=login("demo-commander")).get_json()["routing"]
    with ctx.uow() as uow:
        for f in features.values():
            lon, lat = f["geometry"]["coordinates"]
            p = f["properties"]
            assert ctx.locator.locate(uow, lon, lat).code == p["territory"]
            assert [u["code"] for u in p["units"]] == [p["territory"], *sorted(
                routing.get(p["category"], []))]
    states = Counter(f["properties"]["state"] for f in features.values())
    statuses = Counter(f["properties"]["status"] for f in features.values())
    assert set(statuses) == {"dispatched", "on_site", "restored", "resolved", "reopened"}
    assert {"on_time", "near", "overdue", "restored", "resolved"} <= set(states)
    # A page of the list reads them as well.
    page = client.get("/api/v1/incidents?per_page=200", headers=login("demo-commander")
                      ).get_json()
    assert page["total"] == 120
