"""Hostile input, on PostGIS and SQLite: every value is checked where it enters, after conversion.

Each refusal is a problem naming the field, never a 500, and writes nothing. The examples are
a sample of their class: points off the earth once their datum is converted, unbounded accuracy,
device times outside the window, times that do not exist in UTC, NUL and lone surrogates in any
string, JSON nested too deep, bodies too large for their route, image bombs; and nothing NaN goes
out, over HTTP or Socket.IO.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zlib
from datetime import timedelta
from typing import Any

import pytest
from flask import jsonify

from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, count_rows, location, report, seat

LON, LAT = seat()
OFFICER = f"officer-{ZHICHENG}"
WRITES = (t.incidents, t.events, t.incident_units, t.photos, t.sites, t.idempotency_keys,
          t.officer_positions, t.officer_last_positions, t.timers)


def _rows(ctx) -> list[int]:  # type: ignore[no-untyped-def]
    return [count_rows(ctx, table) for table in WRITES]


def _raw(value: Any) -> str:
    """JSON text with every non-ASCII character escaped, lone surrogates included (`\\ud800`)."""
    return json.dumps(value, ensure_ascii=True)


def _refused(r, status: int, field: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert field in [e["field"] for e in problem.get("errors", [])], problem
    return problem  # type: ignore[no-any-return]


def _fix(clock, **kw) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"lat": LAT, "lon": LON, "accuracy_m": 5.0, "recorded_at": clock.now.isoformat(), **kw}


@pytest.fixture
def dispatched(client, login):  # type: ignore[no-untyped-def]
    """An incident accepted by the officer: ready for a check-in."""
    inc = report(client, login("demo-reporter")).get_json()
    officer = login(OFFICER)
    assert client.post(f"/api/v1/incidents/{inc['id']}/accept", headers=officer).status_code == 200
    return inc["id"], officer


# -- coordinates, after datum conversion ---------------------------------------------------------
OFF_THE_EARTH = [  # inside the input ranges, outside WGS-84 once converted
    ({"lat": -90.0, "lon": 112.6, "crs": "bd09"}, "lat"),   # 0.006 deg south of the pole
    ({"lat": -89.997, "lon": 0.0, "crs": "bd09"}, "lat"),
    ({"lat": 35.0, "lon": -180.0, "crs": "bd09"}, "lon"),    # across the antimeridian
]


@pytest.mark.parametrize("point,part", OFF_THE_EARTH, ids=[str(p) for p, _ in OFF_THE_EARTH])
def test_a_point_off_the_earth_after_conversion_is_refused_everywhere(client, login, ctx, clock,
                                                                      dispatched, point, part):
    incident_id, officer = dispatched
    reporter = login("demo-reporter")
    before = _rows(ctx)
    _refused(client.post("/api/v1/incidents", headers=reporter, json={
        "category": "other", "description": "x", "location": point}), 422, f"location.{part}")
    _refused(client.post("/api/v1/sites", headers=reporter, json={
        "name": "厂", "location": point}), 422, f"location.{part}")
    _refused(client.post("/api/v1/officers/me/positions", headers=officer,
                         json=[_fix(clock), _fix(clock, **point)]), 422, f"positions.1.{part}")
    _refused(client.post(f"/api/v1/incidents/{incident_id}/check-in", headers=officer,
                         json={"location": point}), 422, f"location.{part}")
    assert _rows(ctx) == before


def test_bd09_near_the_pole_converts_inside_the_range_and_is_then_judged_by_territory(
        client, login):
    """The boundary: the southernmost BD-09 latitude still on the earth is accepted as a point
    (and then refused as outside every territory, as any point so far away)."""
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"), json={
        "category": "other", "description": "x",
        "location": {"lat": -89.994, "lon": 112.6, "crs": "bd09"}})
    _refused(r, 422, "location")
    assert "outside every territory" in r.get_json()["detail"]


# -- accuracy ------------------------------------------------------------------------------------
@pytest.mark.parametrize("accuracy,ok", [(0.0, True), (10_000.0, True), (10_000.001, False),
                                         (-0.001, False), ("NaN", False), ("Infinity", False),
                                         ("1e400", False)])
def test_accuracy_is_finite_non_negative_and_at_most_10_km(client, login, ctx, clock,
                                                           accuracy, ok):
    officer = login(OFFICER)
    before = _rows(ctx)
    fix = _fix(clock)
    text = json.dumps([fix]).replace('"accuracy_m": 5.0', f'"accuracy_m": {accuracy}')
    r = client.post("/api/v1/officers/me/positions", headers=officer, data=text,
                    content_type="application/json")
    if ok:
        assert r.status_code == 202, r.get_json()
        assert count_rows(ctx, t.officer_positions) == before[WRITES.index(t.officer_positions)] + 1
    else:
        _refused(r, 422, "positions.0.accuracy_m")
        assert _rows(ctx) == before


# -- device times --------------------------------------------------------------------------------
WINDOW = [(timedelta(seconds=300), True), (timedelta(seconds=301), False),
          (-timedelta(seconds=86_400), True), (-timedelta(seconds=86_401), False),
          (timedelta(days=3650), False), (-timedelta(days=3650), False)]


@pytest.mark.parametrize("offset,ok", WINDOW, ids=[str(o) for o, _ in WINDOW])
def test_a_fix_is_believed_only_within_the_window_around_the_servers_clock(client, login, ctx,
                                                                           clock, offset, ok):
    officer = login(OFFICER)
    before = _rows(ctx)
    good = _fix(clock)
    bad = _fix(clock, recorded_at=(clock.now + offset).isoformat())
    r = client.post("/api/v1/officers/me/positions", headers=officer, json=[good, bad])
    if ok:
        assert r.status_code == 202 and r.get_json()["stored"] == 2, r.get_json()
    else:  # the whole batch is refused: nothing of it is stored, not even the good fix
        _refused(r, 422, "positions.1.recorded_at")
        assert _rows(ctx) == before


@pytest.mark.parametrize("offset,ok", WINDOW, ids=[str(o) for o, _ in WINDOW])
def test_a_check_in_is_believed_only_within_the_same_window(client, ctx, clock, dispatched,
                                                            offset, ok):
    incident_id, officer = dispatched
    before = _rows(ctx)
    r = client.post(f"/api/v1/incidents/{incident_id}/check-in", headers=officer, json={
        "location": location(LON, LAT), "recorded_at": (clock.now + offset).isoformat()})
    if ok:
        assert r.status_code == 200 and r.get_json()["status"] == "on_site", r.get_json()
    else:
        _refused(r, 422, "recorded_at")
        assert _rows(ctx) == before


def test_a_late_retry_of_an_accepted_check_in_is_replayed_not_refused(client, clock, dispatched):
    """The window judges new check-ins; a phone retrying with its key a day later gets the
    first answer, not a 422 for a time that was fine when it was first sent."""
    incident_id, officer = dispatched
    headers = {**officer, "Idempotency-Key": "late-retry"}
    body = {"location": location(LON, LAT), "recorded_at": clock.now.isoformat()}
    first = client.post(f"/api/v1/incidents/{incident_id}/check-in", headers=headers, json=body)
    assert first.status_code == 200, first.get_json()
    clock.advance(hours=25)
    again = client.post(f"/api/v1/incidents/{incident_id}/check-in", headers=headers, json=body)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["units"] == first.get_json()["units"]


# -- times that do not exist in UTC --------------------------------------------------------------
OVERFLOW = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+23:59"]


@pytest.mark.parametrize("when", OVERFLOW)
def test_a_time_that_overflows_in_utc_is_refused_naming_its_field(client, login, ctx, dispatched,
                                                                  when):
    incident_id, officer = dispatched
    before = _rows(ctx)
    _refused(client.post("/api/v1/officers/me/positions", headers=officer, json=[
        {"lat": LAT, "lon": LON, "recorded_at": when}]), 422, "positions.0.recorded_at")
    _refused(client.post(f"/api/v1/incidents/{incident_id}/check-in", headers=officer, json={
        "location": location(LON, LAT), "recorded_at": when}), 422, "recorded_at")
    for who in ("demo-commander", "demo-reporter", OFFICER):
        _refused(client.get("/api/v1/incidents", headers=login(who),
                            query_string={"since": when}), 422, "since")
    assert _rows(ctx) == before


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_the_extreme_times_that_do_exist_are_a_filter_not_an_error(client, login, when):
    r = client.get("/api/v1/incidents", headers=login("demo-commander"),
                   query_string={"since": when})
    assert r.status_code == 200, r.get_json()


# -- NUL and lone surrogates, in every string ----------------------------------------------------
BAD_TEXT = ["\x00", "a\x00b", "\ud800", "x\udfffy"]


def _string_fields(clock) -> list[tuple[str, str, dict[str, Any], str]]:  # type: ignore[no-untyped-def]
    """(user, path, body with BAD in one string, field) for every string a JSON body carries."""
    here = location(LON, LAT)
    rows = [
        ("", "/api/v1/auth/token", {"username": "BAD", "password": "demo"}, "username"),
        ("", "/api/v1/auth/token", {"username": "demo-reporter", "password": "BAD"}, "password"),
        ("demo-reporter", "/api/v1/incidents",
         {"category": "other", "description": "BAD", "location": here}, "description"),
        ("demo-reporter", "/api/v1/incidents",
         {"category": "BAD", "description": "x", "location": here}, "category"),
        ("demo-reporter", "/api/v1/incidents",
         {"category": "other", "description": "x", "site_id": "BAD"}, "site_id"),
        ("demo-reporter", "/api/v1/incidents",
         {"category": "other", "description": "x", "location": {**here, "crs": "BAD"}},
         "location.crs"),
        ("demo-reporter", "/api/v1/incidents",
         {"category": "other", "description": "x", "location": here, "BAD": 1}, "body"),
        ("demo-reporter", "/api/v1/incidents",
         {"category": "other", "description": "x", "location": {**here, "BAD": 1}}, "location"),
        ("demo-reporter", "/api/v1/sites", {"name": "BAD", "location": here}, "name"),
        ("demo-reporter", "/api/v1/sites", {"name": "厂", "location": here, "address": "BAD"},
         "address"),
        ("demo-admin", "/api/v1/sites", {"name": "厂", "location": here, "owner_id": "BAD"},
         "owner_id"),
        ("demo-admin", "/api/v1/sites",
         {"name": "厂", "location": here, "lead_department": "BAD"}, "lead_department"),
        (OFFICER, "/api/v1/officers/me/positions",
         {"positions": [_fix(clock), _fix(clock, recorded_at="BAD")]}, "positions.1.recorded_at"),
        (OFFICER, "/api/v1/officers/me/positions", [_fix(clock, crs="BAD")], "positions.0.crs"),
    ]
    return rows


@pytest.mark.parametrize("bad", BAD_TEXT, ids=["nul", "inner-nul", "surrogate", "inner-surrogate"])
def test_nul_and_lone_surrogates_are_refused_in_every_json_string(client, login, ctx, clock, bad):
    before = _rows(ctx)
    for user, path, body, field in _string_fields(clock):
        headers = login(user) if user else {}
        text = _raw(body).replace("BAD", _raw(bad)[1:-1])
        r = client.post(path, headers=headers, data=text, content_type="application/json")
        _refused(r, 422, field)
    assert _rows(ctx) == before


@pytest.mark.parametrize("bad", BAD_TEXT, ids=["nul", "inner-nul", "surrogate", "inner-surrogate"])
def test_nul_and_lone_surrogates_are_refused_in_the_work_on_a_case(client, ctx, dispatched, bad):
    incident_id, officer = dispatched
    before = _rows(ctx)
    text = _raw({"note": "BAD"}).replace("BAD", _raw(bad)[1:-1])
    for action in ("restore", "resolve"):
        r = client.post(f"/api/v1/incidents/{incident_id}/{action}", headers=officer, data=text,
                        content_type="application/json")
        _refused(r, 422, "note")
    assert _rows(ctx) == before


def test_nul_in_a_multipart_payload_is_refused(client, login, ctx):
    before = _rows(ctx)
    payload = _raw({"category": "other", "description": "a\x00b", "location": location(LON, LAT)})
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"),
                    content_type="multipart/form-data", data={"payload": payload})
    _refused(r, 422, "description")
    assert _rows(ctx) == before


@pytest.mark.parametrize("method,path,field", [
    ("get", "/api/v1/incidents/%00x", "incident_id"),
    ("get", "/api/v1/incidents/x%00/photos/y", "incident_id"),
    ("get", "/api/v1/incidents/x/photos/%00", "photo_id"),
    ("post", "/api/v1/incidents/%00/accept", "incident_id"),
    ("post", "/api/v1/incidents/%00/restore", "incident_id"),
    ("get", "/api/v1/incidents?unit=%00", "unit"),
    ("get", "/api/v1/incidents?status=reported,%00", "status"),
    ("get", "/api/v1/incidents?since=2026-01-01T00:00:00Z%00", "since"),
    ("get", "/api/v1/incidents?other=a%00", "other"),
    ("get", "/api/v1/units?x=%00", "x"),
    ("get", "/api/v1/incidents?%00=1", "query"),
])
def test_nul_in_the_path_or_the_query_is_refused_naming_it(client, login, ctx, method, path,
                                                           field):
    before = _rows(ctx)
    r = getattr(client, method)(path, headers=login(OFFICER))
    _refused(r, 422, field)
    assert _rows(ctx) == before


@pytest.mark.parametrize("path", ["/api/v1/incidents/%ED%A0%80", "/api/v1/incidents/%FF%FE",
                                  "/api/v1/incidents?unit=%ED%A0%80"])
def test_bytes_that_are_not_utf8_in_a_url_are_never_a_500(client, login, path):
    r = client.get(path, headers=login("demo-commander"))
    assert r.status_code in (200, 404, 422), r.get_data(as_text=True)
    assert r.is_json


def test_nul_in_the_idempotency_key_is_refused(client, login, ctx):
    before = _rows(ctx)
    reporter = login("demo-reporter")
    r = report(client, {**reporter, "Idempotency-Key": "key\x00one"})
    _refused(r, 422, "Idempotency-Key")
    assert _rows(ctx) == before


# -- JSON nested too deep ------------------------------------------------------------------------
def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("levels", [65, 3000])
def test_json_nested_too_deep_is_400_naming_the_body_on_every_json_route(client, login, ctx,
                                                                         dispatched, levels):
    incident_id, officer = dispatched
    reporter = login("demo-reporter")
    before = _rows(ctx)
    deep = _nested(levels)
    for path, headers, body in (
            ("/api/v1/auth/token", {}, deep if levels < 2000 else _nested(2000)),
            ("/api/v1/incidents", reporter, '{"category": "other", "description": ' + deep + "}"),
            ("/api/v1/sites", reporter, deep),
            ("/api/v1/officers/me/positions", officer, deep),
            (f"/api/v1/incidents/{incident_id}/check-in", officer, deep),
            (f"/api/v1/incidents/{incident_id}/restore", officer, deep)):
        r = client.post(path, headers=headers, data=body, content_type="application/json")
        problem = _refused(r, 400, "body")
        assert "deeper than 64" in problem["detail"], (path, problem)
    r = client.post("/api/v1/incidents", headers=reporter, content_type="multipart/form-data",
                    data={"payload": deep})
    _refused(r, 400, "payload")
    assert _rows(ctx) == before


def test_json_at_the_depth_limit_is_parsed_and_judged_by_the_model(client, login):
    deep = '{"category": "other", "description": "x", "location": ' + _nested(63) + "}"
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"), data=deep,
                    content_type="application/json")
    _refused(r, 422, "location")  # 64 levels deep: decoded, then refused by the model


# -- bodies larger than their route needs --------------------------------------------------------
def _padded(body: Any, size: int) -> bytes:
    text = json.dumps(body, ensure_ascii=False).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))  # trailing whitespace is valid JSON


@pytest.mark.parametrize("path,user,limit", [
    ("/api/v1/auth/token", "", 4 * 1024),
    ("/api/v1/incidents", "demo-reporter", 64 * 1024),
    ("/api/v1/sites", "demo-reporter", 64 * 1024),
    ("/api/v1/officers/me/positions", OFFICER, 256 * 1024),
])
def test_each_route_takes_a_body_up_to_its_limit_and_not_a_byte_more(client, login, ctx, clock,
                                                                     path, user, limit):
    headers = login(user) if user else {}
    body = {"/api/v1/auth/token": {"username": "demo-reporter", "password": "demo"},
            "/api/v1/incidents": {"category": "other", "description": "x",
                                  "location": location(LON, LAT)},
            "/api/v1/sites": {"name": "厂", "location": location(LON, LAT)},
            "/api/v1/officers/me/positions": [_fix(clock)]}[path]
    r = client.post(path, headers=headers, data=_padded(body, limit),
                    content_type="application/json")
    assert r.status_code in (200, 201, 202), r.get_json()
    before = _rows(ctx)
    r = client.post(path, headers=headers, data=_padded(body, limit + 1),
                    content_type="application/json")
    _refused(r, 413, "body")
    assert _rows(ctx) == before


def test_a_body_without_a_length_is_cut_off_at_the_routes_limit(client, login, ctx):
    before = _rows(ctx)
    body = _padded({"username": "demo-reporter", "password": "demo"}, 5000)
    r = client.post("/api/v1/auth/token", input_stream=io.BytesIO(body),
                    content_type="application/json",
                    environ_overrides={"wsgi.input_terminated": True})
    problem = _refused(r, 413, "body")
    assert "4096" in problem["detail"]  # the route's limit, not the photo limit
    assert _rows(ctx) == before


def test_a_report_with_photos_keeps_the_photo_limit(client, login):
    photo = _png(1000, 1000, real=True)
    assert len(photo) > 64 * 1024
    payload = json.dumps({"category": "other", "description": "x",
                          "location": location(LON, LAT)})
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"),
                    content_type="multipart/form-data",
                    data={"payload": payload, "photos": [(io.BytesIO(photo), "a.png")]})
    assert r.status_code == 201, r.get_json()


# -- image bombs ---------------------------------------------------------------------------------
def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png(width: int, height: int, real: bool = False) -> bytes:
    """A PNG whose header claims `width` x `height`; only a few bytes of pixels unless `real`."""
    if real:
        import os

        from PIL import Image
        buf = io.BytesIO()
        Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buf, "PNG")
        return buf.getvalue()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


@pytest.mark.parametrize("width,height,ok", [
    (8000, 5000, True),        # 40,000,000 pixels: the limit
    (8000, 5001, False),       # one row past it
    (10_000, 10_000, False),   # past Pillow's warning, below its error
    (20_000, 20_000, False),   # past Pillow's error (DecompressionBombError)
])
def test_an_image_is_judged_by_the_pixels_its_header_claims(client, login, ctx, width, height, ok):
    before = _rows(ctx)
    payload = json.dumps({"category": "other", "description": "x",
                          "location": location(LON, LAT)})
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"),
                    content_type="multipart/form-data",
                    data={"payload": payload, "photos": [(io.BytesIO(_png(width, height)),
                                                          "bomb.png")]})
    if ok:
        assert r.status_code == 201, r.get_json()
    else:
        problem = _refused(r, 422, "photos[0]")
        assert "40000000 pixels" in problem["detail"]
        assert _rows(ctx) == before
        assert [p for p in ctx.settings.photo_dir.rglob("*") if p.is_file()] == []


# -- nothing NaN goes out ------------------------------------------------------------------------
def test_a_nan_in_a_json_response_fails_loudly(app):
    with app.app_context(), pytest.raises(ValueError):
        jsonify(lat=math.nan)
    with app.app_context(), pytest.raises(ValueError):
        jsonify(accuracy_m=math.inf)


def _live(app, client, login, who: str):  # type: ignore[no-untyped-def]
    from server.extensions import socketio

    token = login(who)["Authorization"].split(" ", 1)[1]
    live = socketio.test_client(app, namespace="/live", auth={"token": token},
                                flask_test_client=client)
    assert live.is_connected("/live")
    return socketio, live


def test_a_nan_in_a_socket_event_fails_loudly(app, client, login):
    socketio, command = _live(app, client, login, "demo-commander")
    try:
        socketio.emit("officer.position", {"lat": 35.0, "lon": 112.6, "accuracy_m": 5.0},
                      to="command", namespace="/live")
        assert command.get_received("/live")[-1]["args"][0]["lat"] == 35.0
        with pytest.raises(ValueError):
            socketio.emit("officer.position", {"lat": math.nan, "lon": 112.6},
                          to="command", namespace="/live")
        assert command.get_received("/live") == []  # nothing half-sent
    finally:
        command.disconnect("/live")


# -- socket payloads -----------------------------------------------------------------------------
def test_a_socket_fix_is_checked_like_an_http_one(app, client, login, ctx, clock):
    _, officer = _live(app, client, login, OFFICER)
    before = _rows(ctx)
    try:
        for payload, field in (
                ({**_fix(clock), "lat": -90.0, "crs": "bd09"}, "lat"),
                ({**_fix(clock), "accuracy_m": 10_001.0}, "accuracy_m"),
                (_fix(clock, recorded_at=(clock.now + timedelta(seconds=301)).isoformat()),
                 "recorded_at"),
                (_fix(clock, recorded_at=OVERFLOW[0]), "recorded_at")):
            answer = officer.emit("position", payload, namespace="/live", callback=True)
            assert answer["ok"] is False, (payload, answer)
            assert answer["error"]["errors"][0]["field"] == field, answer
        assert _rows(ctx) == before
        assert officer.emit("position", _fix(clock), namespace="/live", callback=True)["ok"]
    finally:
        officer.disconnect("/live")


@pytest.mark.parametrize("packet,status,field", [
    ('2/live,1["position",' + _nested(5000) + "]", 400, "payload"),
    ('2/live,1["task.accept",{"incident_id":"\\u0000x"}]', 422, "incident_id"),
    ('2/live,1["position",{"lat":35,"lon":112.6,"crs":"\\ud800"}]', 422, "crs"),
    ('2/live,1["task.accept",{"incident_id":"\\u202ex"}]', 422, "incident_id"),
    ('2/live,1["resync",{"since_seq":0},{}]', 422, "payload"),
    ('2/live,1{"event":"resync"}', 400, "event"),
    ('2/live,1["no.such",{}]', 404, "event"),
    ("2/live,1not json", 400, "payload"),
], ids=["deep", "nul", "surrogate", "bidi", "two-args", "object", "unknown", "not-json"])
def test_a_hostile_socket_packet_is_answered_and_reaches_no_handler(app, client, login, ctx,
                                                                    packet, status, field):
    socketio, officer = _live(app, client, login, OFFICER)
    before = _rows(ctx)
    try:
        # Decoded by server.live_payloads.LivePacket: never an exception, always an answer.
        socketio.server._handle_eio_message(officer.eio_sid, packet)
        answer = officer.acks["args"][0]
        assert answer["ok"] is False and answer["error"]["status"] == status, answer
        assert answer["error"]["errors"][0]["field"] == field, answer
        assert _rows(ctx) == before
        assert officer.is_connected("/live")
    finally:
        officer.disconnect("/live")


# -- nothing NaN is stored, and one bad event never blocks the log -------------------------------
def test_a_nan_in_an_event_fails_its_transaction_and_stores_nothing(client, login, ctx):
    """A bug that puts NaN into a case's event must fail loudly, not poison the log."""
    from sqlalchemy.exc import StatementError

    from dispatch.events import EventType

    inc = report(client, login("demo-reporter")).get_json()
    before = _rows(ctx)
    with ctx.uow() as uow:
        incident = uow.incidents.get(inc["id"], for_update=True)
        incident.record(EventType.ACCEPTED, incident.received_at, None, distance_m=math.nan)
        with pytest.raises((ValueError, StatementError)):
            uow.commit()
    assert _rows(ctx) == before


def test_the_relay_passes_over_an_event_it_cannot_send(client, login, ctx):
    from dispatch.relay import Relay

    sent: list[int] = []

    def emit(name: str, data: dict[str, Any], rooms: list[str]) -> None:
        if data["type"] == "dispatched":  # stands for any event that will not encode
            raise ValueError("Out of range float values are not JSON compliant")
        sent.append(data["seq"])

    relay = Relay(ctx.uow, emit, ctx.settings)
    relay.start()
    report(client, login("demo-reporter"))
    assert relay.flush() == 3  # reported, then the two offers: the bad one did not stop them
    report(client, login("demo-reporter"))
    assert relay.flush() == 3 and len(sent) == 6 and sent == sorted(sent)
