"""Admission control: past what the process can serve, a request is refused at once (503 with
`Retry-After`) instead of queueing into time-outs.

Why: one web process serves requests that need the database with a pool of connections and
one CPU. Measured (bench/profile_ingest.py, 200 reports/s offered to one gevent worker): without
a bound, every report was admitted, waited on the pool and the CPU, and the process answered
3-9 a second, most after 25 s, with pool time-outs (500s) and client time-outs, and stayed busy
for a minute after the load stopped. With the bound, what the process can serve is served at its
usual latency and the excess is told to come back.

A request whose route reads the database (the OpenAPI doc's `storage` mark: exactly the routes
that may answer 503) takes one of `ADMISSION_LIMIT` slots, waiting at most
`ADMISSION_WAIT_SECONDS` for one. Health probes, the OpenAPI document and Socket.IO traffic are
never refused. `ADMISSION_LIMIT = 0` turns the gate off.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, g, request

from dispatch.errors import ServiceUnavailable


class Overloaded(ServiceUnavailable):
    title = "Overloaded"
    slug = "overloaded"


class Gate:
    """A counting semaphore (gevent's, in a patched process) with a bounded wait."""

    def __init__(self, limit: int, wait_seconds: float) -> None:
        self.limit, self.wait_seconds = limit, wait_seconds
        self._slots = threading.BoundedSemaphore(limit)

    def enter(self) -> bool:
        return self._slots.acquire(timeout=self.wait_seconds)

    def leave(self) -> None:
        self._slots.release()


def _needs_storage() -> bool:
    view = current_view()
    doc = getattr(view, "_openapi", None)
    return bool(doc and doc.get("storage"))


def current_view() -> Any:
    from flask import current_app
    return current_app.view_functions.get(request.endpoint or "")


def install(app: Flask, limit: int, wait_seconds: float) -> None:
    if limit <= 0:
        return
    gate = Gate(limit, wait_seconds)
    app.extensions["admission"] = gate

    @app.before_request
    def _admit() -> None:
        if not _needs_storage():
            return
        if not gate.enter():
            raise Overloaded("the server is at capacity; retry after Retry-After seconds")
        g.admitted = True

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        if g.pop("admitted", False):
            gate.leave()
