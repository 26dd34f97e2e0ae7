"""Field officers: their positions, sent in batches by phones that may have been offline, and
the roster command's map shows (each officer's last position, when it was taken, the case)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from dispatch.context import Context
from dispatch.field_ports import OfficerStatus
from dispatch.officers import list_officers, officer_trail, way_to_case
from dispatch.positions import record_positions
from dispatch.utc import iso_utc
from mobile_api import schemas as s
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.validation import json_body, query_args, validate
from mobile_api.tokens import current_user

bp = Blueprint("officers", __name__)


@bp.post("/officers/me/positions")
@doc("A batch of GPS fixes (a JSON array, or {positions: [...]}); a fix implying more than the "
     "speed limit from your previous one is stored flagged",
     body=(s.PositionsBatch, s.PositionsArray),
     response=s.PositionsAccepted, status=202, roles="officer")
def positions() -> ResponseReturnValue:
    user = current_user()
    if request.is_json and isinstance(request.get_json(silent=True), list):
        batch = validate(s.PositionsBatch, {"positions": request.get_json()})
    else:
        batch = json_body(s.PositionsBatch)
    fixes = [(p.wgs84_point(), p.accuracy_m, p.recorded_at) for p in batch.positions]
    stored = record_positions(dispatch_context(), user, fixes,
                              mock=[p.mock_location for p in batch.positions])
    return jsonify(received=len(fixes), stored=stored), 202


@bp.get("/officers")
@doc("The active officers you may oversee (a dispatcher its unit's, command every unit's), "
     "each with the last position stored, when it was taken (`last_seen_at`), its accuracy, "
     "the mock-location flag and the case accepted, with the straight-line distance to its "
     "site and a rough time at `speed_kmh`", response=s.OfficersOut,
     roles="dispatcher, commander")
def roster() -> ResponseReturnValue:
    ctx = dispatch_context()
    officers = list_officers(ctx, current_user())
    return jsonify(items=[_officer(o, ctx) for o in officers], generated_at=iso_utc(ctx.clock()),
                   speed_kmh=ctx.settings.travel_speed_kmh)


@bp.get("/officers/<officer_id>/trail")
@doc("An officer's fixes of the last `minutes` (the server's `TRAIL_MINUTES` when absent), "
     "oldest first: for command, or the officer's own unit's dispatcher", query=s.TrailQuery,
     response=s.TrailOut, roles="dispatcher, commander", errors=(404,))
def trail(officer_id: str) -> ResponseReturnValue:
    ctx = dispatch_context()
    q = query_args(s.TrailQuery)
    since, fixes = officer_trail(ctx, current_user(), officer_id, q.minutes)
    return jsonify(officer_id=officer_id, since=iso_utc(since),
                   minutes=q.minutes or ctx.settings.trail_minutes,
                   items=[{"lat": f.lat, "lon": f.lon, "recorded_at": iso_utc(f.at),
                           "accuracy_m": f.accuracy_m} for f in fixes])


def _officer(o: OfficerStatus, ctx: Context) -> dict[str, Any]:
    """As `schemas.OfficerOut` (a test holds the answer to it)."""
    way = way_to_case(ctx, o)
    return {
        "id": o.id, "username": o.username, "name": o.name,
        "unit": None if o.unit_code is None else {"code": o.unit_code,
                                                  "name": o.unit_name or o.unit_code},
        "position": None if o.lat is None else {"lat": o.lat, "lon": o.lon},
        "accuracy_m": o.accuracy_m,
        "last_seen_at": None if o.last_seen_at is None else iso_utc(o.last_seen_at),
        "received_at": None if o.received_at is None else iso_utc(o.received_at),
        "mock_location": o.mock_location,
        "case": None if o.case is None else {
            "id": o.case.id, "case_number": o.case.case_number, "status": o.case.status,
            "distance_m": None if way is None else way.distance_m,
            "eta_s": None if way is None else way.eta_s},
    }
