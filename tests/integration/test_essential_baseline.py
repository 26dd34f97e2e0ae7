"""bench/essential_app.py, the floor the product's report ingest is measured against, must do
the product's work: for the same report at the same instant it writes the same case, units,
timers and events (with their rooms) as the product, modulo ids, the case number's sequence
and the event log's seqs, and pushes the offer to the unit's room. PostGIS only: the baseline
places the point with PostGIS, as the bench runs it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from geo.distance import offset_point

POINT = {"lat": 35.0206, "lon": 112.6340}  # in 419001102 (轵城镇), as the bench reports


@pytest.fixture
def essential(app, ctx, clock, monkeypatch):  # type: ignore[no-untyped-def]
    from bench.essential_app import create

    monkeypatch.setenv("DATABASE_URL", ctx.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DISPATCH_SECRET_KEY", app.config["SECRET_KEY"])
    bare = create(clock=clock, patch_gevent=False)
    yield bare
    bare.extensions["essential"]["engine"].dispose()


def _rows(ctx: Any, case_id: str) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        case = dict(conn.execute(text(
            "SELECT *, ST_AsText(location) AS wkt FROM incidents WHERE id = :id"),
            {"id": case_id}).mappings().one())
        units = [dict(r) for r in conn.execute(text(
            "SELECT * FROM incident_units WHERE incident_id = :id ORDER BY unit_code"),
            {"id": case_id}).mappings()]
        timers = sorted(
            (r.unit_code, r.kind, r.milestone, r.attempt, r.deadline, r.due_at, r.fired_at,
             r.outcome, r.round, r.complaint, r.request_id is not None)
            for r in conn.execute(text("SELECT * FROM timers WHERE incident_id = :id"),
                                  {"id": case_id}))
        events = [dict(r) for r in conn.execute(text(
            "SELECT e.*, (SELECT array_agg(room ORDER BY room) FROM event_audience a "
            "WHERE a.seq = e.seq) AS rooms FROM events e WHERE incident_id = :id ORDER BY seq"),
            {"id": case_id}).mappings()]
    number = case.pop("case_number")
    for row in (case, *units):
        row.pop("id", None)
        row.pop("incident_id", None)
    case.pop("location")
    for u in units:
        u.pop("arrival_location")
    distances = []
    for e in events:
        assert e.pop("request_id")
        e.pop("seq")
        e.pop("incident_id")
        snap = e["snapshot"]
        assert snap.pop("id") == case_id and snap.pop("case_number") == number
        for officer in e["data"].get("officers", []):
            distances.append(officer.pop("distance_m"))
    return {"case": case, "units": units, "timers": timers, "events": events,
            "number": number.rsplit("-", 1)[0], "distances": distances}


@pytest.mark.parametrize("backend", ["postgis"])
def test_the_essential_baseline_writes_what_the_product_writes(
        backend, app, client, login, ctx, clock, essential):  # type: ignore[no-untyped-def]
    # On-duty officers near the point (two of the power company, one of the town) and one whose
    # fix is too old to count: the KNN ranking is part of what both must write.
    for username, metres, minutes_ago in (("officer-power_supply", 300, 1),
                                          ("officer-419001102", 120, 2),
                                          ("officer-water_supply", 50, 45)):
        x, y = offset_point(POINT["lon"], POINT["lat"], 45, metres)
        r = client.post("/api/v1/officers/me/positions", headers=login(username), json=[{
            "lat": y, "lon": x, "accuracy_m": 5,
            "recorded_at": (clock.now - timedelta(minutes=minutes_ago)).isoformat()}])
        assert r.status_code == 202, r.get_json()
    reporter = login("demo-reporter")
    officer = essential.extensions["essential"]["socketio"].test_client(
        essential, namespace="/live",
        auth={"token": login("officer-power_supply")["Authorization"].split()[1]})
    assert officer.is_connected("/live")
    body = {"category": "power_cut", "description": "no power on the street",
            "location": {**POINT, "accuracy_m": 12}}

    product = client.post("/api/v1/incidents", headers=reporter, json=body)
    assert product.status_code == 201, product.get_json()
    floor = essential.test_client().post("/api/v1/incidents", headers=reporter, json=body)
    assert floor.status_code == 201, floor.get_json()

    mine, theirs = _rows(ctx, product.get_json()["id"]), _rows(ctx, floor.get_json()["id"])
    assert mine["case"]["status"] == "dispatched" and len(mine["units"]) >= 2
    assert len(mine["timers"]) >= 7 * len(mine["units"]) - len(mine["units"])
    assert {e["type"] for e in mine["events"]} == {"reported", "dispatched", "offered"}
    assert [o["officer_id"] for e in mine["events"] for o in e["data"].get("officers", [])]
    for key in ("case", "units", "timers", "events", "number"):
        assert theirs[key] == mine[key], key
    assert theirs["distances"] == pytest.approx(mine["distances"], abs=0.5)

    # The push: the power company's officer hears the offer, with the case and its clocks.
    frames = [f for f in officer.get_received("/live") if f["name"] == "task.offered"]
    assert len(frames) == 1
    offer = frames[0]["args"][0]
    assert offer["data"]["unit"] == "power_supply"
    assert offer["incident"]["id"] == floor.get_json()["id"]
    assert offer["incident"]["clocks"]["milestones"]
    officer.disconnect("/live")


@pytest.mark.parametrize("backend", ["postgis"])
def test_the_essential_baseline_refuses_what_it_cannot_place(
        backend, client, login, ctx, essential):  # type: ignore[no-untyped-def]
    r = essential.test_client().post("/api/v1/incidents", headers=login("demo-reporter"), json={
        "category": "power_cut", "description": "", "location": {"lat": 10.0, "lon": 10.0}})
    assert r.status_code == 422 and json.loads(r.data)["field"] == "location"
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM case_number_counters")).scalar_one() == 0
