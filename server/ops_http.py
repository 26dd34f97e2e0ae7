"""The worker's and the scheduler's own small HTTP server, on `DISPATCH_OPS_PORT`:

- `GET /healthz`: liveness, the process answers (no database);
- `GET /readyz`: readiness, 200 or 503 with `{status, checks}`: the database and Redis answer,
  and for the scheduler its heartbeat: its last sweep ended without error within
  `max(10 s, 5 × DISPATCH_SWEEP_SECONDS)` (a scheduler whose sweeps fail, or hang, turns
  not ready, and Kubernetes or the operator restarts it);
- `GET /metrics`: this process's figures (timer lateness, the sweep's heartbeat, its pool, and
  the database's and Redis's figures of `server.metrics_scrape`), with `/metrics`' own access
  rule (loopback and private addresses, or `DISPATCH_METRICS_TOKEN`; no proxy in front).

Why their own port and not gunicorn's shared folder: they run in containers (or on machines) of
their own, so Prometheus scrapes each of them, and a scheduler that is gone shows as a target that
is down and a heartbeat that stops. Standard library only (a thread of its own), so a busy sweep or
job never delays a probe; a port already taken is logged and the process works on without it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from dispatch.context import Context
from dispatch.storage.database import ping
from server import metrics
from server.redis_url import connect as connect_redis
from server.config import Config

log = logging.getLogger(__name__)


def heartbeat_limit(cfg: Config) -> float:
    return max(10.0, 5 * cfg.SWEEP_SECONDS)


def readiness(ctx: Context, cfg: Config, scheduler: bool,
              started: float) -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        ping(ctx.engine)
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if cfg.REDIS_URL:
        try:
            connect_redis(cfg.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
            checks["redis"] = "ok"
        except RedisError as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    if scheduler:
        last, limit = metrics.last_swept[0], heartbeat_limit(cfg)
        age = time.time() - (last if last is not None else started)
        if last is not None and age <= limit:
            checks["sweep"] = "ok"
        else:
            checks["sweep"] = (f"error: no sweep ended well in {age:.0f} s (limit {limit:.0f} s)"
                               if last is not None or age > limit else "starting")
    return all(v == "ok" for v in checks.values()), checks


def serve(ctx: Context, cfg: Config, scheduler: bool) -> ThreadingHTTPServer | None:
    """Start the server in a daemon thread; None when `DISPATCH_OPS_PORT` is 0 or taken."""
    if not cfg.OPS_PORT:
        return None
    exposition = metrics.Exposition(ctx, cfg)
    started = time.time()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._json(200, {"status": "ok"})
            elif path == "/readyz":
                ready, checks = readiness(ctx, cfg, scheduler, started)
                self._json(200 if ready else 503,
                           {"status": "ready" if ready else "not ready", "checks": checks})
            elif path == "/metrics":
                refused = metrics.refusal(self.client_address[0],
                                          self.headers.get("Authorization"), cfg.METRICS_TOKEN)
                if refused is not None:
                    self._json(refused.status, {"title": refused.title,
                                                "status": refused.status,
                                                "detail": refused.detail},
                               "application/problem+json")
                    return
                self._send(200, exposition.render(), CONTENT_TYPE_LATEST)
            else:
                self._json(404, {"title": "Not Found", "status": 404,
                                 "detail": "/healthz, /readyz or /metrics"},
                           "application/problem+json")

        def _json(self, status: int, body: dict[str, Any],
                  content_type: str = "application/json") -> None:
            self._send(status, json.dumps(body).encode(), content_type)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - its signature
            """Probes every few seconds would drown the log: not logged."""

    try:
        server = ThreadingHTTPServer((cfg.OPS_HOST, cfg.OPS_PORT), Handler)
    except OSError as exc:
        log.error("cannot serve /metrics and the probes on %s:%d (%s); working on without them",
                  cfg.OPS_HOST, cfg.OPS_PORT, exc)
        return None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="ops-http", daemon=True).start()
    log.info("serving /healthz, /readyz and /metrics on %s:%d", cfg.OPS_HOST, cfg.OPS_PORT)
    return server
