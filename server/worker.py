"""An RQ worker for the timer jobs, with RQ's scheduler (jobs enqueued at their due time).

    python -m server.worker          # needs DATABASE_URL and REDIS_URL

It builds no web app: its Context comes from the configuration (`bootstrap.for_process`). After
a job commits events it wakes the web processes (a Redis note; their relays push the events),
and it hands the incident's next timer to RQ. Jobs run in this process (SimpleWorker), so the
database pool is made once. With DISPATCH_OPS_PORT set it serves /healthz, /readyz and
/metrics (server/ops_http.py).
"""

from __future__ import annotations

import os

# Its own figures on DISPATCH_OPS_PORT, never gunicorn's shared folder (server/metrics.py): the
# variable goes before prometheus_client is imported, which reads it once.
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

import sys  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

from rq import Queue, SimpleWorker  # noqa: E402

from dispatch.context import Context  # noqa: E402
from server import jobs, logs, ops_http  # noqa: E402
from server.redis_url import connect as connect_redis  # noqa: E402
from server.bootstrap import Process, for_process  # noqa: E402
from server.channels import QUEUE  # noqa: E402
from server.config import Config, ConfigError  # noqa: E402


def prepare(overrides: Mapping[str, Any] | None = None) -> tuple[Config, Context]:
    """The worker's configuration and Context, bound for the jobs."""
    cfg, ctx = for_process(Process.WORKER, overrides)
    jobs.bind(ctx)
    return cfg, ctx


def main() -> None:
    try:
        cfg, ctx = prepare()
    except ConfigError as exc:  # one line naming the variable, not a traceback
        sys.exit(f"configuration: {exc}")
    logs.configure(cfg, "worker", json_by_default=True)
    ops_http.serve(ctx, cfg, scheduler=False)
    url = cfg.REDIS_URL
    if not url:
        sys.exit("REDIS_URL is required for the worker; without it `make run` fires timers itself")
    # Through the Sentinels where the URL says so; RQ's worker retries a lost connection.
    connection = connect_redis(url, socket_timeout=None)
    worker = SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection)
    # RQ's lines go through our handler (logs.configure): it adds none of its own.
    worker.work(with_scheduler=True, logging_level=cfg.LOG_LEVEL.upper())


if __name__ == "__main__":
    main()
