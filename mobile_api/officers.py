"""Field officers' positions, sent in batches by phones that may have been offline."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from dispatch.positions import record_positions
from mobile_api import schemas as s
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.validation import json_body, validate
from mobile_api.tokens import current_user

bp = Blueprint("officers", __name__)


@bp.post("/officers/me/positions")
@doc("A batch of GPS fixes (a JSON array, or {positions: [...]})",
     body=(s.PositionsBatch, s.PositionsArray),
     response=s.PositionsAccepted, status=202, roles="officer")
def positions() -> ResponseReturnValue:
    user = current_user()
    if request.is_json and isinstance(request.get_json(silent=True), list):
        batch = validate(s.PositionsBatch, {"positions": request.get_json()})
    else:
        batch = json_body(s.PositionsBatch)
    fixes = [(p.wgs84_point(), p.accuracy_m, p.recorded_at) for p in batch.positions]
    stored = record_positions(dispatch_context(), user, fixes)
    return jsonify(received=len(fixes), stored=stored), 202
