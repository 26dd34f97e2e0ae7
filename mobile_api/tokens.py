"""Bearer tokens: signed, expiring, carrying the user id and the user's token version; the user is
re-read on each use, so a deactivated account or a revoked token stops working at once, in every
process (no shared cache, no Redis: the check rides on the user row each request reads anyway)."""

from __future__ import annotations

import time

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dispatch import identity
from dispatch.errors import Unauthorized
from dispatch.model import User
from mobile_api.context import dispatch_context

SALT = "access-token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue(user: User, ttl_s: int | None = None) -> str:
    """A token for the user; `ttl_s` makes it expire sooner than TOKEN_TTL_SECONDS (the command
    center's pages hold such short-lived tokens, renewed from their session)."""
    data: dict[str, object] = {"uid": user.id, "ver": user.token_version}
    if ttl_s is not None:
        data["ttl"] = int(ttl_s)
    return _serializer().dumps(data)


def claims(token: str) -> tuple[str, int]:
    """The user id and token version a token carries, once its signature and age are checked."""
    try:
        data, signed_at = _serializer().loads(
            token, max_age=current_app.config["TOKEN_TTL_SECONDS"], return_timestamp=True)
    except SignatureExpired:
        raise Unauthorized("the token has expired; sign in again") from None
    except BadSignature:
        raise Unauthorized("the token is not valid") from None
    if not isinstance(data, dict):
        raise Unauthorized("the token is not valid")
    ttl = data.get("ttl")
    if isinstance(ttl, int) and time.time() - signed_at.timestamp() > ttl:
        raise Unauthorized("the token has expired; sign in again")
    # Tokens from before versions existed carry none: version 0, as the migration set.
    return str(data.get("uid")), data.get("ver", 0)


def check_user(user: User | None, version: int) -> User:
    """The token's user as read now: gone, disabled or revoked is 401."""
    if user is None:
        raise Unauthorized("the token's user no longer exists or is disabled")
    if version != user.token_version:
        raise Unauthorized("the token was revoked; sign in again")
    return user


def user_from_token(token: str) -> User:
    user_id, version = claims(token)
    return check_user(identity.load_user(dispatch_context(), user_id), version)


def bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token> from POST /api/v1/auth/token")
    return token.strip()


def current_user() -> User:
    """The signed-in user of this request, or 401."""
    if "user" not in g:
        g.user = user_from_token(bearer())
    return g.user
