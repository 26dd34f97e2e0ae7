"""Responsible units and the territories' boundaries."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from dispatch.errors import ServiceUnavailable
from geo.boundaries import Territory, to_feature_collection
from mobile_api import schemas as s
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.tokens import current_user

bp = Blueprint("units", __name__)


@bp.get("/units")
@doc("Territories and functional departments", response=s.UnitsOut)
def index() -> ResponseReturnValue:
    current_user()
    with dispatch_context().uow() as uow:
        units = uow.units.list()
        routing = uow.routing.table()
    return jsonify(items=[{"code": u.code, "name": u.name, "kind": u.kind} for u in units],
                   routing=routing)


@bp.get("/units/boundaries")
@doc("The active boundary set as a GeoJSON FeatureCollection (WGS-84)",
     response=s.BoundaryCollection, content_type="application/geo+json")
def boundaries() -> ResponseReturnValue:
    current_user()
    with dispatch_context().uow() as uow:
        active = uow.boundaries.active_set()
        if active is None:
            raise ServiceUnavailable("no boundary set is active")
        rows = uow.boundaries.territories(active.id)
    fc = to_feature_collection(
        [Territory(code, name, geom) for code, name, geom in rows],
        extra_properties={"boundary_set": active.name, "label": active.label})
    fc.update(name=active.name, label=active.label, boundary_set_id=active.id)
    resp = jsonify(fc)
    resp.mimetype = "application/geo+json"
    return resp
