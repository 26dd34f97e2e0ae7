"""bench/essential_timers.py, the floor a burst of due timers is measured against, must make the
product's decisions: for two cases reported at the same instant, the product's
`fire_due_timers` on one and the essential batch on the other leave the same timers (attempts,
due times, outcomes), the same accountability records and the same events (data, rooms, the
case's picture), modulo ids, seqs and the officers' distances. PostGIS only, as the bench
runs it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from bench.essential_timers import fire_batch
from dispatch.deadlines import fire_due_timers
from geo.distance import offset_point
from tests.helpers import ZHICHENG, location, report, seat


def _written(ctx: Any, case_id: str) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        timers = sorted(
            (r.unit_code, r.kind, r.milestone, r.attempt, r.deadline, r.due_at, r.fired_at,
             r.outcome) for r in conn.execute(text(
                "SELECT * FROM timers WHERE incident_id = :id"), {"id": case_id}))
        records = sorted((r.unit_code, r.milestone, r.due_at, r.recorded_at, r.round)
                         for r in conn.execute(text(
                             "SELECT * FROM overdue_records WHERE incident_id = :id"),
                             {"id": case_id}))
        events = [dict(r) for r in conn.execute(text(
            "SELECT e.type, e.data, e.audience, e.snapshot, e.request_id IS NOT NULL AS traced, "
            "(SELECT array_agg(room ORDER BY room) FROM event_audience a WHERE a.seq = e.seq) "
            "AS rooms FROM events e WHERE incident_id = :id AND type IN "
            "('offered', 'offer_unanswered', 'deadline_near', 'overdue') ORDER BY seq"),
            {"id": case_id}).mappings()]
    for e in events:
        e["snapshot"].pop("id"), e["snapshot"].pop("case_number")
        for officer in e["data"].get("officers", []):
            officer.pop("distance_m")
    return {"timers": timers, "records": records, "events": events}


@pytest.mark.parametrize("backend", ["postgis"])
def test_the_essential_timers_decide_what_the_product_decides(
        backend, client, login, ctx, clock):  # type: ignore[no-untyped-def]
    lon, lat = seat()
    for username, metres in (("officer-power_supply", 300), (f"officer-{ZHICHENG}", 120)):
        x, y = offset_point(lon, lat, 45, metres)
        assert client.post("/api/v1/officers/me/positions", headers=login(username), json=[{
            "lat": y, "lon": x, "accuracy_m": 5,
            "recorded_at": clock.now.isoformat()}]).status_code == 202
    reporter = login("demo-reporter")
    mine, theirs = (report(client, reporter).get_json()["id"] for _ in range(2))
    clock.advance(minutes=12)  # the town arrives on both: its offer is answered, arrival met
    for case in (mine, theirs):
        assert client.post(f"/api/v1/incidents/{case}/check-in",
                           headers=login(f"officer-{ZHICHENG}"),
                           json={"location": location(lon, lat)}).status_code == 200
    # Past the offers' repeats, the arrival's warning and its deadline: every decision but
    # "stale" (no deadline moved) comes up.
    clock.advance(minutes=19)
    fire_due_timers(ctx, incident_id=mine)
    raw = ctx.engine.raw_connection()
    try:
        assert fire_batch(raw.driver_connection, clock.now, ctx.settings,
                          incident_id=theirs) > 0
    finally:
        raw.close()
    a, b = _written(ctx, mine), _written(ctx, theirs)
    outcomes = {t[7] for t in a["timers"]}
    assert {"answered", "repeated", "met", "warned", "overdue"} <= outcomes, outcomes
    assert a["records"] and {e["type"] for e in a["events"]} == {
        "offered", "offer_unanswered", "deadline_near", "overdue"}
    for key in ("timers", "records", "events"):
        assert b[key] == a[key], key
