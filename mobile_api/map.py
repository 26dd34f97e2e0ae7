"""The command center's map: every open case the caller may see, in one GeoJSON read."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue

from dispatch import queries
from mobile_api import schemas as s
from mobile_api.context import dispatch_context
from mobile_api.map_cache import MapCache
from mobile_api.openapi import doc
from mobile_api.tokens import current_user
from mobile_api.validation import query_args

bp = Blueprint("map", __name__)

GEOJSON = "application/geo+json"
CACHE_KEY = "map_cache"


@bp.get("/map/incidents")
@doc("The open cases you may see (every status but closed) as one GeoJSON FeatureCollection, "
     "with each case's clock state and next deadline; `seq` is the event log's last seq before "
     "the read, so a live page applies only the events after it",
     query=s.MapQuery, response=s.MapCollection, content_type=GEOJSON)
def incidents() -> ResponseReturnValue:
    user = current_user()
    q = query_args(s.MapQuery)
    ctx = dispatch_context()
    filters = queries.MapFilters(unit=q.unit, category=q.category, bbox=q.bbox)
    # Compact separators and no key sorting: a few megabytes for thousands of cases, written by
    # the standard library with the project's rules (no NaN, UTF-8 as is), kept per event-log
    # seq and judged again at each answer (`mobile_api.map_cache`).
    body = cache().document(queries.map_scope(user, filters), queries.last_seq(ctx),
                            ctx.clock(), lambda: queries.open_cases(ctx, user, filters))
    return Response(body, mimetype=GEOJSON)


def cache() -> MapCache:
    """This app's map cache (one per web process's app; tests empty it with the database)."""
    found = current_app.extensions.get(CACHE_KEY)
    if found is None:
        found = current_app.extensions[CACHE_KEY] = MapCache()
    assert isinstance(found, MapCache)
    return found
