"""The label catalogue (`dispatch.labels`) for the pages and the apps: one JSON document, the same
for everyone and changed only by a deployment, so it is public, cached and conditional (ETag)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from dispatch import labels as catalogue
from mobile_api import schemas as s
from mobile_api.openapi import doc

bp = Blueprint("labels", __name__)


@bp.get("/labels")
@doc("The names of the categories, statuses, milestones, roles and clock states in every "
     "language the pages speak (zh-CN, en): every page reads its labels here",
     response=s.LabelsOut, public=True, storage=False)
def labels() -> ResponseReturnValue:
    response = jsonify(catalogue.document())
    response.add_etag()
    return response.make_conditional(request)
