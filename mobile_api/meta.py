"""The machine-readable description of the API."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from mobile_api import openapi
from mobile_api.openapi import doc

bp = Blueprint("meta", __name__)


@bp.get("/openapi.json")
@doc("This OpenAPI 3.1 document", response={"type": "object"}, public=True, storage=False)
def spec() -> ResponseReturnValue:
    return jsonify(openapi.build(current_app))
