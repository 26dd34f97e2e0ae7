"""The simulation's only ways into the server: its public HTTP API and its /live sockets.

`requests` and python-socketio's client (with `websocket-client`) are what the phones' side of
the protocol needs; the server itself does not, so they are imported here, when a simulation
starts, with a clear message if missing.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

try:
    import requests
    import socketio
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "python -m server simulate needs the Socket.IO client: "
        "pip install 'python-socketio[client]' requests websocket-client") from exc

NAMESPACE = "/live"


def wire_now() -> str:
    """A device's `recorded_at`: the true wall time (the server's clock is real; only its
    deadlines are scaled)."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status, self.problem = status, problem


class Api:
    """JSON over HTTP under /api/v1, one `requests.Session` per thread."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def call(self, method: str, path: str, token: str | None = None, body: Any = None,
             idempotency_key: str | None = None, retries: int = 2) -> Any:
        """The answer's JSON; an `ApiError` for any 4xx/5xx. A connection error is retried
        (with the same Idempotency-Key, so a write is never doubled)."""
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        for attempt in range(retries + 1):
            try:
                r = self._session().request(method, f"{self.base}/api/v1{path}", json=body,
                                            headers=headers, timeout=self.timeout)
                break
            except requests.ConnectionError:
                if attempt == retries:
                    raise
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {"title": r.reason, "detail": r.text[:200]}
            raise ApiError(r.status_code, problem)
        return r.json() if r.content else None

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.call(
            "POST", "/auth/token", body={"username": username, "password": password})
        return answer


def new_key() -> str:
    return uuid.uuid4().hex


class Live:
    """One /live connection over websocket. Handlers run on the client's threads; `on_any`
    gets (event, data). After a reconnection it asks `resync` for what it missed and feeds the
    answer to the same handler, so an offer is never lost to a dropped link."""

    def __init__(self, base: str, token: str, on_any: Callable[[str, Any], None]) -> None:
        self.base, self.token, self._on_any = base.rstrip("/"), token, on_any
        self.last_seq = 0
        self._connected_once = False
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.5,
                                   reconnection_delay_max=5)
        self.sio.on("*", self._any, namespace=NAMESPACE)
        self.sio.on("connect", self._connect, namespace=NAMESPACE)

    def _any(self, event: str, data: Any = None) -> None:
        if isinstance(data, dict) and event != "officer.position":
            self.last_seq = max(self.last_seq, int(data.get("seq") or 0))
        self._on_any(event, data)

    def _connect(self) -> None:
        if self._connected_once:  # a reconnection: ask for what was missed, off this thread
            self.sio.start_background_task(self._resync)
        self._connected_once = True

    def _resync(self) -> None:
        since = self.last_seq
        while True:
            answer = self.call("resync", {"since_seq": since})
            if not isinstance(answer, dict) or not answer.get("ok"):
                return
            for item in answer.get("events", []):
                self._any(item["event"], item["data"])
            since = answer.get("last_seq", since)
            if not answer.get("more"):
                return

    def connect(self) -> Live:
        self.sio.connect(self.base, namespaces=[NAMESPACE], auth={"token": self.token},
                         transports=["websocket"], wait_timeout=10)
        return self

    def call(self, event: str, data: Any, timeout: float = 10.0) -> Any:
        try:
            return self.sio.call(event, data, namespace=NAMESPACE, timeout=int(timeout))
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError) as exc:
            return {"ok": False, "error": {"title": type(exc).__name__}}

    def disconnect(self) -> None:
        self.sio.disconnect()
