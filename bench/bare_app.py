"""The bare baseline of `python -m bench`: the essential work of each hot path, and nothing else.

Served exactly like the product's web process, from the checkout's root (gunicorn, one
GeventWebSocketWorker, the same PostGIS database, psycopg2 patched by gevent as the product's is):

    DATABASE_URL=... DISPATCH_SECRET_KEY=... gunicorn \
        -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 \
        'bench.bare_app:create()'

Flask + SQLAlchemy Core, no ORM, no domain, no events pushed, no Redis:

- `POST /incidents`: parse the JSON, authenticate (the product's own signed token -> the user row:
  active, same token version), insert the case (its territory found by `ST_Contains` in the same
  statement) and its `reported` event in one transaction -> 201 with the row's columns. The rows go
  to `bare_incidents` / `bare_events` (copies of the product's tables made by the bench), so the
  product's reads and counts are not disturbed.
- `GET /map`: the open cases of the product's `incidents` table as a GeoJSON FeatureCollection
  (the columns a map needs), gzip-compressed when asked.
- `GET /map/judged`: the map's essential baseline (`bench/essential_map.py`): the product's
  document, the same columns with the same judgement, written the plainest way.
- `GET /incidents?page=&per_page=`: one page of the product's cases, newest first, with their units
  and a total, serialised with the same fields as the product's list (no timeline).
- `POST /positions`: authenticate, insert a batch of fixes into `bare_positions` (ON CONFLICT DO
  NOTHING) and upsert the officer's last position, one transaction -> 202.
- Socket.IO `/live`, events `position` (one fix) and `positions` (`{positions: [...]}`), each
  acknowledged: the same insert as `POST /positions`; the token is checked once, at connect.
- `GET /healthz`.
"""

from __future__ import annotations

import gzip
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, request
from flask_socketio import SocketIO
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

NAMESPACE = "/live"
TOKEN_TTL = 12 * 3600

INSERT_INCIDENT = text("""
INSERT INTO bare_incidents (id, category, description, status, location, lon, lat,
    location_accuracy_m, reported_crs, reporter_id, green_channel, territory_code,
    territory_name, boundary_set_id, received_at, arrival_due, restore_due, resolve_due, round,
    case_number)
SELECT :id, :category, :description, 'dispatched', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
    :lon, :lat, :accuracy, 'wgs84', :uid, false, tb.code, tb.name, tb.set_id, :now,
    :now + interval '30 minutes', :now + interval '1 hour', :now + interval '7 days', 0,
    'BARE-' || :id
FROM territory_boundaries tb JOIN boundary_sets bs ON bs.id = tb.set_id AND bs.active
WHERE ST_Contains(tb.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
LIMIT 1
RETURNING territory_code, territory_name, arrival_due, restore_due, resolve_due
""")
INSERT_EVENT = text("""
INSERT INTO bare_events (seq, incident_id, type, at, actor_id, data, audience, snapshot)
VALUES (nextval('bare_event_seq'), :id, 'reported', :now, :uid, :data, :audience, '{}')
""")
MAP = text("""
SELECT id, category, status, lon, lat, territory_code, received_at, arrival_due, restore_due,
       resolve_due
FROM incidents WHERE status <> 'closed' ORDER BY received_at
""")
PAGE = text("""
SELECT id, category, description, status, lon, lat, site_id, green_channel, territory_code,
       territory_name, boundary_set_id, received_at, arrival_due, restore_due, resolve_due,
       restored_at, resolved_at, closed_at
FROM incidents ORDER BY received_at DESC, id DESC LIMIT :limit OFFSET :offset
""")
UNITS = text("""
SELECT incident_id, unit_code, unit_name, kind, accepted_at, arrived_at, arrival_due,
       arrival_distance_m
FROM incident_units WHERE incident_id = ANY(:ids)
""")
INSERT_POSITIONS = text("""
INSERT INTO bare_positions (officer_id, location, accuracy_m, recorded_at, received_at)
SELECT :uid, ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4326), x.acc, x.at, :now
FROM json_to_recordset(CAST(:fixes AS json)) AS x(lon float8, lat float8, acc float8,
                                                    at timestamptz)
ON CONFLICT DO NOTHING
""")
UPSERT_LAST = text("""
INSERT INTO bare_last_positions (officer_id, unit_code, location, accuracy_m, recorded_at,
                                 received_at)
VALUES (:uid, :unit, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :acc, :at, :now)
ON CONFLICT (officer_id) DO UPDATE SET location = excluded.location,
    accuracy_m = excluded.accuracy_m, recorded_at = excluded.recorded_at,
    received_at = excluded.received_at
WHERE bare_last_positions.recorded_at < excluded.recorded_at
""")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(body: Any, status: int = 200) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        resp = Response(gzip.compress(data, 6), status, mimetype="application/json")
        resp.headers["Content-Encoding"] = "gzip"
        return resp
    return Response(data, status, mimetype="application/json")


def _problem(status: int, detail: str) -> Response:
    return Response(json.dumps({"status": status, "detail": detail}), status,
                    mimetype="application/problem+json")


def create() -> Flask:
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()  # as server/wsgi.py does: psycopg2 waits cooperatively under gevent
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg2://", 1)
    engine: Engine = create_engine(url, pool_size=10, max_overflow=10, pool_use_lifo=True)
    tokens = URLSafeTimedSerializer(os.environ["DISPATCH_SECRET_KEY"], salt="access-token")
    socketio = SocketIO(app, async_mode="gevent")
    sessions: dict[str, Any] = {}  # socket id -> its user row, read once at connect

    def user_of(conn: Connection, token: str) -> Any:
        try:
            claims = tokens.loads(token, max_age=TOKEN_TTL)
        except BadSignature:
            return None
        row = conn.execute(text(
            "SELECT id, role, unit_code, token_version FROM users WHERE id = :id AND active"),
            {"id": claims.get("uid")}).first()
        if row is None or row.token_version != claims.get("ver", 0):
            return None
        return row

    def bearer() -> str:
        return request.headers.get("Authorization", "").partition(" ")[2].strip()

    from bench.essential_map import register

    register(app, engine, user_of)  # GET /map/judged: the map's essential baseline

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    @app.post("/incidents")
    def report() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("location"), dict):
            return _problem(422, "location")
        loc = body["location"]
        now = datetime.now(UTC)
        with engine.begin() as conn:
            user = user_of(conn, bearer())
            if user is None or user.role != "reporter":
                return _problem(401, "token")
            case_id = uuid.uuid4().hex
            row = conn.execute(INSERT_INCIDENT, {
                "id": case_id, "category": body.get("category"),
                "description": body.get("description", ""), "lon": float(loc["lon"]),
                "lat": float(loc["lat"]), "accuracy": loc.get("accuracy_m"), "uid": user.id,
                "now": now}).first()
            if row is None:
                conn.rollback()
                return _problem(422, "outside every territory")
            conn.execute(INSERT_EVENT, {
                "id": case_id, "now": now, "uid": user.id,
                "data": json.dumps({"category": body.get("category")}),
                "audience": json.dumps([f"territory:{row.territory_code}", "command"])})
        return _json({"id": case_id, "category": body.get("category"), "status": "dispatched",
                      "location": {"lat": loc["lat"], "lon": loc["lon"]},
                      "territory": {"code": row.territory_code, "name": row.territory_name},
                      "received_at": _iso(now),
                      "deadlines": {"arrival": _iso(row.arrival_due),
                                    "restore": _iso(row.restore_due),
                                    "resolve": _iso(row.resolve_due)}}, 201)

    @app.get("/map")
    def open_cases() -> Response:
        with engine.connect() as conn:
            rows = conn.execute(MAP).all()
        return _json({"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": r.id,
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {"category": r.category, "status": r.status,
                           "territory": r.territory_code, "received_at": _iso(r.received_at),
                           "arrival_due": _iso(r.arrival_due),
                           "restore_due": _iso(r.restore_due),
                           "resolve_due": _iso(r.resolve_due)}} for r in rows]})

    @app.get("/incidents")
    def page() -> Response:
        per_page = int(request.args.get("per_page", 50))
        number = int(request.args.get("page", 1))
        with engine.connect() as conn:
            if user_of(conn, bearer()) is None:
                return _problem(401, "token")
            rows = conn.execute(PAGE, {"limit": per_page,
                                       "offset": (number - 1) * per_page}).all()
            total = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
            units: dict[str, list[dict[str, Any]]] = {}
            for u in conn.execute(UNITS, {"ids": [r.id for r in rows]}):
                units.setdefault(u.incident_id, []).append({
                    "code": u.unit_code, "name": u.unit_name, "kind": u.kind,
                    "accepted_at": _iso(u.accepted_at), "arrived_at": _iso(u.arrived_at),
                    "arrival_due": _iso(u.arrival_due),
                    "arrival_on_time": None if u.arrived_at is None
                    else u.arrived_at <= u.arrival_due,
                    "arrival_distance_m": u.arrival_distance_m})
        return _json({"items": [{
            "id": r.id, "category": r.category, "description": r.description,
            "status": r.status, "location": {"lat": r.lat, "lon": r.lon}, "site_id": r.site_id,
            "green_channel": r.green_channel,
            "territory": {"code": r.territory_code, "name": r.territory_name},
            "boundary_set_id": r.boundary_set_id, "units": units.get(r.id, []),
            "received_at": _iso(r.received_at),
            "deadlines": {"arrival": _iso(r.arrival_due), "restore": _iso(r.restore_due),
                          "resolve": _iso(r.resolve_due)},
            "milestones": {"restored_at": _iso(r.restored_at), "resolved_at": _iso(r.resolved_at),
                           "closed_at": _iso(r.closed_at)},
            "overdue": [], "photos": []} for r in rows],
            "total": total, "page": number, "per_page": per_page})

    def store_positions(conn: Connection, user: Any, fixes: list[dict[str, Any]]) -> int:
        now = datetime.now(UTC)
        for f in fixes:
            at = datetime.fromisoformat(f["recorded_at"].replace("Z", "+00:00"))
            if not now - timedelta(hours=24) <= at <= now + timedelta(minutes=5):
                raise ValueError("recorded_at")
        stored = conn.execute(INSERT_POSITIONS, {
            "uid": user.id, "now": now, "fixes": json.dumps([
                {"lon": f["lon"], "lat": f["lat"], "acc": f.get("accuracy_m"),
                 "at": f["recorded_at"]} for f in fixes])}).rowcount
        last = max(fixes, key=lambda f: f["recorded_at"])
        conn.execute(UPSERT_LAST, {"uid": user.id, "unit": user.unit_code, "lon": last["lon"],
                                   "lat": last["lat"], "acc": last.get("accuracy_m"),
                                   "at": last["recorded_at"], "now": now})
        return int(stored)

    @app.post("/positions")
    def positions() -> Response:
        body = request.get_json(silent=True)
        fixes = body.get("positions") if isinstance(body, dict) else body
        if not isinstance(fixes, list) or not fixes:
            return _problem(422, "positions")
        with engine.begin() as conn:
            user = user_of(conn, bearer())
            if user is None or user.role != "officer":
                return _problem(401, "token")
            try:
                stored = store_positions(conn, user, fixes)
            except (KeyError, ValueError) as exc:
                conn.rollback()
                return _problem(422, str(exc))
        return _json({"received": len(fixes), "stored": stored}, 202)

    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth: Any = None) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        with engine.connect() as conn:
            user = user_of(conn, token or "")
        if user is None:
            return False
        sessions[request.sid] = user  # type: ignore[attr-defined]  # Flask-SocketIO adds sid
        return True

    @socketio.on("disconnect", namespace=NAMESPACE)
    def disconnect(*_: Any) -> None:
        sessions.pop(request.sid, None)  # type: ignore[attr-defined]  # Flask-SocketIO adds sid

    @socketio.on("position", namespace=NAMESPACE)
    def position(payload: dict[str, Any]) -> dict[str, Any]:
        user = sessions[request.sid]  # type: ignore[attr-defined]  # Flask-SocketIO adds sid
        with engine.begin() as conn:
            stored = store_positions(conn, user, [payload])
        return {"ok": True, "stored": stored}

    @socketio.on("positions", namespace=NAMESPACE)
    def positions_batch(payload: dict[str, Any]) -> dict[str, Any]:
        user = sessions[request.sid]  # type: ignore[attr-defined]  # Flask-SocketIO adds sid
        fixes = payload["positions"]
        with engine.begin() as conn:
            stored = store_positions(conn, user, fixes)
        return {"ok": True, "received": len(fixes), "stored": stored}

    return app
