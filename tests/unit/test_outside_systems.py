"""Outside systems and their Open311 keys (`dispatch.outside_systems`) on the fake unit of work:
the account a first key creates, the key's form and what is stored of it, a new key replacing the
old one, revocation, the listing, and every refusal with its exact message."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from dispatch import outside_systems as systems
from dispatch.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dispatch.model import Role, User
from tests.unit.fakes import T0, World, new_world

TOKEN_CHARS = 43  # secrets.token_urlsafe(32): 256 bits, base64url without padding


@pytest.fixture
def w() -> World:
    return new_world()


def _hasher(password: str) -> str:
    return f"hash:{password}"


def _account(w: World, name: str) -> User:
    with w.db.uow() as uow:
        user = uow.users.by_username(name)
    assert user is not None
    return user


def test_a_first_key_creates_the_system_s_reporter_account_and_only_its_hash_is_kept(
        w: World) -> None:
    now = w.clock.advance(minutes=3)
    key, created = systems.issue_key(w.ctx, "city-12345", _hasher)
    assert created is True
    assert key.startswith("o311_") and len(key) == len("o311_") + TOKEN_CHARS
    user = _account(w, "city-12345")
    assert (user.role, user.display_name, user.active, user.api_key_issued_at) == (
        Role.REPORTER, "city-12345", True, now)
    assert user.api_key_hash == hashlib.sha256(key.encode("utf-8")).hexdigest()
    # A random password no one is told: hashed like any other, never the key itself.
    assert user.password_hash.startswith("hash:")
    assert len(user.password_hash) == len("hash:") + TOKEN_CHARS
    assert user.password_hash != _hasher(key)
    assert systems.authenticate(w.ctx, key).id == user.id


def test_two_keys_are_never_the_same() -> None:
    w = new_world()
    first, _ = systems.issue_key(w.ctx, "a1", _hasher)
    second, _ = systems.issue_key(w.ctx, "a2", _hasher)
    assert first != second
    assert _account(w, "a1").password_hash != _account(w, "a2").password_hash


def test_the_key_hash_is_the_sha256_of_its_utf8_text() -> None:
    assert systems.key_hash("o311_密钥") == hashlib.sha256("o311_密钥".encode()).hexdigest()


def test_a_new_key_replaces_the_old_and_brings_a_revoked_account_back(w: World) -> None:
    old, _ = systems.issue_key(w.ctx, "fms", _hasher)
    assert systems.revoke_key(w.ctx, "fms") is True
    w.clock.advance(days=1)
    new, created = systems.issue_key(w.ctx, "fms", _hasher, api_key="o311_fixed")
    assert (new, created) == ("o311_fixed", False)
    with pytest.raises(Forbidden, match="^invalid api_key$"):
        systems.authenticate(w.ctx, old)
    assert systems.authenticate(w.ctx, new).username == "fms"
    assert _account(w, "fms").api_key_issued_at == T0 + timedelta(days=1)


def test_a_disabled_account_is_enabled_again_by_a_new_key(w: World) -> None:
    systems.issue_key(w.ctx, "fms", _hasher)
    with w.db.uow() as uow:
        user = uow.users.by_username("fms")
        assert user is not None
        user.active = False
        uow.commit()
    key, _ = systems.issue_key(w.ctx, "fms", _hasher)
    assert _account(w, "fms").active is True
    assert systems.authenticate(w.ctx, key).username == "fms"


@pytest.mark.parametrize("name", ["ab", "a" * 64, "0x", "city.12345_a-b"])
def test_a_system_name_of_2_to_64_of_its_characters_is_accepted(w: World, name: str) -> None:
    assert systems.issue_key(w.ctx, name, _hasher)[1] is True


@pytest.mark.parametrize("name", ["a", "a" * 65, "-ab", ".ab", "城市", "a b", ""])
def test_any_other_name_is_refused_saying_what_a_name_is(w: World, name: str) -> None:
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        systems.issue_key(w.ctx, name, _hasher)
    assert [(e.field, e.message) for e in refused.value.errors] == [(
        "name", "2 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")]
    assert w.db.snapshot() == before


def test_a_user_of_the_product_is_not_made_an_outside_system(w: World) -> None:
    before = w.db.snapshot()
    with pytest.raises(Conflict) as refused:
        systems.issue_key(w.ctx, "reporter", _hasher)
    assert str(refused.value) == "reporter is a user of the product, not an outside system"
    with pytest.raises(NotFound) as missing:
        systems.revoke_key(w.ctx, "reporter")
    assert str(missing.value) == "no outside system reporter"
    with pytest.raises(NotFound, match="^no outside system nobody$"):
        systems.revoke_key(w.ctx, "nobody")
    assert w.db.snapshot() == before


def test_revoking_stops_the_key_at_once_and_the_listing_shows_it(w: World) -> None:
    key, _ = systems.issue_key(w.ctx, "b-system", _hasher)
    systems.issue_key(w.ctx, "a-system", _hasher)
    a, b = _account(w, "a-system"), _account(w, "b-system")
    assert systems.list_systems(w.ctx) == [
        systems.OutsideSystem("a-system", a.id, T0, True),
        systems.OutsideSystem("b-system", b.id, T0, True)]
    assert systems.revoke_key(w.ctx, "b-system") is True
    assert systems.revoke_key(w.ctx, "b-system") is False  # it held no key any more
    with pytest.raises(Forbidden, match="^invalid api_key$"):
        systems.authenticate(w.ctx, key)
    assert systems.list_systems(w.ctx)[1] == systems.OutsideSystem("b-system", b.id, T0, False)


@pytest.mark.parametrize("key", [None, ""])
def test_a_call_without_a_key_is_refused(w: World, key: str | None) -> None:
    with pytest.raises(Forbidden) as refused:
        systems.authenticate(w.ctx, key)
    assert str(refused.value) == "an api_key is required"


def test_an_unknown_key_or_one_held_by_an_account_that_may_not_use_it_is_refused(
        w: World) -> None:
    key, _ = systems.issue_key(w.ctx, "fms", _hasher)
    with w.db.uow() as uow:  # a key on an account that is not a reporter: never honoured
        commander = uow.users.get("id-commander")
        assert commander is not None
        commander.api_key_hash, commander.api_key_issued_at = systems.key_hash("o311_cmd"), T0
        uow.commit()
    for wrong in ("o311_unknown", "o311_cmd", key + "x"):
        with pytest.raises(Forbidden) as refused:
            systems.authenticate(w.ctx, wrong)
        assert str(refused.value) == "invalid api_key"
    with w.db.uow() as uow:
        user = uow.users.by_username("fms")
        assert user is not None
        user.active = False
        uow.commit()
    with pytest.raises(Forbidden, match="^invalid api_key$"):
        systems.authenticate(w.ctx, key)
    assert systems.list_systems(w.ctx)[-1].active is False
