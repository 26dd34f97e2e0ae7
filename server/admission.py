"""Admission control: past what the process can serve, a request is refused at once (503 with
`Retry-After`) instead of queueing into time-outs.

Why: one web process serves requests that need the database with a pool of connections and
one CPU. Measured (bench/profile_ingest.py, 200 reports/s offered to one gevent worker): without
a bound, every report was admitted and waited on the pool and the CPU; the process answered a
few a second, most after many seconds, with pool time-outs (500s) and client time-outs, and
stayed busy long after the load stopped. With the bound, what the process can serve is served
and the excess is told to come back.

A request whose route reads the database (the OpenAPI doc's `storage` mark: exactly the routes
documented to answer 503) takes one of `ADMISSION_LIMIT` slots; when none is free it may wait,
behind at most `ADMISSION_QUEUE` others, `ADMISSION_WAIT_SECONDS` for one. Health probes, the
OpenAPI document, CORS preflights and Socket.IO's transport are never refused; a socket event
that reads the database takes a slot too, waiting for it longer (`Gate.wait`). `ADMISSION_LIMIT = 0`
turns the gate off.

It is WSGI middleware under Socket.IO's and the header policy's, so a refusal costs no Flask
request (routing only): under a flood the refusals must not eat the CPU the admitted requests
need. The refusal carries the header policy's headers but not CORS's: a browser on another
origin sees a failed request, which it retries as it would a 503.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

from server.problems import TYPE_BASE

StartResponse = Callable[..., Any]
TITLE = "Overloaded"
_BODY = json.dumps({
    "type": TYPE_BASE + "overloaded", "title": TITLE, "status": 503,
    "detail": "the server is at capacity; retry after Retry-After seconds"}).encode()
_HEADERS = [("Content-Type", "application/problem+json"), ("Retry-After", "1"),
            ("Content-Length", str(len(_BODY)))]


class Gate:
    """`limit` slots, and at most `queue` requests waiting for one, each at most `wait_seconds`.

    A burst (twenty identical requests at once) waits its turn; a flood finds the queue full and
    is refused at once, so the wait of what is admitted stays about (limit + queue) / throughput.
    The semaphore and the lock are gevent's in a patched process.
    """

    def __init__(self, limit: int, queue: int, wait_seconds: float) -> None:
        self.limit, self.queue, self.wait_seconds = limit, queue, wait_seconds
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self.waiting = 0

    def enter(self) -> bool:
        if self._slots.acquire(blocking=False):
            return True
        with self._lock:
            if self.waiting >= self.queue:
                return False
            self.waiting += 1
        try:
            return self.wait_for_slot()
        finally:
            with self._lock:
                self.waiting -= 1

    def wait_for_slot(self) -> bool:
        """The one place a caller waits (up to `wait_seconds`): a caller past the queue never
        gets here, which the tests check by counting who does."""
        return self._slots.acquire(timeout=self.wait_seconds)

    def leave(self) -> None:
        self._slots.release()

    def wait(self, seconds: float) -> bool:
        """A slot for a socket event (server/live.py), waited for up to `seconds` outside the
        HTTP queue: a crowd of sockets reconnecting at once after a web process died queues on
        the same slots as the REST requests (so together they stay within the pool) instead
        of each timing out on the pool; an HTTP request is still refused at once past its
        queue."""
        return self._slots.acquire(timeout=seconds)


class Admission:
    def __init__(self, app: Flask, wsgi_app: Callable[..., Any], gate: Gate) -> None:
        self.app, self.wsgi_app, self.gate = app, wsgi_app, gate

    def needs_storage(self, environ: dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return False
        try:
            endpoint, _ = self.app.url_map.bind_to_environ(environ).match()
        except HTTPException:  # 404, 405: Flask answers them, without the database
            return False
        doc = getattr(self.app.view_functions.get(str(endpoint)), "_openapi", None)
        return bool(doc and doc.get("storage"))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self.needs_storage(environ):
            answer: Iterable[bytes] = self.wsgi_app(environ, start_response)
            return answer
        if not self.gate.enter():
            start_response("503 Service Unavailable", list(_HEADERS))
            return [_BODY]
        # Held while Flask runs the view: its database work is done when the response is made
        # (a photo that streams from disk after that needs no connection).
        try:
            answer = self.wsgi_app(environ, start_response)
            return answer
        finally:
            self.gate.leave()


def install(app: Flask, limit: int, queue: int, wait_seconds: float) -> None:
    if limit <= 0:
        return
    gate = app.extensions["admission"] = Gate(limit, queue, wait_seconds)
    app.wsgi_app = Admission(app, app.wsgi_app, gate)  # type: ignore[method-assign]  # Flask's documented way to add middleware
