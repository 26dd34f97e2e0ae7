"""Each HTTP request's id and its one log line (`server.logs` says what a line holds).

The id is the request's `X-Request-Id` when sane (`dispatch.trace.sane`), else a new one; it is
bound first of every hook (the admission gate's wait included) for all the request does, so its
events and timers carry it, and returned in the answer's `X-Request-Id`. When the request ends,
one line: method, route (the URL rule, never the path or the query), status and milliseconds.
"""

from __future__ import annotations

import contextlib
import logging
import time

from flask import Flask, Response, g, request

from dispatch import trace

REQUEST_ID_HEADER = "X-Request-Id"


def install(app: Flask) -> None:
    """The request's id, bound first of every hook (the admission gate's wait included) and
    returned in the answer; one line per request when it ends."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_answer)
    app.teardown_request(_end)


def _start() -> None:
    rid = trace.sane(request.headers.get(REQUEST_ID_HEADER)) or trace.new_id()
    g.request_id, g.request_started = rid, time.perf_counter()
    g.request_trace = trace.bind(rid)


def _answer(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started", time.perf_counter())
        rule = request.url_rule.rule if request.url_rule is not None else None
        logging.getLogger("server.requests").info(
            "%s %s %s", request.method, rule or "(no route)", response.status_code, extra={
                "method": request.method, "route": rule, "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1)})
    return response


def _end(_exc: BaseException | None) -> None:
    token = g.pop("request_trace", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # made in another context: the next binds anew
            trace.unbind(token)
