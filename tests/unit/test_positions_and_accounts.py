"""Officers' positions (what the map is pushed, what is stored) and accounts (sign-in, the
rehash of a stale password, revocation, disabling, loading the signed-in user)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dispatch.errors import NotFound, Unauthorized, ValidationFailed
from dispatch.identity import (
    WRONG, authenticate, deactivate_user, load_user, load_users, revoke_tokens,
)
from dispatch.positions import record_positions
from tests.unit.fakes import IN_EAST, IN_WEST, T0, WEST, World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


# -- positions ------------------------------------------------------------------------------

def test_the_pushed_fix_carries_what_the_map_shows(w: World) -> None:
    officer = w.user("officer")
    # 9.1 km apart, 3 hours apart: a plausible drive (issue 16 flags a faster one).
    fixes = [(IN_EAST, 8.0, T0 - timedelta(minutes=1)), (IN_WEST, 5.0, T0 - timedelta(hours=3))]
    assert record_positions(w.ctx, officer, fixes) == 2
    newest_id = max(p.id for p in w.db.state.positions)
    [(user, fix)] = w.rec.pushed
    assert user is officer
    assert fix == {
        "seq": newest_id, "officer_id": officer.id, "name": officer.display_name,
        "unit": WEST, "lat": IN_EAST.y, "lon": IN_EAST.x, "accuracy_m": 8.0,
        "recorded_at": "2026-11-27T01:59:00Z", "last_seen_at": "2026-11-27T01:59:00Z",
        "mock_location": None, "flagged_speed_kmh": None}


def test_the_pushed_seq_grows_with_each_batch_and_is_the_officers_own(w: World) -> None:
    record_positions(w.ctx, w.user("officer"), [(IN_WEST, None, T0 - timedelta(minutes=3))])
    record_positions(w.ctx, w.user("officer2"), [(IN_WEST, None, T0 - timedelta(minutes=2))])
    record_positions(w.ctx, w.user("officer"), [(IN_WEST, None, T0 - timedelta(minutes=1))])
    seqs = [(user.username, fix["seq"]) for user, fix in w.rec.pushed]
    officer_ids = [p.id for p in w.db.state.positions if p.officer_id == w.user("officer").id]
    assert seqs[0] == ("officer", officer_ids[0]) and seqs[2] == ("officer", officer_ids[1])
    assert seqs[0][1] < seqs[1][1] < seqs[2][1]
    assert all(isinstance(s, int) and s > 0 for _, s in seqs)


def test_a_backlog_sent_after_the_newest_fix_is_stored_but_not_pushed(w: World) -> None:
    """The officer's app sends the newest fix first, then its offline backlog: the map keeps the
    newest position (an older one pushed would move the dot back)."""
    officer = w.user("officer")
    record_positions(w.ctx, officer, [(IN_WEST, 5.0, T0 - timedelta(minutes=1))])
    backlog = [(IN_WEST, 5.0, T0 - timedelta(minutes=3)), (IN_WEST, 5.0, T0 - timedelta(minutes=2))]
    assert record_positions(w.ctx, officer, backlog) == 2
    assert [fix["recorded_at"] for _, fix in w.rec.pushed] == ["2026-11-27T01:59:00Z"]
    assert len(w.db.state.positions) == 3


def test_a_batch_as_new_as_the_stored_fix_or_newer_is_pushed(w: World) -> None:
    officer = w.user("officer")
    record_positions(w.ctx, officer, [(IN_WEST, 5.0, T0 - timedelta(minutes=2))])
    record_positions(w.ctx, w.user("officer2"), [(IN_WEST, 5.0, T0)])  # another's newer fix
    record_positions(w.ctx, officer, [(IN_WEST, 5.0, T0 - timedelta(minutes=2)),
                                      (IN_WEST, 5.0, T0 - timedelta(minutes=1))])
    assert [(u.username, fix["recorded_at"]) for u, fix in w.rec.pushed] == [
        ("officer", "2026-11-27T01:58:00Z"), ("officer2", "2026-11-27T02:00:00Z"),
        ("officer", "2026-11-27T01:59:00Z")]


def test_stored_fixes_are_received_at_the_servers_time(w: World) -> None:
    w.clock.advance(seconds=30)
    record_positions(w.ctx, w.user("officer"), [(IN_WEST, None, T0)])
    assert [p.received_at for p in w.db.state.positions] == [T0 + timedelta(seconds=30)]


def test_each_fix_needs_its_field_name(w: World) -> None:
    """A field list shorter than the batch is a caller's error, not a fix that escapes the
    device-time check."""
    fixes = [(IN_WEST, None, T0), (IN_WEST, None, T0 - timedelta(days=365))]
    with pytest.raises(ValueError):
        record_positions(w.ctx, w.user("officer"), fixes, fields=["fixes.0.at"])
    assert w.db.state.positions == [] and w.rec.pushed == []


def test_the_given_field_names_are_the_ones_a_refusal_names(w: World) -> None:
    fixes = [(IN_WEST, None, T0), (IN_WEST, None, T0 - timedelta(days=365))]
    with pytest.raises(ValidationFailed) as refused:
        record_positions(w.ctx, w.user("officer"), fixes, fields=["a.at", "b.at"])
    assert [e.field for e in refused.value.errors] == ["b.at"]


# -- signing in -----------------------------------------------------------------------------

def _set_hash(w: World, username: str, value: str) -> None:
    with w.db.uow() as uow:
        user = uow.users.by_username(username)
        assert user is not None
        user.password_hash = value
        uow.commit()


@pytest.mark.parametrize("username, password", [
    ("officer", "wrong"), ("nobody", "officer"), ("disabled", "officer")])
def test_every_refused_sign_in_gets_the_same_answer(w: World, username: str,
                                                    password: str) -> None:
    if username == "disabled":
        deactivate_user(w.ctx, "officer")
        username = "officer"
    with pytest.raises(Unauthorized) as refused:
        authenticate(w.ctx, username, password)
    assert str(refused.value) == WRONG == "unknown user or wrong password"


@pytest.mark.parametrize("username", ["nobody", "disabled"])
def test_an_unknown_or_disabled_user_costs_a_hash_of_the_password_given(
        w: World, username: str) -> None:
    calls: list[tuple[str | None, str]] = []

    def verify(stored: str | None, password: str) -> tuple[bool, bool]:
        calls.append((stored, password))
        return False, False

    if username == "disabled":
        deactivate_user(w.ctx, "officer")
        username = "officer"
    ctx = replace(w.ctx, password_verifier=verify)
    with pytest.raises(Unauthorized):
        authenticate(ctx, username, "secret")
    assert calls == [(None, "secret")]


@pytest.mark.parametrize("missing", ["password_hasher", "password_verifier"])
def test_sign_in_needs_both_a_hasher_and_a_verifier(w: World, missing: str) -> None:
    ctx = (replace(w.ctx, password_hasher=None) if missing == "password_hasher"
           else replace(w.ctx, password_verifier=None))
    with pytest.raises(RuntimeError,
                       match="^the context has no password hasher and verifier wired$"):
        authenticate(ctx, "officer", "officer")


def test_a_stale_hash_is_replaced_and_the_returned_user_carries_the_new_one(w: World) -> None:
    _set_hash(w, "officer", "old:pw")
    user = authenticate(w.ctx, "officer", "pw")
    assert user.password_hash == "hash:pw"
    assert w.db.state.users[user.id].password_hash == "hash:pw"


def test_a_current_hash_is_left_as_it_is(w: World) -> None:
    commits = w.db.commits
    authenticate(w.ctx, "officer", "officer")
    assert w.db.commits == commits
    assert w.db.state.users[w.user("officer").id].password_hash == "hash:officer"


def test_a_password_changed_meanwhile_is_not_overwritten_by_the_rehash(w: World) -> None:
    _set_hash(w, "officer", "old:pw")

    def verify(stored: str | None, password: str) -> tuple[bool, bool]:
        _set_hash(w, "officer", "hash:changed")  # someone else changes it while we hash
        return True, True

    user = authenticate(replace(w.ctx, password_verifier=verify), "officer", "pw")
    assert w.db.state.users[user.id].password_hash == "hash:changed"


def test_a_user_removed_meanwhile_is_not_rehashed(w: World) -> None:
    _set_hash(w, "officer", "old:pw")
    officer_id = w.user("officer").id

    def verify(stored: str | None, password: str) -> tuple[bool, bool]:
        del w.db.state.users[officer_id]
        return True, True

    authenticate(replace(w.ctx, password_verifier=verify), "officer", "pw")
    assert officer_id not in w.db.state.users


# -- revoking and disabling -----------------------------------------------------------------

def test_revoking_raises_only_that_users_version_by_one(w: World) -> None:
    revoke_tokens(w.ctx, w.user("officer").id)
    versions = {u.username: u.token_version for u in w.db.state.users.values()}
    assert versions["officer"] == 1
    assert {v for name, v in versions.items() if name != "officer"} == {0}


def test_revoking_or_disabling_an_unknown_user_names_it(w: World) -> None:
    with pytest.raises(NotFound, match="^no user ghost-id$"):
        revoke_tokens(w.ctx, "ghost-id")
    with pytest.raises(NotFound, match="^no user ghost$"):
        deactivate_user(w.ctx, "ghost")


def test_disabling_returns_the_disabled_account(w: World) -> None:
    user = deactivate_user(w.ctx, "officer2")
    assert (user.id, user.active) == (w.user("officer2").id, False)
    assert w.db.state.users[user.id].active is False
    assert w.db.state.users[w.user("officer").id].active is True


# -- loading the signed-in user -------------------------------------------------------------

def test_load_user_gives_an_active_user_and_nothing_otherwise(w: World) -> None:
    loaded = load_user(w.ctx, w.user("officer").id)
    assert loaded is not None and loaded.username == "officer"
    assert load_user(w.ctx, "ghost-id") is None
    deactivate_user(w.ctx, "officer")
    assert load_user(w.ctx, w.user("officer").id) is None


def test_load_users_keys_the_active_ones_by_id(w: World) -> None:
    deactivate_user(w.ctx, "officer2")
    ids = [w.user(n).id for n in ("officer", "officer2", "admin")] + ["ghost-id"]
    loaded = load_users(w.ctx, iter(ids))
    assert {k: u.username for k, u in loaded.items()} == {
        w.user("officer").id: "officer", w.user("admin").id: "admin"}
