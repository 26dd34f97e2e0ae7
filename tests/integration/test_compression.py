"""Compressed answers (server/compression.py): what the client accepts, where it pays, and
nothing broken on the way (problems, the sign-in answer, photos and their ETags, streams,
Socket.IO's polling transport, the probes)."""

from __future__ import annotations

import gzip
import io
import json

import brotli
import pytest
from backports import zstd
from flask import Response
from PIL import Image

from tests.helpers import KEJING, ZHICHENG, location, report, seat

MAP = "/api/v1/map/incidents"
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}


def _cases(client, login, n: int = 6) -> dict[str, str]:  # type: ignore[no-untyped-def]
    reporter = login("demo-reporter")
    for i in range(n):
        assert report(client, reporter, code=(ZHICHENG, KEJING)[i % 2]).status_code == 201
    return login("demo-commander")


def _vary(r) -> set[str]:  # type: ignore[no-untyped-def]
    return {v.strip().lower() for v in r.headers.get("Vary", "").split(",")}


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_the_map_is_compressed_in_the_encoding_asked_for(client, login, encoding):
    cmd = _cases(client, login)
    plain = client.get(MAP, headers=cmd)
    assert plain.headers.get("Content-Encoding") is None and "accept-encoding" in _vary(plain)
    r = client.get(MAP, headers={**cmd, "Accept-Encoding": encoding})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == encoding
    assert r.mimetype == "application/geo+json" and "accept-encoding" in _vary(r)
    assert int(r.headers["Content-Length"]) == len(r.data) < len(plain.data)
    body = json.loads(DECODE[encoding](r.data))
    assert body["features"] == json.loads(plain.data)["features"]


def test_the_servers_order_decides_among_equals_and_q_zero_refuses(client, login):
    cmd = _cases(client, login)
    r = client.get(MAP, headers={**cmd, "Accept-Encoding": "gzip, deflate, br, zstd"})
    assert r.headers["Content-Encoding"] == "zstd"  # a browser's header: the cheapest to make
    r = client.get(MAP, headers={**cmd, "Accept-Encoding": "br;q=0.5, gzip"})
    assert r.headers["Content-Encoding"] == "gzip"
    r = client.get(MAP, headers={**cmd, "Accept-Encoding": "identity"})
    assert r.headers.get("Content-Encoding") is None
    r = client.get(MAP, headers={**cmd, "Accept-Encoding": "compress"})  # not offered here
    assert r.headers.get("Content-Encoding") is None and json.loads(r.data)["features"]


def test_the_incident_list_is_compressed_too(client, login):
    cmd = _cases(client, login, 3)
    r = client.get("/api/v1/incidents", headers={**cmd, "Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and r.mimetype == "application/json"
    assert json.loads(gzip.decompress(r.data))["total"] == 3


def test_below_the_minimum_size_an_answer_goes_as_it_is(app, client, login):
    minimum = app.config["COMPRESS_MIN_SIZE"]
    cmd = login("demo-commander")
    small = client.get(MAP, headers={**cmd, "Accept-Encoding": "gzip"})  # no cases: tiny
    assert len(small.data) < minimum and small.headers.get("Content-Encoding") is None
    assert "accept-encoding" in _vary(small)
    r = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert r.get_json() == {"status": "ok"} and r.headers.get("Content-Encoding") is None


def test_at_the_minimum_it_is_compressed_one_byte_below_it_is_not(app, client, login):
    minimum = app.config["COMPRESS_MIN_SIZE"]
    with app.test_request_context("/api/v1/units", headers={"Accept-Encoding": "gzip"}):
        at = app.process_response(Response("x" * minimum, mimetype="application/json"))
        assert at.headers["Content-Encoding"] == "gzip"
    with app.test_request_context("/api/v1/units", headers={"Accept-Encoding": "gzip"}):
        below = app.process_response(Response("x" * (minimum - 1), mimetype="application/json"))
        assert below.headers.get("Content-Encoding") is None


def test_problems_are_never_compressed(client, login):
    cmd = login("demo-commander")
    r = client.get(f"{MAP}?bbox=1,2,3&category=flood&unit={'u' * 65}",
                   headers={**cmd, "Accept-Encoding": "gzip"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.headers.get("Content-Encoding") is None and r.get_json()["errors"]
    assert "accept-encoding" in _vary(r)
    r = client.get("/api/v1/nowhere", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 404 and r.headers.get("Content-Encoding") is None
    assert "accept-encoding" in _vary(r)


def test_the_sign_in_answer_is_never_compressed(client):
    r = client.post("/api/v1/auth/token", json={"username": "demo-commander", "password": "demo"},
                    headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("Content-Encoding") is None
    assert r.get_json()["access_token"] and "accept-encoding" in _vary(r)


def test_a_streamed_answer_is_not_compressed(app):
    def chunks():  # type: ignore[no-untyped-def]
        yield "[" + "1," * 2000
        yield "1]"

    with app.test_request_context("/api/v1/units", headers={"Accept-Encoding": "gzip, zstd"}):
        r = app.process_response(Response(chunks(), mimetype="application/json"))
        assert r.is_streamed and r.headers.get("Content-Encoding") is None
        assert "accept-encoding" in _vary(r)


def test_a_script_served_as_a_file_is_compressed_with_its_etag_per_encoding(app):
    from flask import send_file

    script = b"function hello() { return 42; }\n" * 200
    with app.test_request_context("/command/app.js", headers={"Accept-Encoding": "gzip"}):
        r = app.process_response(send_file(io.BytesIO(script), mimetype="text/javascript",
                                           etag="v1", max_age=0))
        assert r.headers["Content-Encoding"] == "gzip" and gzip.decompress(r.data) == script
        assert r.headers["ETag"] == '"v1:gzip"' and "accept-encoding" in _vary(r)
    with app.test_request_context("/command/app.js", headers={"Accept-Encoding": "gzip",
                                                              "If-None-Match": '"v1:gzip"'}):
        r = app.process_response(send_file(io.BytesIO(script), mimetype="text/javascript",
                                           etag="v1", max_age=0))
        assert r.status_code == 304


def test_a_range_is_sent_as_it_is(app):
    with app.test_request_context("/api/v1/units", headers={"Accept-Encoding": "gzip"}):
        r = Response("x" * 5000, status=206, mimetype="text/plain",
                     headers={"Content-Range": "bytes 0-4999/10000"})
        r = app.process_response(r)
        assert r.headers.get("Content-Encoding") is None and len(r.data) == 5000
        assert "accept-encoding" in _vary(r)


def test_photos_keep_their_bytes_type_and_etag(client, login):
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 20, 20)).save(buf, "PNG")
    png = buf.getvalue()
    lon, lat = seat()
    reporter = login("demo-reporter")
    r = client.post("/api/v1/incidents", headers=reporter, content_type="multipart/form-data",
                    data={"payload": json.dumps({"category": "road_blocked", "description": "堵",
                                                 "location": location(lon, lat)}),
                          "photos": [(io.BytesIO(png), "a.png")]})
    assert r.status_code == 201, r.get_json()
    url = r.get_json()["photos"][0]["url"]
    photo = client.get(url, headers={**reporter, "Accept-Encoding": "gzip, br, zstd"})
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.headers.get("Content-Encoding") is None and photo.data == png
    assert "accept-encoding" in _vary(photo)
    etag = photo.headers["ETag"]
    again = client.get(url, headers={**reporter, "Accept-Encoding": "gzip",
                                     "If-None-Match": etag})
    assert again.status_code == 304


def test_socketio_polling_is_left_to_engineio(client):
    r = client.get("/socket.io/?EIO=4&transport=polling", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    body = gzip.decompress(r.data) if r.headers.get("Content-Encoding") == "gzip" else r.data
    assert body.startswith(b"0{") and b'"sid"' in body  # Engine.IO's open packet, readable
