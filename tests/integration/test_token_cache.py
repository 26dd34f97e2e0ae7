"""The token's user is reused for USER_CACHE_SECONDS (mobile_api/user_cache.py): a revocation made
through the storage in this process is refused at once; one made elsewhere (here a plain SQL
update, as another process would) within the bound, and not a moment later."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, update

from dispatch import identity
from dispatch.model import Role, User
from dispatch.storage import tables as t
from mobile_api import tokens
from mobile_api.user_cache import UserCache
from server import config as cfgmod
from server.config import Config

UNITS = "/api/v1/units"


@pytest.fixture
def member(app, ctx) -> Iterator[tuple[User, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """A new reporter and a bearer token of it; removed afterwards."""
    user = User(username=f"cached-{uuid.uuid4().hex[:8]}", password_hash="x", role=Role.REPORTER)
    with ctx.uow() as uow:
        uow.users.add(user)
        uow.commit()
    with app.app_context():
        headers = {"Authorization": f"Bearer {tokens.issue(user)}"}
    yield user, headers
    with ctx.engine.begin() as conn:
        conn.execute(delete(t.users).where(t.users.c.id == user.id))


@pytest.fixture
def now(app) -> Iterator[list[float]]:  # type: ignore[no-untyped-def]
    """The cache on, with the production's bound (the suite runs without it), and its clock,
    moved by the test."""
    cache: UserCache = app.extensions["token_users"]
    moment = [1000.0]
    cache.clock, cache.ttl = (lambda: moment[0]), Config().USER_CACHE_SECONDS
    yield moment
    cache.clock, cache.ttl = time.monotonic, cfgmod.of(app).USER_CACHE_SECONDS


def _revoke_by_sql(ctx, user: User) -> None:  # type: ignore[no-untyped-def]
    with ctx.engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.id == user.id)
                     .values(token_version=t.users.c.token_version + 1))


def test_a_revocation_elsewhere_is_refused_within_the_bound(app, client, ctx, member, now):
    user, headers = member
    ttl = app.extensions["token_users"].ttl
    assert ttl == 5.0
    assert client.get(UNITS, headers=headers).status_code == 200  # read and kept
    _revoke_by_sql(ctx, user)
    now[0] += ttl - 0.001
    assert client.get(UNITS, headers=headers).status_code == 200  # the cache's word, in bound
    now[0] += 0.001
    r = client.get(UNITS, headers=headers)
    assert r.status_code == 401 and "revoked" in r.get_json()["detail"]


def test_a_revocation_through_the_storage_here_is_refused_at_once(client, ctx, member, now):
    user, headers = member
    assert client.get(UNITS, headers=headers).status_code == 200
    identity.revoke_tokens(ctx, user.id)
    assert client.get(UNITS, headers=headers).status_code == 401


def test_a_deactivation_here_is_refused_at_once(client, ctx, member, now):
    user, headers = member
    assert client.get(UNITS, headers=headers).status_code == 200
    identity.deactivate_user(ctx, user.username)
    assert client.get(UNITS, headers=headers).status_code == 401


def test_a_newer_token_than_the_cached_user_is_read_again(app, client, ctx, member, now):
    user, headers = member
    assert client.get(UNITS, headers=headers).status_code == 200
    _revoke_by_sql(ctx, user)
    user.token_version += 1
    with app.app_context():
        fresh = {"Authorization": f"Bearer {tokens.issue(user)}"}
    assert client.get(UNITS, headers=fresh).status_code == 200
    assert client.get(UNITS, headers=headers).status_code == 401  # the cache now knows
