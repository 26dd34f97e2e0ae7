"""Logs an on-call engineer can search: one JSON object per line, each naming the request it
belongs to, and no personal data.

- `configure(cfg, process)` sets up the root logger once per process: JSON lines
  (`DISPATCH_LOG_FORMAT=json`, the default of gunicorn's web process, the worker and the
  scheduler) or plain text (`text`, the default of `make run` and the commands), at
  `DISPATCH_LOG_LEVEL`.
- Every line has `time` (UTC, ms), `level`, `logger`, `message`, `process` (web, worker,
  scheduler...), `pid` and `request_id` (the request or job it runs for: `dispatch.trace`), and
  the ids a caller passed with `extra=` (`seq`, `incident_id`, `event_type`, `timers`...).
- `server.request_log.install(app)` (the web process's; this module imports no Flask): each HTTP
  request gets an id (its `X-Request-Id` when sane: 1-64 letters,
  digits and `._:@/+=-`; else a new one), returned in the answer's `X-Request-Id`, bound for
  everything the request does (its events and timers carry it: migration 0014), and one line when
  it ends: method, route (the URL rule, never the query), status and milliseconds.

What is never logged: descriptions, notes, complaints, names, phone numbers, tokens, bodies,
query strings. Messages name ids; SQL errors are logged without their parameters (the engine's
`hide_parameters`).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from dispatch import trace
from server.config import Config

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
