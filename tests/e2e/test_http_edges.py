"""The HTTP edges behind the two real servers: gunicorn with the gevent websocket worker (the
production shape) and `make run`'s gevent server (`python -m server.serve`). What the servers
parse themselves (the request line, Content-Length) is where the app's rules could be bypassed,
so each is driven here with raw requests.

Both servers parse requests with gevent's pywsgi (gunicorn's gevent websocket worker uses it
instead of gunicorn's parser, so --limit-request-line does not apply): past 8 KiB of request line
it answers a bare 414 itself; below, the app's limit answers with a problem."""

from __future__ import annotations

import http.client
import io
import json
import os
import stat
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.e2e.procs import PY, Live, Processes, auth, free_port, wait_for
from tests.helpers import location, seat

LIMIT = 2048
ORIGIN = "https://ops.example.cn"
FAST_HASH = "pbkdf2:sha256:1000"


def _up(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(params=["gunicorn", "serve"])
def server(request, stack, tmp_path):  # type: ignore[no-untyped-def]
    """(name, base URL, instance folder) of a running server with DISPATCH_CORS_ORIGINS set."""
    port = free_port()
    if request.param == "gunicorn":
        procs = stack(redis=False, DISPATCH_CORS_ORIGINS=ORIGIN)
        procs.web("web", port)
        instance = None
    else:
        instance = tmp_path / "embedded"
        procs = Processes(tmp_path, {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
            "PORT": str(port), "DISPATCH_INSTANCE_PATH": str(instance),
            "DISPATCH_PASSWORD_HASH_METHOD": FAST_HASH, "DISPATCH_CORS_ORIGINS": ORIGIN})
        old = os.umask(0o022)  # the usual umask: files must be private anyway
        try:
            procs.start("serve", [PY, "-m", "server.serve"])
        finally:
            os.umask(old)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(base), 90, f"{request.param} to answer")
        yield request.param, base, instance
    finally:
        procs.stop_all()


def _raw(base: str, method: str, target: str, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request with the target sent byte for byte as given (no quoting, no normalising)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        if body:
            conn.send(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def _problem(result: tuple[int, dict[str, str], bytes], status: int) -> dict:  # type: ignore[type-arg]
    got, headers, body = result
    assert got == status, (got, headers, body[:300])
    assert headers["content-type"] == "application/problem+json", headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    problem = json.loads(body)
    assert problem["status"] == status
    return problem


def _pad(length: int, base: str = "/healthz?pad=") -> str:
    return base + "a" * (length - len(base))


def test_http_edges_behind_the_real_server(server):
    name, base, instance = server

    # Every answer: nosniff; personal ones no-store.
    status, headers, _ = _raw(base, "GET", "/healthz")
    assert status == 200 and headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    r = requests.post(f"{base}/api/v1/auth/token", timeout=10,
                      json={"username": "demo-reporter", "password": "demo"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"

    # The URL limit: at it served, one past a problem naming `url`, and so on up to the
    # servers' own limit; counted in bytes as sent, escapes included.
    assert _raw(base, "GET", _pad(LIMIT))[0] == 200
    for length in (LIMIT + 1, 4096, 6000, 8000):
        problem = _problem(_raw(base, "GET", _pad(length)), 414)
        assert problem["errors"][0]["field"] == "url", length
    escaped = "/api/v1/" + "%E6%B5%8E" * ((LIMIT - 8) // 9)  # 济, nine bytes as sent
    escaped += "b" * (LIMIT - len(escaped))
    _problem(_raw(base, "GET", escaped), 404)
    _problem(_raw(base, "GET", escaped + "b"), 414)
    # Past what the server itself reads (8 KiB) gevent answers a bare 414; the server stays up.
    status, _, _ = _raw(base, "GET", _pad(9000))
    assert status == 414
    assert _up(base)

    # 404, 405 with Allow, 413 announced by Content-Length before any byte of the body.
    _problem(_raw(base, "GET", "/api/v1/nope"), 404)
    result = _raw(base, "DELETE", "/api/v1/auth/token")
    _problem(result, 405)
    assert "POST" in result[1]["allow"]
    _problem(_raw(base, "POST", "/api/v1/auth/token",
                  {"Content-Type": "application/json", "Content-Length": str(10**9)}), 413)
    assert _up(base)

    # CORS: the configured origin, preflight included; any other origin gets nothing.
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}
    status, headers, _ = _raw(base, "OPTIONS", "/api/v1/incidents", {"Origin": ORIGIN, **preflight})
    assert status == 200 and headers["access-control-allow-origin"] == ORIGIN
    assert "idempotency-key" in headers["access-control-allow-headers"].lower()
    status, headers, _ = _raw(base, "OPTIONS", "/api/v1/incidents",
                              {"Origin": "https://evil.example", **preflight})
    assert not [h for h in headers if h.startswith("access-control-")]

    # A photo, through the server's file path: its checked type, inline, private.
    reporter = auth(base, "demo-reporter")
    lon, lat = seat()
    png = io.BytesIO()
    Image.new("RGB", (8, 6), (1, 2, 3)).save(png, "PNG")
    r = requests.post(f"{base}/api/v1/incidents", headers=reporter, timeout=10, data={
        "payload": json.dumps({"category": "road_blocked", "description": "路被堵了",
                               "location": location(lon, lat)})},
        files={"photos": ("x.html", png.getvalue(), "text/html")})
    assert r.status_code == 201, r.text
    photo = r.json()["photos"][0]
    got = requests.get(base + photo["url"], headers=reporter, timeout=10)
    assert got.status_code == 200 and got.content == png.getvalue()
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"] == f"inline; filename={photo['id']}.png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in got.headers["Cache-Control"]

    # The websocket upgrade passes through the same middleware untouched.
    live = Live(base, "demo-commander").connect()
    try:
        assert live.call("resync", {"since_seq": 0})["ok"] is True
    finally:
        live.disconnect()

    if instance is not None:  # the embedded default's files, made by the real process
        db = instance / "dispatch.sqlite3"
        for f in (instance / "secret_key", db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
