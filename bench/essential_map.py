"""The essential-work baseline of the map's first load: the same document, the plainest way.

`GET /map/judged` of the bare app (bench/bare_app.py registers it): the token -> the user row
(active, same token version); the event log's last seq; every open case's columns and its units'
(two SQLAlchemy Core text statements, rows as tuples); each case's clock instants and its state
at `now` judged inline (the warning leads of the clocks' policy, `dispatch.settings.Settings`'s
defaults, which the bench's product runs with: near from `due - warning` included, late strictly
after `due`); the product's GeoJSON with the same fields in the same order, written by the
standard library's encoder, gzip level 4 when asked (the product's Flask-Compress level).

It writes, for the command center at the same instant, the product's very document
(tests/integration/test_essential_map.py). It does NOT: scope by role (it serves command's view,
everything), take filters, validate the query with pydantic, or keep anything between requests;
no request log, no metrics, no admission gate.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from dispatch.settings import Settings

CASES = text("""
SELECT id, category, status, territory_code, lon, lat, received_at, green_channel, round,
       restore_due, resolve_due, restored_at, resolved_at, resolve_due_original, case_number
FROM incidents WHERE status <> 'closed' ORDER BY received_at DESC, id
""")
UNITS = text("""
SELECT u.incident_id, u.unit_code, u.kind, u.accepted_at, u.arrived_at, u.arrival_due
FROM incident_units u JOIN incidents i ON i.id = u.incident_id AND i.status <> 'closed'
ORDER BY u.incident_id, u.kind DESC, u.unit_code
""")
SEQ = text("SELECT value FROM event_counter WHERE id = 1")


def _iso(t: datetime) -> str:
    if t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    return t.isoformat()[:-6] + "Z"


def _warnings(settings: Settings) -> Callable[[str, bool], tuple[timedelta, ...]]:
    """(arrival, restore, resolve) warning leads of a category's clocks (green channel's
    for a green-channel case)."""
    def of(category: str, green: bool) -> tuple[timedelta, ...]:
        p = settings.policy(category, green)
        return p.arrival_warning, p.restore_warning, p.resolve_warning
    return of


def judged_map(conn: Connection, now: datetime, settings: Settings) -> dict[str, Any]:
    """The map's document for command at `now`."""
    warnings = _warnings(settings)
    seq = int(conn.execute(SEQ).scalar() or 0)
    cases = conn.execute(CASES).all()
    units: dict[str, list[Any]] = {}
    for u in conn.execute(UNITS):
        units.setdefault(u[0], []).append(u)
    iso: dict[datetime, str] = {}  # each distinct instant formatted once

    def at(t: datetime) -> str:
        s = iso.get(t)
        if s is None:
            s = iso[t] = _iso(t)
        return s

    features = []
    for (cid, category, status, territory, lon, lat, received, green, rnd, restore_due,
         resolve_due, restored_at, resolved_at, resolve_original, number) in cases:
        w_arrival, w_restore, w_resolve = warnings(category, green)
        # (milestone, unit, due, near_at, done_at, judged on time against)
        marks = [("arrival", u[1], u[5], u[5] - w_arrival, u[4], u[5])
                 for u in units.get(cid, ())]
        marks.append(("restore", None, restore_due, restore_due - w_restore, restored_at,
                      restore_due))
        marks.append(("resolve", None, resolve_due, resolve_due - w_resolve, resolved_at,
                      resolve_original or resolve_due))
        open_marks = [m for m in marks if m[4] is None]
        if status == "resolved":
            first_near = first_due = None
            calm = "resolved"
        else:
            first_near = min((m[3] for m in open_marks), default=None)
            first_due = min((m[2] for m in open_marks), default=None)
            calm = "restored" if status == "restored" else "on_time"
        if first_due is not None and first_due < now:
            state = "overdue"
        elif first_near is not None and first_near <= now:
            state = "near"
        else:
            state = calm
        nxt = None
        for m in open_marks:  # the first in clocks order among the earliest
            if nxt is None or m[2] < nxt[2]:
                nxt = m
        features.append({
            "type": "Feature", "id": cid,
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "case_number": number, "category": category, "status": status,
                "territory": territory, "received_at": _iso(received), "green_channel": green,
                "reopened": rnd > 0,
                "units": [{"code": u[1], "kind": u[2], "accepted": u[3] is not None}
                          for u in units.get(cid, ())],
                "next_due": None if nxt is None else {
                    "at": at(nxt[2]), "milestone": nxt[0], "unit": nxt[1]},
                "state": state,
                "clocks": {
                    "near_at": None if first_near is None else at(first_near),
                    "due": None if first_due is None else at(first_due), "calm": calm,
                    "milestones": [{
                        "milestone": m[0], "unit": m[1], "due": at(m[2]), "near_at": at(m[3]),
                        "done_at": None if m[4] is None else at(m[4]),
                        "on_time": None if m[4] is None else not m[5] < m[4]}
                        for m in marks]},
            }})
    return {"type": "FeatureCollection", "features": features, "seq": seq,
            "generated_at": _iso(now)}


def register(app: Flask, engine: Engine, user_of: Callable[[Connection, str], Any],
             clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    settings = Settings()

    @app.get("/map/judged")
    def judged() -> Response:
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        with engine.connect() as conn:
            if user_of(conn, token) is None:
                return Response('{"status":401,"detail":"token"}', 401,
                                mimetype="application/problem+json")
            doc = judged_map(conn, clock(), settings)
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode()
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            resp = Response(gzip.compress(data, 4), 200, mimetype="application/geo+json")
            resp.headers["Content-Encoding"] = "gzip"
            return resp
        return Response(data, 200, mimetype="application/geo+json")
