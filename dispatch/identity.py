"""Users, passwords and the revocation of their tokens.

The hashing itself is injected (`ctx.password_hasher`, `ctx.password_verifier`): the web process
runs it off its event loop, and the domain does not need to know how.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dispatch.context import Context, reader
from dispatch.errors import NotFound, Unauthorized
from dispatch.model import User
from dispatch.usernames import normalize

WRONG = "unknown user or wrong password"


def _verifier(ctx: Context) -> Callable[[str | None, str], tuple[bool, bool]]:
    if ctx.password_verifier is None or ctx.password_hasher is None:
        raise RuntimeError("the context has no password hasher and verifier wired")
    return ctx.password_verifier


def authenticate(ctx: Context, username: str, password: str) -> User:
    """The user whose password this is, or Unauthorized (the same answer, after the same work,
    for an unknown user, a disabled one and a wrong password). The name is read in its one
    spelling (dispatch/usernames.py), the one the sign-in throttle counts.

    No transaction is held while the hash is checked: a burst of sign-ins must not hold the
    database's connections for the length of a hash each. A hash made by an older scheme or
    with older parameters is replaced by one made the current way."""
    verify = _verifier(ctx)
    with reader(ctx) as uow:
        user = uow.users.by_username(normalize(username))
    if user is None or not user.active:
        verify(None, password)
        raise Unauthorized(WRONG)
    ok, stale = verify(user.password_hash, password)
    if not ok:
        raise Unauthorized(WRONG)
    if stale:
        _rehash(ctx, user, password)
    return user


def _rehash(ctx: Context, user: User, password: str) -> None:
    assert ctx.password_hasher is not None
    old, new = user.password_hash, ctx.password_hasher(password)
    with ctx.uow() as uow:
        fresh = uow.users.get(user.id)
        # Only if nobody changed the password meanwhile: theirs wins.
        if fresh is not None and fresh.password_hash == old:
            fresh.password_hash = new
            uow.commit()
    user.password_hash = new


def revoke_tokens(ctx: Context, user_id: str) -> None:
    """Every token issued to the user so far stops working, in every process at once: tokens
    carry the version they were issued under and each use compares it with the user's row.

    Two revocations at once may both write the same new version: either way every older token
    is dead, which is all a revocation promises."""
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        user.token_version += 1
        uow.commit()


def deactivate_user(ctx: Context, username: str) -> User:
    """Disable the account and revoke its tokens (HTTP and open sockets stop at their next use;
    the storage layer raises the version on any change of `active`, whatever the path)."""
    with ctx.uow() as uow:
        user = uow.users.by_username(normalize(username))
        if user is None:
            raise NotFound(f"no user {normalize(username)}")
        user.active = False  # the storage raises token_version with it
        uow.commit()
        return user


def load_user(ctx: Context, user_id: str) -> User | None:
    with reader(ctx) as uow:
        user = uow.users.get(user_id)
        return user if user is not None and user.active else None


def unit_name(ctx: Context, code: str | None) -> str | None:
    """A unit's name (a dispatcher's header names its unit, not its code); None if unknown."""
    if code is None:
        return None
    with reader(ctx) as uow:
        unit = uow.units.get(code)
        return unit.name if unit is not None else None


def load_users(ctx: Context, user_ids: Iterable[str]) -> dict[str, User]:
    """The active users among these ids, in one read (connected sockets are re-checked so)."""
    with reader(ctx) as uow:
        return {u.id: u for u in uow.users.many(list(user_ids)) if u.active}
