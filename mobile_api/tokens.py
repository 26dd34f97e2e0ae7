"""Bearer tokens: signed, expiring, carrying the user id and the user's token version. A REST
request takes its user from a short-lived cache (`user_cache`: refused at once in this process,
within `USER_CACHE_SECONDS` in the others), as does a socket's connect; a socket re-reads the
user's row on every event."""

from __future__ import annotations

import time

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dispatch import identity
from dispatch.errors import Unauthorized
from dispatch.model import User
from mobile_api.context import dispatch_context
from mobile_api.user_cache import UserCache

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
            token, max_age=int(dispatch_context().settings.token_ttl.total_seconds()),
            return_timestamp=True)
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
    """The token's user, read now from the database."""
    user_id, version = claims(token)
    return check_user(identity.load_user(dispatch_context(), user_id), version)


def cached_user_from_token(token: str) -> User:
    """The token's user, from the cache when it was read there recently with this version."""
    user_id, version = claims(token)
    cache: UserCache = current_app.extensions["token_users"]
    user = cache.get(user_id, version)
    if user is None:
        user = check_user(identity.load_user(dispatch_context(), user_id), version)
        cache.put(user)
    return user


def bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token> from POST /api/v1/auth/token")
    return token.strip()


def current_user() -> User:
    """The signed-in user of this request, or 401."""
    if "user" not in g:
        g.user = cached_user_from_token(bearer())
    user: User = g.user
    return user
