"""Logs an on-call engineer can search: one JSON object per line, each naming the request it
belongs to, and no personal data.

- `configure(cfg, process)` sets up the root logger once per process: JSON lines
  (`DISPATCH_LOG_FORMAT=json`, the default of gunicorn's web process, the worker and the
  scheduler) or plain text (`text`, the default of `make run` and the commands), at
  `DISPATCH_LOG_LEVEL`.
- Every line has `time` (UTC, ms), `level`, `logger`, `message`, `process` (web, worker,
  scheduler...), `pid` and `request_id` (the request or job it runs for: `dispatch.trace`), and
  the ids a caller passed with `extra=` (`seq`, `incident_id`, `event_type`, `timers`...).
- `install(app)`: each HTTP request gets an id (its `X-Request-Id` when sane: 1-64 letters,
  digits and `._:@/+=-`; else a new one), returned in the answer's `X-Request-Id`, bound for
  everything the request does (its events and timers carry it: migration 0013), and one line when
  it ends: method, route (the URL rule, never the query), status and milliseconds.

What is never logged: descriptions, notes, complaints, names, phone numbers, tokens, bodies,
query strings. Messages name ids; SQL errors are logged without their parameters (the engine's
`hide_parameters`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from dispatch import trace
from server.config import Config

REQUEST_ID_HEADER = "X-Request-Id"
# The attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "taskName"}
_process_kind = ["python"]


class RequestIdFilter(logging.Filter):
    """Names the current request on every record (a record given `request_id` in `extra=`, a
    pushed event's own, keeps it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = trace.current()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "process": _process_kind[0], "pid": record.process,
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def wants_json(cfg: Config, default: bool) -> bool:
    return {"json": True, "text": False}.get(cfg.LOG_FORMAT, default)


def handler(as_json: bool, stream: Any = None) -> logging.Handler:
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(JsonFormatter() if as_json else logging.Formatter(TEXT_FORMAT))
    out.addFilter(RequestIdFilter())
    return out


def configure(cfg: Config, process: str, json_by_default: bool) -> None:
    """The root logger of this process: one handler, JSON or text (see the module)."""
    _process_kind[0] = process
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(wants_json(cfg, json_by_default)))
    root.setLevel(cfg.LOG_LEVEL.upper())
    # gunicorn's own loggers write through ours (one format in the stream).
    for name in ("gunicorn.error", "rq.worker"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True


# -- the request id of an HTTP request --------------------------------------------------------
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
