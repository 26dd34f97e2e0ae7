"""The essential-work baseline of report ingest: what a report must do, the plainest way.

`bench/bare_app.py` inserts a case and one event: a floor far below what a report needs. This is
the floor of the work itself, so the product's figure can be read as "how far from the limit":
Flask + SQLAlchemy Core text statements, no ORM, no domain objects, no layers, no admission gate,
no idempotency keys, no photos, no metrics, no request log, no RQ. Served like the product
(gunicorn, one GeventWebSocketWorker, psycopg2 patched by gevent):

    DATABASE_URL=... DISPATCH_SECRET_KEY=... gunicorn \
        -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 \
        'bench.essential_app:create()'

`POST /api/v1/incidents` (the product's path and body: category, description, location), in one
transaction on the product's own tables and indexes:

1. the token -> the user row (active, same token version, a reporter);
2. the point -> its territory (`ST_Contains` on the active boundary set, in PostGIS) and the
   responsible units (the territory's, then the category's routing, from `units`/`routing`) in
   one statement;
3. the nearest on-duty officers of each unit: the same LATERAL KNN on
   `officer_last_positions` as the product, distances by PostGIS (geography);
4. the day's case number (the counter row's upsert), the case, its units (one multi-row
   INSERT), its timers (warning and overdue per unit and milestone, the first offer: one
   multi-row INSERT), its events (`reported`, `dispatched`, one `offered` per unit) numbered by
   the log's counter and written with their rooms in one statement, COMMIT;
5. the push: each event emitted to its rooms on `/live` from memory (the case's picture and its
   clocks' instants with it), then 201 with the case.

It writes the same rows as the product for the same report, modulo ids and times
(tests/integration/test_essential_baseline.py). It does NOT: check the category against a
schema beyond "a known category" (pydantic), read boundary sets or routing through caches, accept
site ids, photos, other CRSs or Idempotency-Keys, wake other processes through Redis, tell RQ of
the timers, send alerts to closed apps, count metrics or log the request. Socket.IO `/live`: a
connection with a valid token joins the product's rooms for its role (user, command, unit).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2.extensions
from flask import Flask, Response, request
from flask_socketio import SocketIO, join_room
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from dispatch.settings import Settings

NAMESPACE = "/live"
TOKEN_TTL = 12 * 3600
CST = timedelta(hours=8)
MILESTONES = ("arrival", "restore", "resolve")
LATE = timedelta(microseconds=1)  # the first late instant after a deadline (dispatch.clock)

USER = text("SELECT id, role, unit_code, token_version, active FROM users WHERE id = :id")
PLACE_AND_UNITS = text("""
WITH place AS (
    SELECT tb.code, tb.name, tb.set_id FROM territory_boundaries tb
    JOIN boundary_sets bs ON bs.id = tb.set_id AND bs.active
    WHERE ST_Contains(tb.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) LIMIT 1
)
SELECT place.code AS territory, place.name AS territory_name, place.set_id,
       u.code, u.name, u.kind
FROM place JOIN units u ON u.code = place.code
    OR u.code IN (SELECT unit_code FROM routing WHERE category = :category)
ORDER BY u.code <> place.code, u.code
""")
NEAREST = text("""
SELECT w.code AS unit_code, n.officer_id, n.display_name, n.recorded_at, n.distance_m
FROM unnest(CAST(:codes AS text[])) AS w(code) CROSS JOIN LATERAL (
    SELECT lp.officer_id, u.display_name, lp.recorded_at,
           ST_Distance(lp.location::geography,
                       ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
    FROM officer_last_positions lp JOIN users u ON u.id = lp.officer_id
    WHERE lp.unit_code = w.code AND lp.recorded_at >= :since AND u.active AND u.role = 'officer'
    ORDER BY lp.location <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 20
) n
""")
CASE_NUMBER = text("""
INSERT INTO case_number_counters (day, value) VALUES (:day, 1)
ON CONFLICT (day) DO UPDATE SET value = case_number_counters.value + 1 RETURNING value
""")
INSERT_CASE = text("""
INSERT INTO incidents (id, category, description, status, location, lon, lat,
    location_accuracy_m, reported_crs, reporter_id, green_channel, territory_code,
    territory_name, boundary_set_id, received_at, arrival_due, restore_due, resolve_due,
    timers_planned_at, round, extensions, case_number)
VALUES (:id, :category, :description, 'dispatched', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
    :lon, :lat, :accuracy, 'wgs84', :uid, false, :territory, :territory_name, :set_id, :now,
    :arrival, :restore, :resolve, :now, 0, 0, :number)
""")
INSERT_UNITS = text("""
INSERT INTO incident_units (incident_id, unit_code, unit_name, kind, arrival_due)
SELECT :id, x.code, x.name, x.kind, :arrival
FROM json_to_recordset(CAST(:units AS json)) AS x(code text, name text, kind text)
""")
INSERT_TIMERS = text("""
INSERT INTO timers (incident_id, unit_code, kind, milestone, attempt, deadline, due_at, round,
                    complaint, request_id)
SELECT :id, x.unit, x.kind, x.milestone, x.attempt, x.deadline, x.due_at, 0, 0, :request
FROM json_to_recordset(CAST(:timers AS json)) AS x(unit text, kind text, milestone text,
    attempt int, deadline timestamptz, due_at timestamptz)
""")
# The product's own statement (dispatch/storage/event_log.py): the log's order is essential.
APPEND_EVENTS = text("""
WITH counter AS (
    UPDATE event_counter SET value = value + :n WHERE id = 1 RETURNING value
), written AS (
    INSERT INTO events (seq, incident_id, type, at, actor_id, data, audience, snapshot,
                        request_id)
    SELECT counter.value - :n + e.ord, :id, e.type, :now, e.actor_id, e.data, e.audience,
           e.snapshot, :request
    FROM counter, json_to_recordset(CAST(:events AS json)) AS e(
        ord int, type text, actor_id text, data json, audience json, snapshot json)
), heard AS (
    INSERT INTO event_audience (room, seq)
    SELECT r.room, counter.value - :n + r.ord
    FROM counter, json_to_recordset(CAST(:rooms AS json)) AS r(room text, ord int)
)
SELECT value FROM counter
""")
SOCKET_EVENT = {"reported": "incident.updated", "dispatched": "incident.updated",
                "offered": "task.offered"}


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _problem(status: int, field: str, detail: str) -> Response:
    return Response(json.dumps({"status": status, "field": field, "detail": detail}), status,
                    mimetype="application/problem+json")


def create(clock: Callable[[], datetime] | None = None, patch_gevent: bool = True) -> Flask:
    """The app; `clock` and `patch_gevent=False` for the test that compares it with the product."""
    if patch_gevent:
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()  # as server/wsgi.py does
    now_of = clock or (lambda: datetime.now(UTC))
    settings = Settings()  # the defaults the bench's product runs with: the clocks' policies
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_use_lifo=True)
    tokens = URLSafeTimedSerializer(os.environ["DISPATCH_SECRET_KEY"], salt="access-token")
    socketio = SocketIO(app, async_mode="gevent" if patch_gevent else "threading")
    with engine.connect() as conn:
        categories = {r[0] for r in conn.execute(text("SELECT DISTINCT category FROM routing"))}
    categories.add("other")

    def user_of(conn: Connection, token: str) -> Any:
        try:
            claims = tokens.loads(token, max_age=TOKEN_TTL)
        except BadSignature:
            return None
        row = conn.execute(USER, {"id": claims.get("uid")}).first()
        if row is None or not row.active or row.token_version != claims.get("ver", 0):
            return None
        return row

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    @app.post("/api/v1/incidents")
    def report() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _problem(422, "body", "a JSON object")
        category, description, loc = body.get("category"), body.get("description", ""), \
            body.get("location")
        if not isinstance(category, str) or category not in categories:
            return _problem(422, "category", "unknown category")
        if not isinstance(description, str) or len(description) > 2000:
            return _problem(422, "description", "text up to 2,000 characters")
        if not isinstance(loc, dict):
            return _problem(422, "location", "lat and lon in degrees")
        try:
            lon, lat = float(loc["lon"]), float(loc["lat"])
            accuracy = None if loc.get("accuracy_m") is None else float(loc["accuracy_m"])
        except (TypeError, KeyError, ValueError):
            return _problem(422, "location", "lat and lon in degrees")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return _problem(422, "location", "lat and lon in degrees")
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        now = now_of()
        case_id, request_id = uuid.uuid4().hex, uuid.uuid4().hex
        policy = settings.policy(category)
        arrival, restore, resolve = now + policy.arrival, now + policy.restore, \
            now + policy.resolve
        with engine.begin() as conn:  # committed explicitly below
            user = user_of(conn, token)
            if user is None:
                return _problem(401, "Authorization", "a valid access token")
            if user.role != "reporter":
                return _problem(403, "Authorization", "reporters report")
            units = conn.execute(PLACE_AND_UNITS, {"lon": lon, "lat": lat,
                                                   "category": category}).all()
            if not units:
                conn.rollback()
                return _problem(422, "location", "outside every territory")
            place = units[0]
            codes = [u.code for u in units]
            ranked: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
            for o in conn.execute(NEAREST, {"codes": codes, "lon": lon, "lat": lat,
                                            "since": now - settings.on_duty_window}):
                ranked[o.unit_code].append({
                    "officer_id": o.officer_id, "name": o.display_name,
                    "distance_m": round(o.distance_m, 1), "position_at": _iso(o.recorded_at)})
            for found in ranked.values():
                found.sort(key=lambda o: o["distance_m"])
            day = (now + CST).date()
            units_json = json.dumps([{"code": u.code, "name": u.name, "kind": u.kind}
                                     for u in units])
            timers_json = json.dumps(_timers(codes, now, {"arrival": arrival, "restore": restore,
                                                          "resolve": resolve},
                                             policy, settings.offer_timeout))
            # The day's counter and the log's counter are hot rows: from taking the first to
            # COMMIT the statements run without yielding to other greenlets, as the product's
            # event log does (holding a row across a yield makes every writer wait for the
            # worker's other work too).
            wait = psycopg2.extensions.get_wait_callback()
            psycopg2.extensions.set_wait_callback(None)
            try:
                seq = conn.execute(CASE_NUMBER, {"day": f"{day:%Y%m%d}"}).scalar_one()
                number = f"{settings.case_number_prefix}-{day:%Y%m%d}-{seq:04d}"
                conn.execute(INSERT_CASE, {
                    "id": case_id, "category": category, "description": description,
                    "lon": lon, "lat": lat, "accuracy": accuracy, "uid": user.id,
                    "territory": place.territory, "territory_name": place.territory_name,
                    "set_id": place.set_id, "now": now, "arrival": arrival, "restore": restore,
                    "resolve": resolve, "number": number})
                conn.execute(INSERT_UNITS, {"id": case_id, "arrival": arrival, "units": units_json})
                conn.execute(INSERT_TIMERS, {"id": case_id, "request": request_id,
                                             "timers": timers_json})
                case = _picture(case_id, number, category, description, lon, lat, place, now,
                                (arrival, restore, resolve), units)
                events = _events(case, user.id, codes, ranked)
                last = conn.execute(APPEND_EVENTS, {
                    "n": len(events), "id": case_id, "now": now, "request": request_id,
                    "events": json.dumps([{**e, "ord": i} for i, e in enumerate(events, 1)]),
                    "rooms": json.dumps([{"room": room, "ord": i} for i, e in
                                         enumerate(events, 1) for room in e["audience"]]),
                }).scalar_one()
                conn.commit()
            finally:
                psycopg2.extensions.set_wait_callback(wait)
        clocks = _clocks(case, policy)
        for i, e in enumerate(events):
            socketio.emit(SOCKET_EVENT[e["type"]], {
                "seq": last - len(events) + 1 + i, "type": e["type"], "at": _iso(now),
                "actor": e["actor_id"], "incident_id": case_id, "data": e["data"],
                "incident": {**e["snapshot"], "clocks": clocks}}, to=e["audience"],
                namespace=NAMESPACE)
        return Response(json.dumps({**case, "clocks": clocks}, ensure_ascii=False), 201,
                        mimetype="application/json")

    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth: Any = None) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        with engine.connect() as conn:
            user = user_of(conn, token or "")
        if user is None:
            return False
        join_room(f"user:{user.id}")
        if user.role in ("commander", "admin"):
            join_room("command")
        if user.role in ("officer", "dispatcher") and user.unit_code:
            join_room(f"unit:{user.unit_code}")
        return True

    app.extensions["essential"] = {"engine": engine, "socketio": socketio}
    return app


def _timers(codes: list[str], now: datetime, due: dict[str, datetime], policy: Any,
            offer_timeout: timedelta) -> list[dict[str, Any]]:
    """Each unit: a warning (if still ahead) and an overdue notice per milestone, the first
    offer's repeat if it comes before the arrival deadline (dispatch/timers.py's plan)."""
    out = []
    for code in codes:
        for m in MILESTONES:
            warn_at = policy.near_at(m, due[m])
            if warn_at > now:
                out.append({"unit": code, "kind": "deadline_near", "milestone": m, "attempt": 0,
                            "deadline": _iso(due[m]), "due_at": _iso(warn_at)})
            out.append({"unit": code, "kind": "overdue", "milestone": m, "attempt": 0,
                        "deadline": _iso(due[m]), "due_at": _iso(due[m] + LATE)})
        if now + offer_timeout < due["arrival"]:
            out.append({"unit": code, "kind": "offer", "milestone": "offer", "attempt": 1,
                        "deadline": _iso(due["arrival"]), "due_at": _iso(now + offer_timeout)})
    return out


def _picture(case_id: str, number: str, category: str, description: str, lon: float,
             lat: float, place: Any, now: datetime, due: tuple[datetime, datetime, datetime],
             units: Sequence[Any]) -> dict[str, Any]:
    """The case as a live client sees it (dispatch/snapshots.py's fields), once dispatched."""
    return {
        "id": case_id, "case_number": number, "category": category, "status": "dispatched",
        "description": description, "location": {"lat": lat, "lon": lon},
        "territory": {"code": place.territory, "name": place.territory_name},
        "green_channel": False, "central_assignment": None, "received_at": _iso(now),
        "deadlines": {"arrival": _iso(due[0]), "restore": _iso(due[1]),
                      "resolve": _iso(due[2]), "resolve_original": None},
        "milestones": {"restored_at": None, "resolved_at": None, "closed_at": None},
        "units": [{"code": u.code, "name": u.name, "kind": u.kind, "accepted_at": None,
                   "arrived_at": None, "arrival_due": _iso(due[0]), "lead": False,
                   "arrival_device_time": None, "arrival_sent_late": None,
                   "arrival_counted_at": None, "arrival_mock_location": None}
                  for u in units]}


def _events(case: dict[str, Any], reporter: str, codes: list[str],
            ranked: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """reported (before dispatch: no units yet), dispatched, one offered per unit; the rooms of
    dispatch/events.py's catalogue."""
    before = {**case, "status": "reported", "units": []}
    heard = [f"user:{reporter}", "command"]
    return [
        {"type": "reported", "actor_id": reporter, "audience": heard, "snapshot": before,
         "data": {"category": case["category"], "territory": case["territory"]["code"],
                  "location": [case["location"]["lon"], case["location"]["lat"]],
                  "crs": "wgs84", "site_id": None, "green_channel": False}},
        {"type": "dispatched", "actor_id": None, "audience": heard, "snapshot": case,
         "data": {"status": "dispatched", "units": codes}},
        *({"type": "offered", "actor_id": None, "audience": [f"unit:{code}", "command"],
           "snapshot": case, "data": {"unit": code, "repeat": 0, "officers": ranked[code]}}
          for code in codes)]


def _clocks(case: dict[str, Any], policy: Any) -> dict[str, Any]:
    """The instants a page needs (dispatch/board.py's wire form): every unmet deadline with the
    instant it turns near, and the first of each."""
    marks = [("arrival", u["code"], case["deadlines"]["arrival"]) for u in case["units"]]
    marks += [("restore", None, case["deadlines"]["restore"]),
              ("resolve", None, case["deadlines"]["resolve"])]
    out = []
    for m, unit, due in marks:
        near = policy.near_at(m, datetime.fromisoformat(due))
        out.append({"milestone": m, "unit": unit, "due": due, "near_at": _iso(near),
                    "done_at": None, "on_time": None})
    return {"near_at": min(o["near_at"] for o in out), "due": min(o["due"] for o in out),
            "calm": "on_time", "milestones": out}
