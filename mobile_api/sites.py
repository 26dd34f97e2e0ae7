"""Enterprises' registered sites and project sites."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from dispatch import sites
from mobile_api import schemas as s
from mobile_api import serializers
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.validation import json_body
from mobile_api.tokens import current_user

bp = Blueprint("sites", __name__)


@bp.post("/sites")
@doc("Register a site (reporter: its own; admin: for a reporter, green channel included)",
     body=s.SiteCreate, response=s.SiteOut, status=201, roles="reporter, admin")
def create() -> ResponseReturnValue:
    user = current_user()
    body = json_body(s.SiteCreate)
    site = sites.register_site(dispatch_context(), user, body.name,
                               body.location.wgs84_point(), body.address, body.green_channel,
                               body.lead_department, body.owner_id)
    return jsonify(serializers.site(site)), 201


@bp.get("/sites")
@doc("List sites (a reporter sees its own)", response=s.SiteList,
     roles="reporter, admin, commander")
def index() -> ResponseReturnValue:
    found = sites.list_sites(dispatch_context(), current_user())
    return jsonify(items=[serializers.site(x) for x in found])
