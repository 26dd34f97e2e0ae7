"""GET /api/v1/map/incidents: the open cases for the command center's map, on both databases.

Its shape (GeoJSON, checked against the document's model), who sees what, each clock state at
its boundaries on the fake clock, the filters and their refusals, the `seq` a live page starts
from, and a number of statements that does not grow with the number of cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dispatch import supervision
from dispatch.storage import tables as t
from mobile_api.schemas import MapCollection
from tests.conftest import START
from tests.helpers import KEJING, ZHICHENG, location, report, seat, statements

URL = "/api/v1/map/incidents"
SECOND = timedelta(seconds=1)


def _map(client, headers, query: str = ""):  # type: ignore[no-untyped-def]
    r = client.get(f"{URL}?{query}" if query else URL, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.mimetype == "application/geo+json"
    body = r.get_json(force=True)
    MapCollection.model_validate(body)  # the document describes exactly this
    return body


def _ids(client, headers, query: str = "") -> set[str]:  # type: ignore[no-untyped-def]
    return {f["id"] for f in _map(client, headers, query)["features"]}


def _one(client, headers, incident_id: str) -> dict:  # type: ignore[no-untyped-def]
    found = [f for f in _map(client, headers)["features"] if f["id"] == incident_id]
    assert len(found) == 1
    return found[0]["properties"]


def _last_seq(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.max(t.events.c.seq))).scalar() or 0)


def test_a_case_on_the_map_as_geojson(client, login):
    reporter = login("demo-reporter")
    inc = report(client, reporter).get_json()
    body = _map(client, login("demo-commander"))
    assert body["type"] == "FeatureCollection" and body["generated_at"] == "2026-11-27T02:00:00Z"
    [feature] = body["features"]
    lon, lat = seat()
    assert feature["id"] == inc["id"] and feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point",
                                   "coordinates": [round(lon, 6), round(lat, 6)]}
    p = feature["properties"]
    assert p == {
        "case_number": "JY311-20261127-0001",  # the day's first case, 10:00 in Jiyuan
        "category": "power_cut", "status": "dispatched", "territory": ZHICHENG,
        "received_at": "2026-11-27T02:00:00Z", "green_channel": False, "reopened": False,
        "units": [{"code": code, "kind": kind, "accepted": False}
                  for code, kind in ((ZHICHENG, "territory"), ("power_supply", "department"))],
        "next_due": {"at": "2026-11-27T02:30:00Z", "milestone": "arrival", "unit": ZHICHENG},
        "state": "on_time",
        "clocks": {
            "near_at": "2026-11-27T02:20:00Z", "due": "2026-11-27T02:30:00Z", "calm": "on_time",
            "milestones": [
                *({"milestone": "arrival", "unit": code, "due": "2026-11-27T02:30:00Z",
                   "near_at": "2026-11-27T02:20:00Z", "done_at": None, "on_time": None}
                  for code in (ZHICHENG, "power_supply")),
                {"milestone": "restore", "unit": None, "due": "2026-11-27T03:00:00Z",
                 "near_at": "2026-11-27T02:45:00Z", "done_at": None, "on_time": None},
                {"milestone": "resolve", "unit": None, "due": "2026-12-04T02:00:00Z",
                 "near_at": "2026-12-03T02:00:00Z", "done_at": None, "on_time": None}]},
    }


def test_coordinates_are_rounded_to_six_decimals(client, login):
    lon, lat = seat()
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"), json={
        "category": "water_cut", "description": "停水",
        "location": location(lon + 0.0000004444, lat + 0.0000005555)})
    assert r.status_code == 201, r.get_json()
    [feature] = _map(client, login("demo-commander"))["features"]
    assert feature["geometry"]["coordinates"] == [round(lon + 0.0000004444, 6),
                                                  round(lat + 0.0000005555, 6)]
    assert all(len(str(c).split(".")[1]) <= 6 for c in feature["geometry"]["coordinates"])


def test_every_status_but_closed_is_on_the_map(client, login, ctx):
    reporter, cmd = login("demo-reporter"), login("demo-commander")
    cases = [report(client, reporter).get_json()["id"] for _ in range(3)]
    with ctx.engine.begin() as conn:
        conn.execute(update(t.incidents).where(t.incidents.c.id == cases[0])
                     .values(status="closed"))
        conn.execute(update(t.incidents).where(t.incidents.c.id == cases[1])
                     .values(status="resolved"))
    assert _ids(client, cmd) == set(cases[1:])


# -- who sees what --------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "sees_zhicheng", "sees_kejing"), [
    ("demo-commander", True, True), ("demo-admin", True, True),
    (f"dispatcher-{ZHICHENG}", True, False), (f"officer-{ZHICHENG}", True, False),
    (f"dispatcher-{KEJING}", False, True), (f"officer-{KEJING}", False, True),
    ("dispatcher-power_supply", True, False), ("officer-traffic_police", False, True),
    ("dispatcher-water_supply", False, False),
    ("demo-reporter", True, False), ("demo-reporter-2", False, True),
])
def test_each_role_sees_its_scope_and_no_more(client, login, who, sees_zhicheng, sees_kejing):
    zhicheng = report(client, login("demo-reporter"), "power_cut").get_json()["id"]
    kejing = report(client, login("demo-reporter-2"), "road_blocked", code=KEJING
                    ).get_json()["id"]
    expected = {i for i, seen in ((zhicheng, sees_zhicheng), (kejing, sees_kejing)) if seen}
    headers = login(who)
    assert _ids(client, headers) == expected
    # A filter never widens the scope.
    assert _ids(client, headers, f"unit={KEJING}") == expected & {kejing}
    assert _ids(client, headers, "category=power_cut") == expected & {zhicheng}


def test_without_a_valid_token_it_is_401(client):
    r = client.get(URL)
    assert r.status_code == 401 and r.mimetype == "application/problem+json"


# -- states at their boundaries -------------------------------------------------------------------
ARRIVAL = START + timedelta(minutes=30)
NEAR_ARRIVAL = ARRIVAL - timedelta(minutes=10)  # the default arrival warning


@pytest.mark.parametrize(("at", "state"), [
    (NEAR_ARRIVAL - SECOND, "on_time"),
    (NEAR_ARRIVAL, "near"),
    (ARRIVAL, "near"),
    (ARRIVAL + SECOND, "overdue"),
])
def test_arrival_clock_state_at_its_boundaries(client, login, clock, at, state):
    inc = report(client, login("demo-reporter")).get_json()
    clock.set(at)
    p = _one(client, login("demo-commander"), inc["id"])
    assert p["state"] == state
    assert p["next_due"] == {"at": "2026-11-27T02:30:00Z", "milestone": "arrival",
                             "unit": ZHICHENG}


def test_restored_then_near_resolve_then_resolved_and_reopened(client, login, ctx, clock):
    reporter, cmd = login("demo-reporter"), login("demo-commander")
    officer, dept = login(f"officer-{ZHICHENG}"), login("officer-power_supply")
    inc = report(client, reporter).get_json()
    lon, lat = seat()
    for who in (officer, dept):
        clock.advance(minutes=5)
        r = client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=who,
                        json={"location": location(lon, lat)})
        assert r.status_code == 200, r.get_json()
    p = _one(client, cmd, inc["id"])
    assert p["status"] == "on_site" and p["state"] == "on_time"
    assert [u["accepted"] for u in p["units"]] == [True, True]
    assert [(m["unit"], m["done_at"], m["on_time"]) for m in p["clocks"]["milestones"]
            if m["milestone"] == "arrival"] == [(ZHICHENG, "2026-11-27T02:05:00Z", True),
                                                ("power_supply", "2026-11-27T02:10:00Z", True)]
    assert p["next_due"] == {"at": "2026-11-27T03:00:00Z", "milestone": "restore", "unit": None}
    assert client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=officer,
                       json={"note": "ok"}).status_code == 200
    p = _one(client, cmd, inc["id"])
    assert p["state"] == "restored"
    assert p["next_due"] == {"at": "2026-12-04T02:00:00Z", "milestone": "resolve", "unit": None}
    clock.set(START + timedelta(days=6) - SECOND)  # one day before resolve, less a second
    assert _one(client, cmd, inc["id"])["state"] == "restored"
    clock.set(START + timedelta(days=6))
    assert _one(client, cmd, inc["id"])["state"] == "near"
    assert client.post(f"/api/v1/incidents/{inc['id']}/resolve", headers=officer,
                       json={"note": "done"}).status_code == 200
    p = _one(client, cmd, inc["id"])
    assert p["state"] == "resolved" and p["next_due"] is None and p["reopened"] is False
    with ctx.uow() as uow:
        me = uow.users.by_username("demo-reporter")
    supervision.reopen(ctx, me, inc["id"], "not fixed")
    p = _one(client, cmd, inc["id"])
    assert p["reopened"] is True and p["status"] == "reopened" and p["state"] == "on_time"
    assert p["clocks"]["milestones"][-1]["due"] == "2026-12-10T02:00:00Z"


# -- filters and their refusals ------------------------------------------------------------------
def test_filters_by_bbox_unit_and_category(client, login):
    reporter, cmd = login("demo-reporter"), login("demo-commander")
    power = report(client, reporter, "power_cut").get_json()["id"]
    road = report(client, reporter, "road_blocked", code=KEJING).get_json()["id"]
    lon, lat = seat(KEJING)
    assert _ids(client, cmd, f"bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}") == {road}
    assert _ids(client, cmd, f"bbox={lon},{lat},{lon},{lat}") == {road}  # a point on its edge
    assert _ids(client, cmd, "bbox=0,0,1,1") == set()
    assert _ids(client, cmd, "unit=traffic_police") == {road}
    assert _ids(client, cmd, f"unit={ZHICHENG}") == {power}
    assert _ids(client, cmd, "unit=no_such_unit") == set()
    assert _ids(client, cmd, "category=power_cut") == {power}
    assert _ids(client, cmd, f"unit={KEJING}&category=power_cut") == set()


@pytest.mark.parametrize(("query", "field"), [
    ("bbox=1,2,3", "bbox.3"),  # the missing fourth
    ("bbox=1,2,3,x", "bbox.3"),
    ("bbox=3,0,1,1", "bbox"),  # min above max
    ("bbox=-181,0,1,1", "bbox"),
    ("bbox=0,0,1,nan", "bbox.3"),
    ("category=flood", "category"),
    ("unit=" + "u" * 65, "unit"),
    ("status=closed", "status"),  # not a filter of the map
])
def test_bad_filters_are_422_naming_the_field(client, login, query, field):
    r = client.get(f"{URL}?{query}", headers=login("demo-commander"))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert field in [e["field"] for e in r.get_json()["errors"]], r.get_json()


def test_the_unit_filter_at_its_length_limit_is_read(client, login):
    assert _ids(client, login("demo-commander"), "unit=" + "u" * 64) == set()


# -- seq: where a live page starts ----------------------------------------------------------------
def test_seq_is_the_last_event_written_before_the_read(client, login, ctx):
    cmd = login("demo-commander")
    assert _map(client, cmd)["seq"] >= _last_seq(ctx)  # earlier tests' events are deleted
    inc = report(client, login("demo-reporter")).get_json()
    before = _map(client, cmd)
    assert before["seq"] == _last_seq(ctx) > 0
    assert client.post(f"/api/v1/incidents/{inc['id']}/accept",
                       headers=login(f"officer-{ZHICHENG}")).status_code == 200
    after = _map(client, cmd)
    with ctx.engine.connect() as conn:
        later = conn.execute(select(t.events.c.type).where(t.events.c.seq > before["seq"])
                             .order_by(t.events.c.seq)).scalars().all()
    # What happened after the first read is exactly what a live page would apply from it...
    assert later == ["accepted"] and after["seq"] == _last_seq(ctx) == before["seq"] + 1
    # ...and the second read already shows it.
    assert after["features"][0]["properties"]["units"][0]["accepted"] is True


# -- the number of statements ---------------------------------------------------------------------


def test_the_read_takes_the_same_statements_for_one_case_or_many(client, login, ctx):
    reporter, cmd = login("demo-reporter"), login("demo-commander")
    report(client, reporter)
    with statements(ctx.engine) as one:
        assert len(_map(client, cmd)["features"]) == 1
    for code in (ZHICHENG, KEJING, ZHICHENG, KEJING):
        report(client, reporter, "gate_blocked", code=code)
    with statements(ctx.engine) as five:
        assert len(_map(client, cmd)["features"]) == 5
    assert len(one) == len(five)
    assert sum("incident_units" in s and "FROM incidents" not in s.split("WHERE")[0]
               for s in five) == 1  # the units of all the cases at once


# -- seq under concurrent writers -----------------------------------------------------------------
def test_a_read_during_reports_misses_nothing_at_or_below_its_seq(app, client, login, ctx):
    """Maps read while four threads report: every case whose `dispatched` event has a seq at or
    below a map's `seq` is on that map (a live page starting from it misses nothing)."""
    import threading

    reporter, cmd = login("demo-reporter"), login("demo-commander")
    stop = threading.Event()
    errors: list[str] = []

    def keep_reporting() -> None:
        own = app.test_client()
        while not stop.is_set():
            r = report(own, reporter, code=ZHICHENG)
            if r.status_code != 201:
                errors.append(r.get_data(as_text=True))

    writers = [threading.Thread(target=keep_reporting) for _ in range(4)]
    for w in writers:
        w.start()
    try:
        maps = [_map(client, cmd) for _ in range(8)]
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=60)
    assert not errors, errors[:1]
    with ctx.engine.connect() as conn:
        dispatched = conn.execute(select(t.events.c.incident_id, t.events.c.seq)
                                  .where(t.events.c.type == "dispatched")).all()
    assert len(dispatched) > len(maps[0]["features"])  # reports did land between the reads
    for m in maps:
        on_map = {f["id"] for f in m["features"]}
        missed = {i for i, seq in dispatched if seq <= m["seq"]} - on_map
        assert not missed, (m["seq"], missed)


# -- kept per seq, judged at each answer (mobile_api.map_cache) ----------------------------------
def test_a_kept_map_is_judged_again_and_is_the_uncached_read_byte_for_byte(
        app, client, login, ctx, clock):
    from dispatch import queries
    from mobile_api import jsonio, serializers

    reporter, cmd = login("demo-reporter"), login("demo-commander")
    report(client, reporter)
    report(client, reporter, "gate_blocked", code=KEJING)
    assert {f["properties"]["state"] for f in _map(client, cmd)["features"]} == {"on_time"}
    cache = app.extensions["map_cache"]
    hits = cache.hits
    clock.advance(minutes=20)  # the arrivals' warning instant: no event, the state moves
    r = client.get(URL, headers=cmd)
    assert cache.hits == hits + 1
    with ctx.uow() as uow:
        commander = uow.users.by_username("demo-commander")
    fresh = serializers.open_cases(queries.open_cases(ctx, commander, queries.MapFilters()))
    assert r.get_data(as_text=True) == jsonio.dumps(fresh, ensure_ascii=False,
                                                    separators=(",", ":"))
    assert {f["properties"]["state"] for f in fresh["features"]} == {"near"}
    # A new event: read again (the accept is on the next answer).
    inc = fresh["features"][0]["id"]
    officer = login(f"officer-{KEJING}" if fresh["features"][0]["properties"]["territory"]
                    == KEJING else f"officer-{ZHICHENG}")
    assert client.post(f"/api/v1/incidents/{inc}/accept", headers=officer).status_code == 200
    misses = cache.misses
    assert _one(client, cmd, inc)["units"][0]["accepted"] is True
    assert cache.misses == misses + 1
