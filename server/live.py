"""The `/live` Socket.IO namespace: who joins which rooms, and the client's three requests.

A socket is only as good as its token: every client request re-reads the user (active, token
not expired, not revoked, still in the same rooms) and a connection that fails the check gets the
error as its answer and is then closed. Event names the server uses for the connection's own life
(`connect`, `disconnect`) can also be sent by a client as ordinary events; those are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from dispatch import fieldwork, identity
from dispatch.access import rooms_for
from dispatch.errors import DispatchError, Forbidden, Unauthorized, ValidationFailed
from dispatch.model import Role, User
from dispatch.positions import record_positions
from dispatch.relay import replay
from mobile_api import tokens
from mobile_api.context import dispatch_context
from mobile_api.schemas import PositionFix
from mobile_api.validation import validate
from server.channels import NAMESPACE

log = logging.getLogger(__name__)

# The answer goes out before the connection is closed: a client that loses the connection first
# never hears why. Under gevent the answer is queued before any other greenlet runs; the pause
# covers the threaded modes.
CLOSE_AFTER_ANSWER_SECONDS = 0.05


@dataclass
class _Client:
    user: User
    rooms: list[str]
    token: str


_clients: dict[str, _Client] = {}
Handler = Callable[[_Client, dict[str, Any]], dict[str, Any]]


def _error(exc: DispatchError) -> dict[str, Any]:
    return {"ok": False, "error": {
        "status": exc.status, "title": exc.title, "detail": exc.detail,
        "errors": [{"field": e.field, "message": e.message} for e in exc.errors]}}


def _sid() -> str:
    return request.sid  # type: ignore[attr-defined]  # flask-socketio adds sid to the request


def recheck_idle(socketio: SocketIO) -> int:
    """Close the sockets whose user was disabled, revoked or moved, or whose token expired, even
    if they never send anything: they would otherwise go on hearing their rooms. One read of
    the users for all connections; run every `DISPATCH_SOCKET_RECHECK_SECONDS`."""
    clients = dict(_clients)
    users = identity.load_users(dispatch_context(),
                                {c.user.id for c in clients.values()})
    closed = 0
    for sid, client in clients.items():
        try:
            _, version = tokens.claims(client.token)
            user = tokens.check_user(users.get(client.user.id), version)
            if sorted(rooms_for(user)) != sorted(client.rooms):
                raise Unauthorized("your role or unit changed; connect again")
        except DispatchError as exc:
            log.info("closing idle socket %s: %s", sid, exc.detail)
            _clients.pop(sid, None)
            socketio.server.disconnect(sid, namespace=NAMESPACE)
            closed += 1
    return closed


def register(socketio: SocketIO) -> None:
    def client_sent_it() -> bool:
        """True when `connect`/`disconnect` came from the client as an ordinary event: the
        server runs its own while the connection is still pending (connecting or going), and an
        ordinary event reaches a handler only on an established connection."""
        return bool(socketio.server.manager.is_connected(_sid(), NAMESPACE))

    def recheck(sid: str) -> _Client:
        client = _clients.get(sid)
        if client is None:
            raise Unauthorized("this connection is closing; connect again")
        user = tokens.user_from_token(client.token)  # active, unexpired, not revoked
        if sorted(rooms_for(user)) != sorted(client.rooms):
            raise Unauthorized("your role or unit changed; connect again")
        client.user = user
        return client

    def close_later(sid: str) -> None:
        _clients.pop(sid, None)

        def close() -> None:
            socketio.sleep(CLOSE_AFTER_ANSWER_SECONDS)
            socketio.server.disconnect(sid, namespace=NAMESPACE)
        socketio.start_background_task(close)

    def answer(handler: Handler) -> Callable[[Any], dict[str, Any]]:
        """Every client request is re-checked, and answered through its acknowledgement, errors
        included."""
        def wrapped(payload: Any = None) -> dict[str, Any]:
            sid = _sid()
            try:
                client = recheck(sid)
            except DispatchError as exc:
                log.info("closing socket %s: %s", sid, exc.detail)
                close_later(sid)
                return _error(exc)
            try:
                if not isinstance(payload, dict):
                    raise ValidationFailed.on("payload", "a JSON object is expected")
                return handler(client, payload)
            except DispatchError as exc:
                return _error(exc)
        wrapped.__name__ = handler.__name__
        return wrapped

    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth: Any = None) -> None:
        if client_sent_it():
            return
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("send {token} from POST /api/v1/auth/token as auth")
        try:
            user = tokens.user_from_token(token)
        except DispatchError as exc:
            raise ConnectionRefusedError(exc.detail) from None
        rooms = rooms_for(user)
        for room in rooms:
            join_room(room)
        _clients[_sid()] = _Client(user, rooms, token)

    @socketio.on("disconnect", namespace=NAMESPACE)
    def disconnect(reason: Any = None) -> None:
        if client_sent_it():
            return
        _clients.pop(_sid(), None)

    @socketio.on("task.accept", namespace=NAMESPACE)
    @answer
    def task_accept(client: _Client, payload: dict[str, Any]) -> dict[str, Any]:
        incident_id = payload.get("incident_id")
        if not isinstance(incident_id, str) or not incident_id:
            raise ValidationFailed.on("incident_id", "the id of the incident to accept")
        incident = fieldwork.accept(dispatch_context(), client.user, incident_id)
        return {"ok": True, "incident_id": incident.id}

    @socketio.on("position", namespace=NAMESPACE)
    @answer
    def position(client: _Client, payload: dict[str, Any]) -> dict[str, Any]:
        if client.user.role != Role.OFFICER:
            raise Forbidden("positions are sent by officers")
        fix = validate(PositionFix, payload)
        stored = record_positions(dispatch_context(), client.user,
                                  [(fix.wgs84_point(), fix.accuracy_m, fix.recorded_at)],
                                  fields=["recorded_at"], mock=[fix.mock_location])
        return {"ok": True, "stored": stored}

    @socketio.on("resync", namespace=NAMESPACE)
    @answer
    def resync(client: _Client, payload: dict[str, Any]) -> dict[str, Any]:
        return replay(dispatch_context().uow, client.rooms,
                      payload.get("since_seq"))
