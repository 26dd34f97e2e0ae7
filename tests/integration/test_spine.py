"""The issue's "Done when", through the HTTP API, on PostGIS and on SQLite."""

from __future__ import annotations

from datetime import datetime, timedelta

from geo.crs import from_wgs84
from geo.distance import geodesic_distance_m
from tests.helpers import ZHICHENG, location, report, seat


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_power_cut_at_zhicheng_seat_is_clocked_for_its_town_and_power_supply(client, login, clock):
    headers = login("demo-reporter")
    r = report(client, headers, "power_cut")
    assert r.status_code == 201, r.get_json()
    inc = r.get_json()
    assert inc["territory"] == {"code": ZHICHENG, "name": "轵城镇"}
    assert [u["code"] for u in inc["units"]] == [ZHICHENG, "power_supply"]
    assert inc["status"] == "dispatched"
    received = _iso(inc["received_at"])
    assert received == clock.now
    assert _iso(inc["deadlines"]["arrival"]) - received == timedelta(minutes=30)
    assert _iso(inc["deadlines"]["restore"]) - received == timedelta(hours=1)
    assert _iso(inc["deadlines"]["resolve"]) - received == timedelta(days=7)
    assert all(_iso(u["arrival_due"]) == received + timedelta(minutes=30) for u in inc["units"])

    full = client.get(f"/api/v1/incidents/{inc['id']}", headers=headers).get_json()
    types = [e["type"] for e in full["timeline"]]
    assert types[:2] == ["reported", "dispatched"]
    seqs = [e["seq"] for e in full["timeline"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_same_place_in_gcj02_and_bd09_lands_in_same_unit_within_a_metre(client, login):
    headers = login("demo-reporter")
    lon, lat = seat()
    for crs in ("gcj02", "bd09"):
        x, y = from_wgs84(lon, lat, crs)
        assert geodesic_distance_m(lon, lat, x, y) > 300  # the datum offset is real here
        r = client.post("/api/v1/incidents", headers=headers, json={
            "category": "water_cut", "description": "停水", "location": location(x, y, crs)})
        assert r.status_code == 201, r.get_json()
        inc = r.get_json()
        assert inc["territory"]["code"] == ZHICHENG
        stored = inc["location"]
        assert geodesic_distance_m(lon, lat, stored["lon"], stored["lat"]) < 1.0


def _check_in(client, headers, incident_id, lon, lat, crs="wgs84", accuracy_m=10.0):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/incidents/{incident_id}/check-in", headers=headers,
                       json={"location": location(lon, lat, crs, accuracy_m)})


def test_arrival_at_29_minutes_is_on_time_and_at_31_late(client, login, clock):
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    lon, lat = seat()
    results = {}
    for minutes in (29, 31):
        clock.set(clock.now + timedelta(hours=2))
        received = clock.now
        inc = report(client, reporter).get_json()
        clock.set(received + timedelta(minutes=minutes))
        r = _check_in(client, officer, inc["id"], lon, lat)
        assert r.status_code == 200, r.get_json()
        unit = next(u for u in r.get_json()["units"] if u["code"] == ZHICHENG)
        assert _iso(unit["arrived_at"]) == received + timedelta(minutes=minutes)
        results[minutes] = unit["arrival_on_time"]
        other = next(u for u in r.get_json()["units"] if u["code"] == "power_supply")
        assert other["arrived_at"] is None  # each unit has its own arrival
        assert r.get_json()["status"] == "on_site"
    assert results == {29: True, 31: False}


def test_restore_and_resolve_on_time_at_their_deadlines_and_late_after(client, login, clock):
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    lon, lat = seat()
    outcomes = []
    for late in (timedelta(0), timedelta(seconds=1)):
        clock.advance(days=10)
        received = clock.now
        inc = report(client, reporter).get_json()
        clock.set(received + timedelta(minutes=5))
        assert _check_in(client, officer, inc["id"], lon, lat).status_code == 200
        clock.set(received + timedelta(hours=1) + late)
        r = client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=officer,
                        json={"note": "通道已恢复"})
        assert r.status_code == 200, r.get_json()
        clock.set(received + timedelta(days=7) + late)
        r = client.post(f"/api/v1/incidents/{inc['id']}/resolve", headers=officer,
                        json={"note": "线路已修复"})
        assert r.status_code == 200, r.get_json()
        m = r.get_json()["milestones"]
        assert r.get_json()["status"] == "resolved"
        outcomes.append((m["restored_on_time"], m["resolved_on_time"]))
    assert outcomes == [(True, True), (False, False)]


def test_out_of_order_milestones_are_409_with_the_rule(client, login):
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    inc = report(client, reporter).get_json()
    r = client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=officer, json={"note": ""})
    assert r.status_code == 409
    assert "on site" in r.get_json()["detail"]
    r = client.post(f"/api/v1/incidents/{inc['id']}/resolve", headers=officer, json={"note": ""})
    assert r.status_code == 409
    assert "restored" in r.get_json()["detail"]


def test_check_in_150_m_away_is_accepted_and_900_m_refused_with_both_figures(client, login):
    from geo.distance import offset_point
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    inc = report(client, reporter).get_json()
    site_lon, site_lat = inc["location"]["lon"], inc["location"]["lat"]

    far = offset_point(site_lon, site_lat, 45, 900)
    r = _check_in(client, officer, inc["id"], *far, accuracy_m=10)
    assert r.status_code == 422
    problem = r.get_json()
    assert r.mimetype == "application/problem+json"
    assert "900 m" in problem["detail"] and "210 m" in problem["detail"]
    assert problem["errors"][0]["field"] == "location"

    near = offset_point(site_lon, site_lat, 45, 150)
    r = _check_in(client, officer, inc["id"], *near, accuracy_m=10)
    assert r.status_code == 200, r.get_json()
    unit = next(u for u in r.get_json()["units"] if u["code"] == ZHICHENG)
    assert 149 <= unit["arrival_distance_m"] <= 151


def test_gcj02_fix_is_judged_after_conversion(client, login):
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    inc = report(client, reporter).get_json()
    lon, lat = inc["location"]["lon"], inc["location"]["lat"]
    glon, glat = from_wgs84(lon, lat, "gcj02")
    # The phone's GCJ-02 numbers taken as WGS-84 would be ~550 m off: refused.
    r = _check_in(client, officer, inc["id"], glon, glat, crs="wgs84")
    assert r.status_code == 422
    assert "you are 5" in r.get_json()["detail"]
    # Said to be GCJ-02, they are converted and land on the site.
    r = _check_in(client, officer, inc["id"], glon, glat, crs="gcj02")
    assert r.status_code == 200, r.get_json()


def test_reporter_cannot_read_another_reporters_incident(client, login):
    inc = report(client, login("demo-reporter")).get_json()
    other = login("demo-reporter-2")
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/incidents", headers=other).get_json()["total"] == 0
    assert client.get(f"/api/v1/incidents/{inc['id']}",
                      headers=login("demo-reporter")).status_code == 200


def test_officer_of_kejing_cannot_act_on_an_incident_of_zhicheng(client, login):
    inc = report(client, login("demo-reporter")).get_json()
    kejing = login("officer-419001100")
    lon, lat = seat()
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=kejing).status_code == 404
    assert client.get("/api/v1/incidents", headers=kejing).get_json()["total"] == 0
    for action, body in (("accept", None), ("check-in", {"location": location(lon, lat)}),
                         ("restore", {"note": "x"}), ("resolve", {"note": "x"})):
        r = client.post(f"/api/v1/incidents/{inc['id']}/{action}", headers=kejing, json=body)
        assert r.status_code in (403, 404), (action, r.status_code)
    full = client.get(f"/api/v1/incidents/{inc['id']}", headers=login("demo-commander")).get_json()
    assert all(u["accepted_at"] is None and u["arrived_at"] is None for u in full["units"])
    assert [e["type"] for e in full["timeline"]] == ["reported", "dispatched", "offered",
                                                     "offered"]
    # The reporter's timeline leaves out the internal offers (who was asked to go).
    mine = client.get(f"/api/v1/incidents/{inc['id']}", headers=login("demo-reporter")).get_json()
    assert [e["type"] for e in mine["timeline"]] == ["reported", "dispatched"]


def test_replayed_idempotency_key_creates_nothing_new(client, login, ctx):
    from dispatch.storage import tables as t
    from tests.helpers import count_rows

    headers = {**login("demo-reporter"), "Idempotency-Key": "phone-42-report-7"}
    first = report(client, headers)
    assert first.status_code == 201
    counts = [count_rows(ctx, tab) for tab in (t.incidents, t.events, t.incident_units)]
    again = report(client, headers)
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert [count_rows(ctx, tab) for tab in (t.incidents, t.events, t.incident_units)] == counts
    different = report(client, headers, category="water_cut")
    assert different.status_code == 422
    assert different.get_json()["errors"][0]["field"] == "Idempotency-Key"
    # The same key from another user is that user's own key.
    other = report(client, {**login("demo-reporter-2"), "Idempotency-Key": "phone-42-report-7"})
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]


def test_replayed_check_in_records_one_arrival(client, login, clock):
    reporter = login("demo-reporter")
    officer = {**login(f"officer-{ZHICHENG}"), "Idempotency-Key": "checkin-1"}
    inc = report(client, reporter).get_json()
    lon, lat = seat()
    clock.advance(minutes=3)
    first = _check_in(client, officer, inc["id"], lon, lat)
    clock.advance(minutes=3)
    again = _check_in(client, officer, inc["id"], lon, lat)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["units"][0]["arrived_at"] == again.get_json()["units"][0]["arrived_at"]
    full = client.get(f"/api/v1/incidents/{inc['id']}", headers=reporter).get_json()
    assert [e["type"] for e in full["timeline"]].count("arrived") == 1
