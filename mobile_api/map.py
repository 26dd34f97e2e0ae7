"""The command center's map: every open case the caller may see, in one GeoJSON read."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from dispatch import queries
from mobile_api import jsonio
from mobile_api import schemas as s
from mobile_api import serializers
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.tokens import current_user
from mobile_api.validation import query_args

bp = Blueprint("map", __name__)

GEOJSON = "application/geo+json"


@bp.get("/map/incidents")
@doc("The open cases you may see (every status but closed) as one GeoJSON FeatureCollection, "
     "with each case's clock state and next deadline; `seq` is the event log's last seq before "
     "the read, so a live page applies only the events after it",
     query=s.MapQuery, response=s.MapCollection, content_type=GEOJSON)
def incidents() -> ResponseReturnValue:
    user = current_user()
    q = query_args(s.MapQuery)
    view = queries.open_cases(dispatch_context(), user,
                              queries.MapFilters(unit=q.unit, category=q.category, bbox=q.bbox))
    # Compact separators and no key sorting: a few megabytes for thousands of cases, written by
    # the standard library with the project's rules (no NaN, UTF-8 as is).
    body = jsonio.dumps(serializers.open_cases(view), ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype=GEOJSON)
