"""Users and passwords."""

from __future__ import annotations

from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from dispatch.context import Context, reader
from dispatch.errors import Unauthorized
from dispatch.model import User


# A hash of nothing anyone can type, checked when the user is unknown so that both paths take
# the same time and a timing probe cannot list usernames.
@cache
def _dummy_hash() -> str:
    return generate_password_hash("no user has this password")


def hash_password(password: str, method: str = "scrypt") -> str:
    return generate_password_hash(password, method=method)


def authenticate(ctx: Context, username: str, password: str) -> User:
    with ctx.uow() as uow:
        user = uow.users.by_username(username)
        if user is None or not user.active:
            check_password_hash(_dummy_hash(), password)
            raise Unauthorized("unknown user or wrong password")
        if not check_password_hash(user.password_hash, password):
            raise Unauthorized("unknown user or wrong password")
        return user


def load_user(ctx: Context, user_id: str) -> User | None:
    with reader(ctx) as uow:
        user = uow.users.get(user_id)
        return user if user is not None and user.active else None
