"""The baseline for `bench.live_push`: the bare Socket.IO stack with none of the product's work.

Served exactly like the product's web process:

    gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 \
        -b 127.0.0.1:PORT bench.bare_server:app

- namespace `/live`: the connect handler joins the client to the room named in its auth,
  e.g. `auth={"room": "unit:power_supply"}`; no auth, no room (but still connected);
- `POST /emit` with JSON `{"room": ..., "event": ..., "data": {...}}` emits that one event to that
  room (this is "a bare emit") and answers 204;
- `GET /healthz` answers 200 when up.

No database, no message queue, no token check: what is left is Flask, Flask-SocketIO,
python-socketio / engineio, gevent and gevent-websocket.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO, join_room

NAMESPACE = "/live"

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")


@app.get("/healthz")
def healthz() -> tuple[str, int]:
    return "ok", 200


@app.post("/emit")
def emit() -> tuple[str, int]:
    body = request.get_json(force=True)
    socketio.emit(body.get("event", "bench"), body.get("data", {}), to=body["room"],
                  namespace=NAMESPACE)
    return "", 204


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth: Any = None) -> None:
    room = auth.get("room") if isinstance(auth, dict) else None
    if isinstance(room, str) and room:
        join_room(room)
