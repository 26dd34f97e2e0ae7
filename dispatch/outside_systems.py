"""Outside systems (a city's 12345 platform, FixMyStreet-style apps) and their Open311 API keys.

Each outside system is a reporter account of its own, so that a request it creates through
Open311 is an incident like any other, reported by that account, and what it sent can be told
from what a phone sent. Its password is random and never shown: the account signs in only with
its key.

Keys are high-entropy random strings (256 bits) shown once at issue; only their SHA-256 is
stored. A slow password hash (what protects the users' passwords) is not needed here: it slows
down guessing a low-entropy secret, and a 256-bit key cannot be guessed, while a plain hash lets
every Open311 call find its account with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dispatch.context import Context, reader
from dispatch.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dispatch.model import Role, User
from dispatch.usernames import normalize

KEY_PREFIX = "o311_"
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,63}")


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OutsideSystem:
    name: str
    user_id: str
    issued_at: datetime | None
    active: bool  # holds a key that works


def issue_key(ctx: Context, name: str, hash_password: Callable[[str], str],
              api_key: str | None = None) -> tuple[str, bool]:
    """A new key for the outside system `name` (its account is created the first time);
    any key it held before stops working. Returns the key and whether the account is new.
    `api_key`: a fixed key, for the demo only. The name is read in its one spelling."""
    name = normalize(name)
    if not NAME.fullmatch(name):
        raise ValidationFailed.on("name", "2 to 64 of a-z, 0-9, '.', '_', '-', starting with a "
                                          "letter or digit")
    key = api_key or KEY_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        now = ctx.clock()
        user = uow.users.by_username(name)
        created = user is None
        if user is None:
            user = User(username=name, role=Role.REPORTER, display_name=name,
                        password_hash=hash_password(secrets.token_urlsafe(32)))
            uow.users.add(user)
        elif user.api_key_issued_at is None:
            raise Conflict(f"{name} is a user of the product, not an outside system")
        user.api_key_hash, user.api_key_issued_at = key_hash(key), now
        user.active = True
        uow.commit()
    return key, created


def revoke_key(ctx: Context, name: str) -> bool:
    """The system's key stops working at once; its account and its requests stay. False when
    it held no key."""
    name = normalize(name)
    with ctx.uow() as uow:
        user = uow.users.by_username(name)
        if user is None or user.api_key_issued_at is None:
            raise NotFound(f"no outside system {name}")
        had = user.api_key_hash is not None
        user.api_key_hash = None
        uow.commit()
    return had


def list_systems(ctx: Context) -> list[OutsideSystem]:
    with reader(ctx) as uow:
        return [OutsideSystem(u.username, u.id, u.api_key_issued_at,
                              u.api_key_hash is not None and u.active)
                for u in uow.users.outside_systems()]


def authenticate(ctx: Context, api_key: str | None) -> User:
    """The outside system that holds this key; Forbidden for a missing, unknown or revoked one."""
    if not api_key:
        raise Forbidden("an api_key is required")
    with reader(ctx) as uow:
        user = uow.users.by_api_key_hash(key_hash(api_key))
    if user is None or not user.active or user.role != Role.REPORTER:
        raise Forbidden("invalid api_key")
    return user
