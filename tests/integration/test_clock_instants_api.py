"""Every surface that shows a case carries its `clocks` (the instants a page compares with its
clock: `dispatch.board.case_instants`), on both databases: the map, an incident, a list item, and
the `incident` of every live event (pushed and replayed by `resync`). Under settings where the
green channel's arrival warning and the category's differ, a green-channel case gets the green
channel's, an ordinary one the category's, and all four surfaces agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import START, _reset, make_test_app
from tests.helpers import ZHICHENG, location, report, seat

NAMESPACE = "/live"
# The category's arrival warned 25 min ahead of its 30; the green channel's 2 min ahead of 20.
SETTINGS = {"DEADLINES": {"default": {"arrival_warning": 1500}},
            "GREEN_CHANNEL_DEADLINES": {"default": {"arrival": 1200, "arrival_warning": 120}}}
_apps: dict[str, Any] = {}


def _z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture
def warned(backend, app, clock, tmp_path_factory, request):  # type: ignore[no-untyped-def]
    """An app with the settings above on the test database of `backend` (on SQLite a file of its
    own; `app` is asked for so that the clock is reset, as usual), emptied after each test."""
    if backend not in _apps:
        url = request.getfixturevalue("postgis_url") if backend == "postgis" else None
        _apps[backend] = make_test_app(url, tmp_path_factory.mktemp(f"warned-{backend}"), clock,
                                       **SETTINGS)
    yield _apps[backend]
    _reset(_apps[backend])


@pytest.fixture
def client(warned):  # type: ignore[no-untyped-def]
    return warned.test_client()


def _cases(client, login) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """A green-channel case (a report at a green-channel site) and an ordinary one."""
    reporter = login("demo-reporter")
    me = client.post("/api/v1/auth/token", json={"username": "demo-reporter",
                                                 "password": "demo"}).get_json()["user_id"]
    lon, lat = seat()
    site = client.post("/api/v1/sites", headers=login("demo-admin"), json={
        "name": "重点项目工地", "location": location(lon, lat), "green_channel": True,
        "owner_id": me}).get_json()
    green = client.post("/api/v1/incidents", headers=reporter, json={
        "category": "power_cut", "description": "工地停电", "site_id": site["id"]})
    assert green.status_code == 201, green.get_json()
    plain = report(client, reporter)
    assert plain.status_code == 201, plain.get_json()
    return green.get_json(), plain.get_json()


def _arrivals(clocks: dict) -> set[tuple[str, str]]:
    return {(m["due"], m["near_at"]) for m in clocks["milestones"] if m["milestone"] == "arrival"}


def test_each_case_has_its_own_channels_instants_on_every_surface(warned, client, login, clock):
    green, plain = _cases(client, login)
    cmd = login("demo-commander")
    # The instants, where the category's warning would have made the green case near at once.
    assert green["clocks"]["near_at"] == _z(START + timedelta(minutes=18))
    assert green["clocks"]["due"] == _z(START + timedelta(minutes=20))
    assert _arrivals(green["clocks"]) == {(_z(START + timedelta(minutes=20)),
                                           _z(START + timedelta(minutes=18)))}
    assert plain["clocks"]["near_at"] == _z(START + timedelta(minutes=5))
    assert _arrivals(plain["clocks"]) == {(_z(START + timedelta(minutes=30)),
                                           _z(START + timedelta(minutes=5)))}
    restore = [m for m in green["clocks"]["milestones"] if m["milestone"] == "restore"]
    assert restore == [{"milestone": "restore", "unit": None,
                        "due": _z(START + timedelta(hours=1)),
                        "near_at": _z(START + timedelta(minutes=45)),
                        "done_at": None, "on_time": None}]

    clock.set(START + timedelta(minutes=10))
    features = {f["id"]: f["properties"] for f in client.get(
        "/api/v1/map/incidents", headers=cmd).get_json(force=True)["features"]}
    listed = {i["id"]: i for i in client.get("/api/v1/incidents", headers=cmd
                                             ).get_json()["items"]}
    for case, state in ((green, "on_time"), (plain, "near")):
        detail = client.get(f"/api/v1/incidents/{case['id']}", headers=cmd).get_json()
        assert detail["clocks"] == case["clocks"] == listed[case["id"]]["clocks"] \
            == features[case["id"]]["clocks"]
        assert features[case["id"]]["state"] == state


def test_the_map_state_is_the_comparison_of_its_instants_with_the_time(warned, client, login,
                                                                      clock):
    green, plain = _cases(client, login)
    cmd = login("demo-commander")
    for minutes in (4, 5, 17, 18, 20, 21, 31):
        now = START + timedelta(minutes=minutes)
        clock.set(now)
        for f in client.get("/api/v1/map/incidents", headers=cmd).get_json(force=True)["features"]:
            k, p = f["properties"]["clocks"], f["properties"]
            late = k["due"] is not None and now > datetime.fromisoformat(k["due"])
            near = k["near_at"] is not None and now >= datetime.fromisoformat(k["near_at"])
            assert p["state"] == ("overdue" if late else "near" if near else k["calm"]), (
                minutes, f["id"] == green["id"])
    assert plain  # both cases were judged above


def test_a_met_deadline_says_when_and_whether_on_time(warned, client, login, clock):
    green, _ = _cases(client, login)
    lon, lat = seat()
    clock.set(START + timedelta(minutes=21))  # a minute past the green channel's arrival
    r = client.post(f"/api/v1/incidents/{green['id']}/check-in",
                    headers=login(f"officer-{ZHICHENG}"), json={"location": location(lon, lat)})
    assert r.status_code == 200, r.get_json()
    [town] = [m for m in r.get_json()["clocks"]["milestones"] if m["unit"] == ZHICHENG]
    assert (town["done_at"], town["on_time"]) == (_z(START + timedelta(minutes=21)), False)
    # The case stays overdue by its other units' arrivals.
    assert r.get_json()["clocks"]["due"] == _z(START + timedelta(minutes=20))


def test_every_live_event_carries_the_instants_pushed_and_replayed(warned, client, login):
    from server.extensions import socketio

    ctx = warned.extensions["dispatch"]
    ctx.relay.start()
    try:
        token = client.post("/api/v1/auth/token", json={"username": "demo-commander",
                                                        "password": "demo"}).get_json()
        sock = socketio.test_client(warned, namespace=NAMESPACE,
                                    auth={"token": token["access_token"]})
        green, plain = _cases(client, login)
        pushed = [m["args"][0] for m in sock.get_received(NAMESPACE)]
        replayed = sock.emit("resync", {"since_seq": 0}, namespace=NAMESPACE, callback=True)
        sock.disconnect(namespace=NAMESPACE)
    finally:
        ctx.relay.watermark = None
    assert replayed["ok"] and not replayed["more"]
    assert [e["seq"] for e in pushed] == [e["data"]["seq"] for e in replayed["events"]]
    for sent in (pushed, [e["data"] for e in replayed["events"]]):
        for case in (green, plain):
            mine = [e["incident"] for e in sent if e["incident_id"] == case["id"]]
            assert mine and all("clocks" in i for i in mine)
            # The last event's case is the case as the API shows it, clocks and all.
            assert mine[-1]["clocks"] == case["clocks"]
