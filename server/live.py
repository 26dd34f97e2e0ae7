"""The `/live` Socket.IO namespace: who joins which rooms, and the client's three requests."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from dispatch import fieldwork
from dispatch.access import rooms_for
from dispatch.errors import DispatchError, Forbidden, ValidationFailed
from dispatch.model import Role, User
from dispatch.positions import record_positions
from dispatch.relay import replay
from mobile_api.schemas import PositionFix
from mobile_api.validation import validate
from server import tokens
from server.realtime import NAMESPACE

log = logging.getLogger(__name__)
_clients: dict[str, tuple[User, list[str]]] = {}


def _error(exc: DispatchError) -> dict[str, Any]:
    return {"ok": False, "error": {
        "status": exc.status, "title": exc.title, "detail": exc.detail,
        "errors": [{"field": e.field, "message": e.message} for e in exc.errors]}}


def _client() -> tuple[User, list[str]]:
    return _clients[request.sid]  # type: ignore[attr-defined]


def _answer(handler):  # type: ignore[no-untyped-def]
    """Every client request is answered through its acknowledgement, errors included."""
    def wrapped(payload: Any = None) -> dict[str, Any]:
        try:
            if not isinstance(payload, dict):
                raise ValidationFailed.on("payload", "a JSON object is expected")
            return handler(payload)
        except DispatchError as exc:
            return _error(exc)
    wrapped.__name__ = handler.__name__
    return wrapped


def register(socketio: SocketIO) -> None:
    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth: Any = None) -> None:
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
        _clients[request.sid] = (user, rooms)  # type: ignore[attr-defined]

    @socketio.on("disconnect", namespace=NAMESPACE)
    def disconnect(reason: Any = None) -> None:
        _clients.pop(request.sid, None)  # type: ignore[attr-defined]

    @socketio.on("task.accept", namespace=NAMESPACE)
    @_answer
    def task_accept(payload: dict[str, Any]) -> dict[str, Any]:
        user, _ = _client()
        incident_id = payload.get("incident_id")
        if not isinstance(incident_id, str) or not incident_id:
            raise ValidationFailed.on("incident_id", "the id of the incident to accept")
        incident = fieldwork.accept(current_app.extensions["dispatch"], user, incident_id)
        return {"ok": True, "incident_id": incident.id}

    @socketio.on("position", namespace=NAMESPACE)
    @_answer
    def position(payload: dict[str, Any]) -> dict[str, Any]:
        user, _ = _client()
        if user.role != Role.OFFICER:
            raise Forbidden("positions are sent by officers")
        fix = validate(PositionFix, payload)
        stored = record_positions(current_app.extensions["dispatch"], user,
                                  [(fix.wgs84_point(), fix.accuracy_m, fix.recorded_at)],
                                  fields=["recorded_at"])
        return {"ok": True, "stored": stored}

    @socketio.on("resync", namespace=NAMESPACE)
    @_answer
    def resync(payload: dict[str, Any]) -> dict[str, Any]:
        _, rooms = _client()
        return replay(current_app.extensions["dispatch"].uow, rooms, payload.get("since_seq"))
