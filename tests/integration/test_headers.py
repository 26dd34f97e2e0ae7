"""Headers and files (issue 6, point 4; CORS of point 7): what every answer carries, photos served
with their checked type, the HTTP errors as problems, the URL limit, private files, and CORS for
exactly the configured origins."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update

from dispatch.storage import tables as t
from server.http_policy import CACHEABLE, cors_origins, request_target_bytes
from tests.helpers import ZHICHENG, location, report, seat

LIMIT = 2048
ALLOWED = "https://ops.example.cn"
OTHER_ALLOWED = "https://command.example.cn"


# -- helpers -----------------------------------------------------------------------------------
@contextmanager
def side_app(**config):  # type: ignore[no-untyped-def]
    """Apps with their own configuration beside the session's. Flask-SocketIO's object is one
    per process: it is put back as it was right after each build, so that the session's app
    keeps its socket server (the side app keeps its own in its WSGI middleware)."""
    from server import create_app
    from server.extensions import socketio

    apps = []

    def build(**more):  # type: ignore[no-untyped-def]
        saved = {k: getattr(socketio, k, None)
                 for k in ("server", "sockio_mw", "server_options", "async_mode")}
        try:
            app = create_app({**config, **more})
            app.side_socketio_server = socketio.server
        finally:
            for k, v in saved.items():
                setattr(socketio, k, v)
        apps.append(app)
        return app
    try:
        yield build
    finally:
        for app in apps:
            app.extensions["dispatch"].engine.dispose()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


def _with_photo(client, headers) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    lon, lat = seat()
    payload = json.dumps({"category": "road_blocked", "description": "路被堵了",
                          "location": location(lon, lat)})
    r = client.post("/api/v1/incidents", headers=headers, content_type="multipart/form-data",
                    data={"payload": payload, "photos": [(io.BytesIO(_png()), "x.html")]})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    return body["id"], body["photos"][0]


def _target(length: int, base: str = "/healthz?pad=") -> str:
    assert length >= len(base)
    return base + "a" * (length - len(base))


def _assert_problem(r, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, (r.status_code, r.data[:300])
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["status"] == status and body["type"].startswith("https://")
    return body


def _assert_private(r) -> None:  # type: ignore[no-untyped-def]
    assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.request.path, r.headers)
    cache = r.headers.get("Cache-Control", "")
    assert "no-store" in cache and "public" not in cache, (r.request.path, cache)


# -- nosniff and no-store on every answer ---------------------------------------------------------
def _every_route(app, client, headers):  # type: ignore[no-untyped-def]
    """Each rule and method of the URL map, path parameters filled with ids that do not exist."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "nope", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            kw = {"json": {}} if method == "POST" else {}
            yield rule, client.open(path, method=method, headers=headers, **kw)


@pytest.mark.parametrize("who", [None, "demo-reporter", "demo-commander", f"officer-{ZHICHENG}"])
def test_every_route_answers_nosniff_and_no_store(app, client, login, who):
    headers = login(who) if who else {}
    seen = 0
    for rule, r in _every_route(app, client, headers):
        seen += 1
        assert r.status_code < 500, (rule.rule, r.status_code, r.data[:300])
        assert r.headers.get("X-Content-Type-Options") == "nosniff", rule.rule
        if rule.endpoint in CACHEABLE and r.status_code == 200:
            assert r.headers["Cache-Control"] == CACHEABLE[rule.endpoint]
        else:
            _assert_private(r)
    assert seen >= 15


def test_personal_answers_that_succeed_are_no_store(client, login):
    reporter = login("demo-reporter")
    token = client.post("/api/v1/auth/token", json={"username": "demo-reporter",
                                                     "password": "demo"})
    assert token.status_code == 200 and "access_token" in token.get_json()
    _assert_private(token)
    created = report(client, reporter)
    assert created.status_code == 201
    _assert_private(created)
    incident_id = created.get_json()["id"]
    for path in ("/api/v1/incidents", f"/api/v1/incidents/{incident_id}", "/api/v1/sites",
                 "/api/v1/units", "/api/v1/units/boundaries"):
        r = client.get(path, headers=reporter)
        assert r.status_code == 200, path
        _assert_private(r)
    geojson = client.get("/api/v1/units/boundaries", headers=reporter)
    assert geojson.get_json()["type"] == "FeatureCollection"
    officer = login(f"officer-{ZHICHENG}")
    lon, lat = seat()
    r = client.post("/api/v1/officers/me/positions", headers=officer, json={"positions": [
        {**location(lon, lat), "recorded_at": "2026-11-27T02:00:00Z"}]})
    assert r.status_code < 500
    _assert_private(r)


def test_public_documents_the_same_for_everyone_may_be_cached_probes_not(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.headers["X-Content-Type-Options"] == "nosniff"
    assert spec.headers["Cache-Control"] == "public, max-age=300"
    for probe in ("/healthz", "/readyz"):
        r = client.get(probe)
        assert r.status_code == 200
        _assert_private(r)  # a cached "ok" would hide an outage


def test_socketio_polling_answers_carry_the_headers_too(client):
    r = client.get("/socket.io/?EIO=4&transport=polling")
    assert r.status_code == 200, r.data[:200]
    _assert_private(r)
    r = client.get("/socket.io/?EIO=4&transport=nonsense")
    assert r.status_code == 400
    assert r.headers["X-Content-Type-Options"] == "nosniff"


# -- the HTTP errors are problems -----------------------------------------------------------------
def test_unknown_route_is_404_wrong_method_405_with_allow(client, login):
    for path in ("/nope", "/api/v1/nope", "/api/v1/incidents/nope/photos/x/y", "/static/x.js"):
        r = client.get(path)
        assert _assert_problem(r, 404)["title"] == "Not Found"
        _assert_private(r)
    _assert_problem(client.get("/api/v1/incidents/nope", headers=login("demo-commander")), 404)
    r = client.delete("/api/v1/incidents", headers=login("demo-commander"))
    _assert_problem(r, 405)
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["Allow"].split(",")}
    r = client.put("/healthz")
    _assert_problem(r, 405)
    assert "GET" in r.headers["Allow"] and "POST" not in r.headers["Allow"]
    r = client.get("/api/v1/auth/token")
    _assert_problem(r, 405)
    assert "POST" in r.headers["Allow"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_body_over_the_limit_is_413_problem(app, client, login):
    limit = app.config["MAX_CONTENT_LENGTH"]
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"),
                    data=b"x" * (limit + 1), content_type="application/json")
    body = _assert_problem(r, 413)
    assert body["errors"][0]["field"] == "body"
    _assert_private(r)


# -- the URL limit ----------------------------------------------------------------------------
def test_url_at_the_limit_is_served_one_byte_past_is_414(client):
    at = client.get(_target(LIMIT))
    assert at.status_code == 200, at.data[:200]
    past = client.get(_target(LIMIT + 1))
    body = _assert_problem(past, 414)
    assert body["errors"] == [{"field": "url", "message": f"longer than {LIMIT} bytes"}]
    _assert_private(past)


def test_url_limit_holds_on_every_kind_of_route(client, login):
    commander = login("demo-commander")
    for base in ("/api/v1/incidents?category=", "/api/v1/incidents/", "/nope/",
                 "/socket.io/?EIO=4&transport=polling&x="):
        at = client.get(_target(LIMIT, base), headers=commander)
        assert at.status_code != 414 and at.status_code < 500, (base, at.status_code)
        _assert_problem(client.get(_target(LIMIT + 1, base), headers=commander), 414)
        _assert_problem(client.post(_target(LIMIT + 1, base), headers=commander, json={}), 414)


def test_url_limit_counts_escaped_bytes_as_sent(client):
    # 济 is three bytes, nine characters once escaped: counted as nine, in the path or the query.
    for base in ("/api/v1/x/", "/api/v1/incidents?q="):
        target = base + "%E6%B5%8E" * ((LIMIT - len(base)) // 9)
        target += "a" * (LIMIT - len(target))
        assert len(target) == LIMIT
        assert client.get(target).status_code != 414
        _assert_problem(client.get(target + "a"), 414)
    _assert_problem(client.get("/api/v1/x/" + "济" * 227), 414)  # 2053 bytes once escaped
    # A server gives WSGI the path decoded as latin-1 text: it is measured re-escaped.
    assert request_target_bytes({"PATH_INFO": "/api/v1/é".encode().decode("latin-1"),
                                 "QUERY_STRING": "a=1"}) == len("/api/v1/%C3%A9?a=1")
    assert request_target_bytes({"PATH_INFO": "/a b%", "QUERY_STRING": ""}) == len("/a%20b%25")


def test_url_limit_is_configurable_within_the_servers_limit(backend, request, tmp_path, clock):
    url = request.getfixturevalue("postgis_url") if backend == "postgis" else None
    base = {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s", "CLOCK": clock,
            "INSTANCE_PATH": str(tmp_path / "i")}
    with side_app(**base) as build:
        client = build(MAX_URL_BYTES=300).test_client()
        assert client.get(_target(300)).status_code == 200
        assert client.get(_target(301)).status_code == 414
        with pytest.raises(ValueError, match="MAX_URL_BYTES"):
            build(MAX_URL_BYTES=8001)


# -- photos -----------------------------------------------------------------------------------
def test_photo_is_served_with_its_checked_type_inline_private(client, login):
    reporter = login("demo-reporter")
    incident_id, photo = _with_photo(client, reporter)
    r = client.get(photo["url"], headers=reporter)
    assert r.status_code == 200 and r.data == _png()
    assert r.headers["Content-Type"] == "image/png"  # checked by content; the upload said .html
    assert r.headers["Content-Disposition"] == f"inline; filename={photo['id']}.png"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r.headers["Cache-Control"] and "private" in r.headers["Cache-Control"]
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert client.get(photo["url"], headers=login("demo-reporter-2")).status_code == 404


def test_photo_type_comes_from_the_row_never_from_the_file_name(client, login, ctx):
    reporter = login("demo-reporter")
    incident_id, photo = _with_photo(client, reporter)
    stored = next(ctx.settings.photo_dir.rglob(f"{photo['id']}.*"))
    renamed = stored.with_name("page.html")
    stored.rename(renamed)
    with ctx.engine.begin() as conn:
        conn.execute(update(t.photos).where(t.photos.c.id == photo["id"])
                     .values(path=str(renamed.relative_to(ctx.settings.photo_dir))))
    r = client.get(photo["url"], headers=reporter)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert r.headers["Content-Disposition"] == f"inline; filename={photo['id']}.png"
    with ctx.engine.begin() as conn:  # a row of no image type is only ever a download
        conn.execute(update(t.photos).where(t.photos.c.id == photo["id"])
                     .values(content_type="text/html"))
    r = client.get(photo["url"], headers=reporter)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "html" not in r.headers["Content-Disposition"]


def test_photo_path_cannot_leave_the_photo_folder(client, login, ctx, tmp_path):
    reporter = login("demo-reporter")
    incident_id, photo = _with_photo(client, reporter)
    secret = tmp_path / "outside.png"
    secret.write_bytes(b"SECRET-" + _png())
    root = ctx.settings.photo_dir
    link = root / incident_id / "link.png"
    link.symlink_to(secret)
    escapes = [str(Path("..") / ".." / secret.relative_to(secret.anchor)),
               os.path.relpath(secret, root), str(secret), str(link.relative_to(root)),
               f"{incident_id}/../../{os.path.relpath(secret, root.parent)}", ".", ""]
    for path in escapes:
        with ctx.engine.begin() as conn:
            conn.execute(update(t.photos).where(t.photos.c.id == photo["id"]).values(path=path))
        r = client.get(photo["url"], headers=reporter)
        _assert_problem(r, 404)
        assert b"SECRET" not in r.data, path
    with ctx.engine.begin() as conn:  # the file vanished from the disk
        conn.execute(update(t.photos).where(t.photos.c.id == photo["id"])
                     .values(path=f"{incident_id}/gone.png"))
    _assert_problem(client.get(photo["url"], headers=reporter), 404)
    for url in (f"/api/v1/incidents/{incident_id}/photos/..%2F..%2Fsecret_key",
                f"/api/v1/incidents/{incident_id}/photos/%2e%2e",
                f"/api/v1/incidents/{incident_id}/photos/../../../secret_key",
                f"/api/v1/incidents/..%2F{incident_id}/photos/{photo['id']}"):
        r = client.get(url, headers=reporter)
        assert r.status_code in (404, 405), url
        assert r.mimetype == "application/problem+json"
        assert b"SECRET" not in r.data and b"test-secret" not in r.data


# -- CORS ---------------------------------------------------------------------------------------
@pytest.fixture
def cors_client(backend, request, tmp_path_factory, clock):  # type: ignore[no-untyped-def]
    url = request.getfixturevalue("postgis_url") if backend == "postgis" else None
    from server.cli import prepare_database

    with side_app(TESTING=True, DATABASE_URL=url, SECRET_KEY="test-secret", CLOCK=clock,
                  PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
                  INSTANCE_PATH=str(tmp_path_factory.mktemp("cors"))) as build:
        app = build(CORS_ORIGINS=f"{ALLOWED}, {OTHER_ALLOWED}/")
        prepare_database(app, seed_if_empty=True)
        yield app.test_client()


def _cors_headers(r) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v for k, v in r.headers.items() if k.lower().startswith("access-control-")}


def _preflight(client, origin: str, path: str = "/api/v1/incidents"):  # type: ignore[no-untyped-def]
    return client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})


def test_cors_preflight_for_a_configured_origin(cors_client):
    for origin in (ALLOWED, OTHER_ALLOWED):
        r = _preflight(cors_client, origin)
        assert r.status_code == 200
        h = _cors_headers(r)
        assert h["Access-Control-Allow-Origin"] == origin
        allowed = {x.strip().lower() for x in h["Access-Control-Allow-Headers"].split(",")}
        assert allowed == {"authorization", "content-type", "idempotency-key"}
        assert "POST" in h["Access-Control-Allow-Methods"]
        assert "Access-Control-Allow-Credentials" not in h
        assert "Origin" in r.headers.get("Vary", "")
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_cors_answers_to_a_configured_origin_expose_nothing_personal(cors_client):
    r = cors_client.post("/api/v1/auth/token", headers={"Origin": ALLOWED},
                         json={"username": "demo-reporter", "password": "demo"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert r.headers.get("Access-Control-Expose-Headers", "") in ("", "Retry-After")
    assert "Access-Control-Allow-Credentials" not in r.headers
    _assert_private(r)
    tok = r.get_json()["access_token"]
    r = cors_client.get("/api/v1/incidents", headers={"Origin": ALLOWED,
                                                      "Authorization": f"Bearer {tok}"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == ALLOWED
    r = cors_client.get("/api/v1/incidents", headers={"Origin": ALLOWED})  # a problem, readable
    assert r.status_code == 401 and r.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.parametrize("origin", ["https://evil.example", "https://ops.example.cn.evil.example",
                                    "http://ops.example.cn", "https://ops.example.cn:444",
                                    "null", "https://xops.example.cn"])
def test_cors_gives_nothing_to_an_unconfigured_origin(cors_client, origin):
    # The same requests from the configured origin do get CORS: the refusal is by origin.
    assert _preflight(cors_client, ALLOWED).headers["Access-Control-Allow-Origin"] == ALLOWED
    assert _cors_headers(_preflight(cors_client, origin)) == {}
    r = cors_client.post("/api/v1/auth/token", headers={"Origin": origin},
                         json={"username": "demo-reporter", "password": "demo"})
    assert r.status_code == 200 and _cors_headers(r) == {}


def test_cors_only_where_configured_on_the_api_and_never_without_an_origin(cors_client, client):
    api = cors_client.get("/api/v1/openapi.json", headers={"Origin": ALLOWED})
    assert api.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert _cors_headers(cors_client.get("/healthz", headers={"Origin": ALLOWED})) == {}
    assert _cors_headers(cors_client.get("/api/v1/openapi.json")) == {}
    # The session's app has no origins configured: nobody gets CORS from it.
    assert _cors_headers(_preflight(client, ALLOWED)) == {}
    r = client.get("/api/v1/openapi.json", headers={"Origin": ALLOWED})
    assert r.status_code == 200 and _cors_headers(r) == {}


def test_socketio_takes_the_same_origins_and_keeps_its_own(cors_client, client):
    handshake = "/socket.io/?EIO=4&transport=polling"
    for origin in (ALLOWED, OTHER_ALLOWED, "http://localhost"):  # the last: the server's own
        r = cors_client.get(handshake, headers={"Origin": origin})
        assert r.status_code == 200, (origin, r.data)
    r = cors_client.get(handshake, headers={"Origin": "https://evil.example"})
    assert r.status_code == 400
    assert client.get(handshake, headers={"Origin": ALLOWED}).status_code == 400  # unconfigured
    assert client.get(handshake, headers={"Origin": "http://localhost"}).status_code == 200


def test_cors_origins_are_read_from_commas_or_spaces():
    assert cors_origins("") == [] and cors_origins(None) == []
    assert cors_origins("https://a.cn,https://b.cn/  https://c.cn") == [
        "https://a.cn", "https://b.cn", "https://c.cn"]
    assert cors_origins("*") == ["*"]


# -- private files of the embedded default --------------------------------------------------------
@contextmanager
def _umask(mask: int):  # type: ignore[no-untyped-def]
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _embedded(instance: Path, clock):  # type: ignore[no-untyped-def]
    return {"TESTING": True, "DATABASE_URL": None, "SECRET_KEY": None, "CLOCK": clock,
            "INSTANCE_PATH": str(instance), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def test_embedded_database_and_secret_are_private_from_the_start(tmp_path, clock, monkeypatch):
    """Created 0600, not tightened after: chmod is forbidden while they are made."""
    from server.cli import prepare_database

    def no_chmod(*args, **kw):  # type: ignore[no-untyped-def]
        raise AssertionError(f"chmod{args}: a file was created open, then tightened")
    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    instance = tmp_path / "instance"
    with _umask(0o022), side_app(**_embedded(instance, clock)) as build:
        app = build()
        prepare_database(app, seed_if_empty=True)
        db = instance / "dispatch.sqlite3"
        files = [instance / "secret_key", db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        for f in files:
            assert f.exists(), f
            assert _mode(f) == 0o600, (f, oct(_mode(f)))
        assert _mode(instance) == 0o700
        assert len((instance / "secret_key").read_text().strip()) >= 40
        assert sorted(p.name for p in instance.iterdir() if p.name.startswith(".")) == []
    with _umask(0o022):
        _processes_starting_together_share_one_secret(tmp_path / "race")


def _processes_starting_together_share_one_secret(folder: Path) -> None:
    from server.config import load, secret_key

    folder.mkdir()
    cfg = load({}, environ={})  # no secret, no database: the embedded default's
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(secret_key(cfg, folder))
    threads = [threading.Thread(target=start) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and keys[0]
    assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no temporary file left
    assert _mode(folder / "secret_key") == 0o600


def test_files_left_readable_by_an_older_version_are_tightened(tmp_path, clock):
    import sqlite3

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("an-older-key")
    db = instance / "dispatch.sqlite3"
    with _umask(0o022):
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE x (a)")
        conn.commit()
        files = [instance / "secret_key", db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(_mode(f) == 0o644 for f in files)
        with side_app(**_embedded(instance, clock)) as build:
            app = build()
            assert app.config["SECRET_KEY"] == "an-older-key"
            for f in files:
                assert _mode(f) == 0o600, f
        conn.close()


