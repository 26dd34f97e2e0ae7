"""The `/live` Socket.IO namespace: who joins which rooms, and the client's three requests.

A socket is only as good as its token: every client request re-reads the user (active, token
not expired, not revoked, still in the same rooms) and a connection that fails the check gets the
error as its answer and is then closed. Every event a client sends is answered through its
acknowledgement, refusals included: a payload of the wrong shape, a packet that could not be
decoded (`server.live_payloads`), an event name the server does not know, and `connect` or
`disconnect` sent as ordinary events (which change nothing). A fault of the server's own is
logged with its traceback and answered 500; nothing a client sends is one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from dispatch import fieldwork, identity, trace
from dispatch.access import rooms_for
from dispatch.errors import (BadRequest, DispatchError, FieldError, Forbidden, NotFound,
                             ServiceUnavailable, Unauthorized)
from dispatch.model import Role, User
from dispatch.positions import record_positions
from dispatch.relay import replay
from mobile_api import tokens
from mobile_api.context import dispatch_context
from mobile_api.schemas import PositionFix, PositionsBatch
from mobile_api.validation import validate
from server import admission
from server import live_payloads as payloads
from server.channels import NAMESPACE

log = logging.getLogger(__name__)

# The answer goes out before the connection is closed: a client that loses the connection first
# never hears why. Under gevent the answer is queued before any other greenlet runs; the pause
# covers the threaded modes.
CLOSE_AFTER_ANSWER_SECONDS = 0.05
# How long a socket event waits for one of the admission gate's slots (server/admission.py)
# before it is answered 503: a crowd of a killed web process's sockets, all resyncing at once on
# the survivor, is served in turn; well under live.js's 15 s `resync` time-out, so a client
# hears the refusal and asks again instead of timing out while its first call still waits (a
# storm of calls nobody waits for, each holding a slot when it gets one).
SLOT_WAIT_SECONDS = 8.0


@dataclass
class _Client:
    user: User
    rooms: list[str]
    token: str


_clients: dict[str, _Client] = {}
Handler = Callable[..., dict[str, Any]]  # (client, *the event's arguments) -> the answer


def _error(exc: DispatchError) -> dict[str, Any]:
    return {"ok": False, "error": {
        "status": exc.status, "title": exc.title, "detail": exc.detail,
        "errors": [{"field": e.field, "message": e.message} for e in exc.errors]}}


def _sid() -> str:
    sid: str = request.sid  # type: ignore[attr-defined]  # flask-socketio adds sid to the request
    return sid


def connected_by_role() -> dict[str, int]:
    """This process's connected sockets by role (the metrics' `jiyuan311_sockets`)."""
    counts: dict[str, int] = {}
    for client in list(_clients.values()):
        role = str(client.user.role)
        counts[role] = counts.get(role, 0) + 1
    return counts


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

    def answer(handler: Handler) -> Callable[..., dict[str, Any]]:
        """Every client request is re-checked, and answered through its acknowledgement, errors
        included."""
        def wrapped(*args: Any) -> dict[str, Any]:
            with trace.bound(trace.new_id()):  # each socket request is one (dispatch/trace.py)
                return run(*args)

        def run(*args: Any) -> dict[str, Any]:
            gate: admission.Gate | None = current_app.extensions.get("admission")
            if gate is not None and not gate.wait(SLOT_WAIT_SECONDS):
                return _error(ServiceUnavailable("the server is at capacity; send it again"))
            try:
                return served(*args)
            finally:
                if gate is not None:
                    gate.leave()

        def served(*args: Any) -> dict[str, Any]:
            sid = _sid()
            try:
                try:
                    client = recheck(sid)
                except DispatchError as exc:
                    log.info("closing socket %s: %s", sid, exc.detail)
                    close_later(sid)
                    return _error(exc)
                return handler(client, *args)
            except DispatchError as exc:
                return _error(exc)
            except Exception:  # a fault of the server's: logged in full, and still answered
                log.exception("socket request %s failed", handler.__name__)
                return _error(DispatchError("an unexpected error occurred; it has been logged"))
        wrapped.__name__ = handler.__name__
        return wrapped

    @answer
    def not_a_request(client: _Client, event: str, *args: Any) -> dict[str, Any]:
        message = f"{event} is the connection's own event, not a request"
        raise BadRequest(f"event: {message}", [FieldError("event", message)])

    @socketio.on(payloads.MALFORMED, namespace=NAMESPACE)
    @answer
    def malformed(client: _Client, *args: Any) -> dict[str, Any]:
        raise payloads.refusal(args[0] if args else None)

    @socketio.on("*", namespace=NAMESPACE)
    @answer
    def unknown(client: _Client, event: Any, *args: Any) -> dict[str, Any]:
        raise NotFound(f"event: {payloads.event_name(event)}: {payloads.UNKNOWN}",
                       [FieldError("event", payloads.UNKNOWN)])

    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth: Any = None) -> dict[str, Any] | None:
        if client_sent_it():
            return not_a_request("connect")
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("send {token} from POST /api/v1/auth/token as auth")
        try:
            # From the REST path's cache (mobile_api/user_cache.py: a revocation reaches it at
            # once here, by Redis elsewhere): a crowd reconnecting after a web process died
            # signs in without a database read each; every event re-reads the row.
            user = tokens.cached_user_from_token(token)
        except DispatchError as exc:
            raise ConnectionRefusedError(exc.detail) from None
        rooms = rooms_for(user)
        for room in rooms:
            join_room(room)
        _clients[_sid()] = _Client(user, rooms, token)
        return None

    @socketio.on("disconnect", namespace=NAMESPACE)
    def disconnect(*args: Any) -> dict[str, Any] | None:
        if client_sent_it():
            return not_a_request("disconnect")
        _clients.pop(_sid(), None)
        return None

    @socketio.on("task.accept", namespace=NAMESPACE)
    @answer
    def task_accept(client: _Client, *args: Any) -> dict[str, Any]:
        incident_id = payloads.incident_id(payloads.one_object(args))
        incident = fieldwork.accept(dispatch_context(), client.user, incident_id)
        return {"ok": True, "incident_id": incident.id}

    @socketio.on("position", namespace=NAMESPACE)
    @answer
    def position(client: _Client, *args: Any) -> dict[str, Any]:
        if client.user.role != Role.OFFICER:
            raise Forbidden("positions are sent by officers")
        fix = validate(PositionFix, payloads.one_object(args))
        stored = record_positions(dispatch_context(), client.user,
                                  [(fix.wgs84_point(), fix.accuracy_m, fix.recorded_at)],
                                  fields=["recorded_at"], mock=[fix.mock_location])
        return {"ok": True, "stored": stored}

    @socketio.on("positions", namespace=NAMESPACE)
    @answer
    def positions(client: _Client, *args: Any) -> dict[str, Any]:
        """A batch of fixes in one message, as `POST /api/v1/officers/me/positions` takes it
        (`{positions: [...]}`): one transaction and one acknowledgement for up to 500 fixes."""
        if client.user.role != Role.OFFICER:
            raise Forbidden("positions are sent by officers")
        batch = validate(PositionsBatch, payloads.one_object(args))
        stored = record_positions(dispatch_context(), client.user,
                                  [(p.wgs84_point(), p.accuracy_m, p.recorded_at)
                                   for p in batch.positions],
                                  mock=[p.mock_location for p in batch.positions])
        return {"ok": True, "received": len(batch.positions), "stored": stored}

    @socketio.on("resync", namespace=NAMESPACE)
    @answer
    def resync(client: _Client, *args: Any) -> dict[str, Any]:
        ctx = dispatch_context()
        return replay(ctx.uow, client.rooms, payloads.one_object(args).get("since_seq"),
                      ctx.settings)
