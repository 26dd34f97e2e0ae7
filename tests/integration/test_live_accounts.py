"""A socket is only as good as its token, re-checked on every client event; and the names the
server uses for a connection's own life cannot be sent by a client (flask_socketio's test client;
tests/e2e/test_socket_accounts.py does the same over a real websocket)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete

from dispatch import identity
from dispatch.model import Role, User
from dispatch.storage import tables as t
from tests.helpers import resettle

NAMESPACE = "/live"


def _sio():  # type: ignore[no-untyped-def]
    """The Socket.IO extension the apps are bound to, looked up when used: another test
    re-imports the server package (tests/unit/test_architecture.py)."""
    from server.extensions import socketio
    return socketio

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def member(ctx):  # type: ignore[no-untyped-def]
    made: list[str] = []

    def make(role: str = Role.REPORTER, unit: str | None = None) -> User:
        user = User(username=f"live-{uuid.uuid4().hex[:8]}",
                    password_hash=ctx.password_hasher("pw"), role=role, unit_code=unit)
        with ctx.uow() as uow:
            uow.users.add(user)
            uow.commit()
        made.append(user.id)
        return user

    yield make
    with ctx.engine.begin() as conn:
        conn.execute(delete(t.users).where(t.users.c.id.in_(made)))


def _token(client, username: str, password: str = "pw") -> str:  # type: ignore[no-untyped-def]
    r = client.post(TOKEN, json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["access_token"]


def _socket(app, token: str):  # type: ignore[no-untyped-def]
    sock = _sio().test_client(app, namespace=NAMESPACE, auth={"token": token})
    assert sock.is_connected(NAMESPACE)
    return sock


def _resync(sock):  # type: ignore[no-untyped-def]
    return sock.emit("resync", {"since_seq": 0}, namespace=NAMESPACE, callback=True)


def _closed_soon(sock) -> bool:  # type: ignore[no-untyped-def]
    """The close follows the answer as a background task: let it run (gevent's loop, here)."""
    for _ in range(50):
        if not sock.is_connected(NAMESPACE):
            return True
        _sio().sleep(0.02)
    return False


def _rooms(sock) -> set[str]:  # type: ignore[no-untyped-def]
    manager = _sio().server.manager
    sid = manager.sid_from_eio_sid(sock.eio_sid, NAMESPACE)
    return set(manager.get_rooms(sid, NAMESPACE)) - {sid}


def _refused(answer, word: str) -> None:  # type: ignore[no-untyped-def]
    assert answer["ok"] is False, answer
    assert answer["error"]["status"] == 401 and word in answer["error"]["detail"], answer


def test_a_socket_of_a_deactivated_user_is_answered_401_then_closed(app, client, ctx, member):
    user = member()
    sock = _socket(app, _token(client, user.username))
    assert _resync(sock)["ok"] is True
    identity.deactivate_user(ctx, user.username)
    _refused(_resync(sock), "disabled")
    assert _closed_soon(sock)


def test_a_socket_whose_token_expired_is_closed(app, client, member, monkeypatch):
    user = member()
    sock = _socket(app, _token(client, user.username))
    assert _resync(sock)["ok"] is True
    resettle(app, monkeypatch, token_ttl=timedelta(seconds=-1))  # every token is now too old
    _refused(_resync(sock), "expired")
    assert _closed_soon(sock)


def test_signing_out_closes_the_sockets_of_every_token(app, client, member):
    user = member()
    first, second = _token(client, user.username), _token(client, user.username)
    sock = _socket(app, first)
    r = client.post("/api/v1/auth/sign-out", headers={"Authorization": f"Bearer {second}"})
    assert r.status_code == 204
    _refused(sock.emit("position", {}, namespace=NAMESPACE, callback=True), "revoked")
    assert _closed_soon(sock)
    refused = _sio().test_client(app, namespace=NAMESPACE, auth={"token": first})
    assert not refused.is_connected(NAMESPACE)


def test_a_moved_officer_is_not_left_in_the_old_units_room(app, client, ctx, member):
    officer = member(Role.OFFICER, "power_supply")
    sock = _socket(app, _token(client, officer.username))
    assert "unit:power_supply" in _rooms(sock)
    with ctx.uow() as uow:
        uow.users.get(officer.id).unit_code = "water_supply"
        uow.commit()
    _refused(_resync(sock), "changed")
    assert _closed_soon(sock)


def test_a_client_sending_disconnect_runs_nothing_of_the_servers(app, client, member):
    user = member()
    sock = _socket(app, _token(client, user.username))
    rooms = _rooms(sock)
    sock.emit("disconnect", "client namespace disconnect", namespace=NAMESPACE)
    sock.emit("disconnect", namespace=NAMESPACE)
    assert sock.is_connected(NAMESPACE)
    assert _rooms(sock) == rooms
    assert _resync(sock)["ok"] is True  # still known, still answered


def test_a_client_sending_connect_cannot_change_who_it_is(app, client, member):
    reporter = member()
    sock = _socket(app, _token(client, reporter.username))
    rooms = _rooms(sock)
    commander = _token(client, "demo-commander", "demo")
    for args in ((), ({"token": commander},), ({}, {"token": commander}),
                 ({"HTTP_HOST": "x"}, {"token": commander})):
        sock.emit("connect", *args, namespace=NAMESPACE)
    assert _rooms(sock) == rooms and "command" not in _rooms(sock)
    assert sock.is_connected(NAMESPACE)
    # Still the reporter: an officer's request is refused as before.
    answer = sock.emit("position", {"lat": 35.0, "lon": 112.6, "accuracy_m": 5,
                                    "recorded_at": "2026-11-27T02:00:00Z"},
                       namespace=NAMESPACE, callback=True)
    assert answer["ok"] is False and answer["error"]["status"] == 403


def test_an_ordinary_disconnect_still_forgets_the_client(app, client, member):
    from server import live
    user = member()
    sock = _socket(app, _token(client, user.username))
    before = len(live._clients)
    sock.disconnect(namespace=NAMESPACE)
    assert len(live._clients) == before - 1


def test_idle_sockets_of_disabled_revoked_or_expired_users_are_closed(app, client, ctx, member,
                                                                      monkeypatch):
    """A socket that never sends anything must not go on hearing its rooms."""
    from server.live import recheck_idle

    disabled, revoked, fine = member(), member(), member()
    socks = {u.id: _socket(app, _token(client, u.username)) for u in (disabled, revoked, fine)}
    with app.app_context():
        recheck_idle(_sio())  # (sockets other tests left behind may be closed here)
    assert all(sock.is_connected(NAMESPACE) for sock in socks.values())
    identity.deactivate_user(ctx, disabled.username)
    identity.revoke_tokens(ctx, revoked.id)
    with app.app_context():
        assert recheck_idle(_sio()) >= 2
    assert not socks[disabled.id].is_connected(NAMESPACE)
    assert not socks[revoked.id].is_connected(NAMESPACE)
    assert socks[fine.id].is_connected(NAMESPACE)
    resettle(app, monkeypatch, token_ttl=timedelta(seconds=-1))
    with app.app_context():
        assert recheck_idle(_sio()) >= 1
    assert not socks[fine.id].is_connected(NAMESPACE)
