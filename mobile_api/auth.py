"""Signing in and out.

Sign-in is throttled per username and per client address (server/throttle.py); sign-out revokes
every token of the user, not only the one presented: a bearer token may have been copied (a lost
phone, a shared terminal), and "sign out" that left a copy working would not be one. It needs no
state beyond the user's token version, so it holds across every web process at once.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from dispatch import identity
from dispatch.model import Role
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.schemas import TokenOut, TokenRequest
from mobile_api.validation import json_body
from mobile_api import tokens

bp = Blueprint("auth", __name__)


@bp.post("/auth/token")
@doc("Exchange a username and password for a bearer token", body=TokenRequest,
     response=TokenOut, public=True, errors=(401, 429))
def token() -> ResponseReturnValue:
    req = json_body(TokenRequest)
    user = identity.authenticate(dispatch_context(), req.username, req.password)
    out = TokenOut(access_token=tokens.issue(user),
                   expires_in=int(dispatch_context().settings.token_ttl.total_seconds()),
                   role=Role(user.role), user_id=user.id, unit_code=user.unit_code)
    return jsonify(out.model_dump())


@bp.post("/auth/sign-out")
@doc("Sign out: revoke every token of the signed-in user (on every device)", status=204)
def sign_out() -> ResponseReturnValue:
    user = tokens.current_user()
    identity.revoke_tokens(dispatch_context(), user.id)
    return "", 204
