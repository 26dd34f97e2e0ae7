"""Listing and filters, sites, positions, health, and the generated OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.storage import tables as t
from geo.distance import offset_point
from tests.helpers import KEJING, ZHICHENG, count_rows, location, report, seat


def test_list_filters_and_pagination(client, login, clock):
    reporter = login("demo-reporter")
    report(client, reporter, "power_cut")
    clock.advance(minutes=1)
    report(client, reporter, "road_blocked", code=KEJING)
    clock.advance(minutes=1)
    third = report(client, reporter, "water_cut").get_json()
    cmd = login("demo-commander")

    def ids(query):  # type: ignore[no-untyped-def]
        r = client.get(f"/api/v1/incidents?{query}", headers=cmd)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    everything = ids("")
    assert everything["total"] == 3
    assert everything["items"][0]["id"] == third["id"]  # newest first
    assert ids("category=road_blocked")["total"] == 1
    assert ids("unit=traffic_police")["total"] == 1
    assert ids(f"unit={ZHICHENG}")["total"] == 2
    assert ids("status=dispatched,on_site")["total"] == 3
    assert ids("status=resolved")["total"] == 0
    lon, lat = seat(KEJING)
    assert ids(f"bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}")["total"] == 1
    assert ids(f"since={third['received_at']}")["total"] == 1
    page = ids("per_page=2&page=2")
    assert page["total"] == 3 and len(page["items"]) == 1 and page["page"] == 2
    assert ids("overdue=true")["total"] == 0
    clock.advance(minutes=31)
    overdue = ids("overdue=true")
    assert overdue["total"] == 3
    assert {o["milestone"] for o in overdue["items"][0]["overdue"]} == {"arrival"}
    # An officer sees only its unit's cases, a dispatcher too.
    assert client.get("/api/v1/incidents", headers=login("officer-traffic_police")
                      ).get_json()["total"] == 1
    assert client.get("/api/v1/incidents", headers=login(f"dispatcher-{ZHICHENG}")
                      ).get_json()["total"] == 2


def test_dispatcher_may_resolve_but_not_check_in(client, login, clock):
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    dispatcher = login(f"dispatcher-{ZHICHENG}")
    inc = report(client, reporter).get_json()
    lon, lat = seat()
    r = client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=dispatcher,
                    json={"location": location(lon, lat)})
    assert r.status_code == 403
    assert client.post(f"/api/v1/incidents/{inc['id']}/accept", headers=officer).status_code == 200
    clock.advance(minutes=10)
    assert client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=officer,
                       json={"location": location(lon, lat)}).status_code == 200
    assert client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=officer,
                       json={"note": "ok"}).status_code == 200
    r = client.post(f"/api/v1/incidents/{inc['id']}/resolve", headers=dispatcher,
                    json={"note": "done"})
    assert r.status_code == 200 and r.get_json()["status"] == "resolved"
    timeline = client.get(f"/api/v1/incidents/{inc['id']}",
                          headers=login("demo-commander")).get_json()["timeline"]
    assert [e["type"] for e in timeline] == ["reported", "dispatched", "offered", "offered",
                                             "accepted", "arrived", "restored", "resolved",
                                             "feedback_requested"]
    assert timeline[5]["data"]["on_time"] is True
    r = client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=officer,
                    json={"location": location(lon, lat)})
    assert r.status_code == 409


def test_report_at_a_green_channel_site(client, login):
    admin, reporter = login("demo-admin"), login("demo-reporter")
    me = client.post("/api/v1/auth/token", json={"username": "demo-reporter",
                                                 "password": "demo"}).get_json()["user_id"]
    lon, lat = seat()
    r = client.post("/api/v1/sites", headers=reporter, json={
        "name": "重点项目", "location": location(lon, lat), "green_channel": True})
    assert r.status_code == 403
    r = client.post("/api/v1/sites", headers=admin, json={
        "name": "重点项目工地", "location": location(lon, lat), "green_channel": True,
        "owner_id": me})
    assert r.status_code == 201, r.get_json()
    site = r.get_json()
    assert site["lead_department"] == "development_reform"
    r = client.post("/api/v1/incidents", headers=reporter, json={
        "category": "gate_blocked", "description": "工地大门被堵", "site_id": site["id"]})
    assert r.status_code == 201, r.get_json()
    inc = r.get_json()
    assert inc["green_channel"] is True and inc["site_id"] == site["id"]
    assert [u["code"] for u in inc["units"]] == [ZHICHENG, "development_reform", "petition",
                                                 "public_security"]
    listed = client.get("/api/v1/sites", headers=reporter).get_json()["items"]
    assert [s["id"] for s in listed] == [site["id"]]
    assert client.get("/api/v1/sites", headers=login("demo-reporter-2")).get_json()["items"] == []


def test_positions_batch_stores_history_and_latest_once(client, login, ctx, clock):
    officer = login(f"officer-{ZHICHENG}")
    lon, lat = seat()
    fixes = []
    for i in range(3):
        x, y = offset_point(lon, lat, 90, 100 * i)
        fixes.append({"lat": y, "lon": x, "accuracy_m": 8,
                      "recorded_at": (clock.now + timedelta(seconds=10 * i)).isoformat()})
    r = client.post("/api/v1/officers/me/positions", headers=officer, json=fixes)
    assert r.status_code == 202 and r.get_json() == {"received": 3, "stored": 3}
    r = client.post("/api/v1/officers/me/positions", headers=officer, json={"positions": fixes})
    assert r.get_json() == {"received": 3, "stored": 0}  # a resent batch is not doubled
    assert count_rows(ctx, t.officer_positions) == 3
    assert count_rows(ctx, t.officer_last_positions) == 1
    r = client.post("/api/v1/officers/me/positions", headers=officer,
                    json=[{"lat": 35, "lon": 112}])
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "positions.0.recorded_at"
    r = client.post("/api/v1/officers/me/positions", headers=login("demo-reporter"), json=fixes)
    assert r.status_code == 403


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["checks"]["database"] == "ok"


def test_openapi_describes_every_route(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") or rule.rule in ("/healthz", "/readyz"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in documented, (path, method)
    create = spec["paths"]["/api/v1/incidents"]["post"]
    schema = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema.endswith("/IncidentCreate")
    assert "category" in spec["components"]["schemas"]["IncidentCreate"]["properties"]
    for path in ("/api/v1/incidents/{incident_id}/check-in", "/api/v1/units/boundaries",
                 "/api/v1/officers/me/positions", "/api/v1/auth/token", "/api/v1/sites"):
        assert path in spec["paths"]


@pytest.mark.parametrize("backend", ["postgis"], indirect=True)  # SQLite has no server to lose
def test_a_dropped_database_connection_is_a_503_then_recovers(client, login, ctx, backend):
    import psycopg2

    from tests.conftest import ADMIN_URL
    headers = login("demo-commander")
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (ctx.engine.url.database,))
    admin.close()
    r = client.get("/api/v1/incidents", headers=headers)
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
