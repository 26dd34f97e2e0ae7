"""An RQ worker for the timer jobs, with RQ's scheduler (jobs enqueued at their due time).

    python -m server.worker          # needs DATABASE_URL and REDIS_URL

It builds no web app: its Context comes from the configuration (`bootstrap.for_process`). After
a job commits events it wakes the web processes (a Redis note; their relays push the events),
and it hands the incident's next timer to RQ. Jobs run in this process (SimpleWorker), so the
database pool is made once.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

import redis
from rq import Queue, SimpleWorker

from dispatch.context import Context
from server import jobs
from server.bootstrap import Process, for_process
from server.channels import QUEUE
from server.config import Config, ConfigError


def prepare(overrides: Mapping[str, Any] | None = None) -> tuple[Config, Context]:
    """The worker's configuration and Context, bound for the jobs."""
    cfg, ctx = for_process(Process.WORKER, overrides)
    jobs.bind(ctx)
    return cfg, ctx


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        cfg, _ = prepare()
    except ConfigError as exc:  # one line naming the variable, not a traceback
        sys.exit(f"configuration: {exc}")
    url = cfg.REDIS_URL
    if not url:
        sys.exit("REDIS_URL is required for the worker; without it `make run` fires timers itself")
    connection = redis.Redis.from_url(url)
    worker = SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection)
    worker.work(with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
