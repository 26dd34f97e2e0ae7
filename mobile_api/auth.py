"""Signing in."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from dispatch import identity
from mobile_api.openapi import doc
from mobile_api.schemas import TokenOut, TokenRequest
from mobile_api.validation import json_body
from server import tokens

bp = Blueprint("auth", __name__)


@bp.post("/auth/token")
@doc("Exchange a username and password for a bearer token", body=TokenRequest,
     response=TokenOut, public=True, errors=(401, 429))
def token():  # type: ignore[no-untyped-def]
    req = json_body(TokenRequest)
    user = identity.authenticate(current_app.extensions["dispatch"], req.username, req.password)
    out = TokenOut(access_token=tokens.issue(user),
                   expires_in=current_app.config["TOKEN_TTL_SECONDS"],
                   role=user.role, user_id=user.id)
    return jsonify(out.model_dump())
