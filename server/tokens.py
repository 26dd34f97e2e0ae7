"""Bearer tokens: signed, expiring, carrying only the user id; the user is re-read on each use so
a deactivated account stops working at once."""

from __future__ import annotations

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dispatch import identity
from dispatch.errors import Unauthorized
from dispatch.model import User

SALT = "access-token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue(user: User) -> str:
    return _serializer().dumps({"uid": user.id})


def user_from_token(token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_TTL_SECONDS"])
    except SignatureExpired:
        raise Unauthorized("the token has expired; sign in again") from None
    except BadSignature:
        raise Unauthorized("the token is not valid") from None
    user = identity.load_user(current_app.extensions["dispatch"], str(data.get("uid")))
    if user is None:
        raise Unauthorized("the token's user no longer exists or is disabled")
    return user


def current_user() -> User:
    """The signed-in user of this request, or 401."""
    if "user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send Authorization: Bearer <token> from POST /api/v1/auth/token")
        g.user = user_from_token(token.strip())
    return g.user
