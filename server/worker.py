"""An RQ worker for the timer jobs, with RQ's scheduler (jobs enqueued at their due time).

    python -m server.worker          # needs DATABASE_URL and REDIS_URL

Jobs run in this process (SimpleWorker), so the database pool and Socket.IO emitter are made once.
"""

from __future__ import annotations

import logging
import sys

import redis
from rq import Queue, SimpleWorker

from server import create_app, jobs
from server.realtime import QUEUE


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app({"ASYNC_MODE": "threading"})
    url = app.config["REDIS_URL"]
    if not url:
        sys.exit("REDIS_URL is required for the worker; without it `make run` fires timers itself")
    jobs.bind(app.extensions["dispatch"])
    connection = redis.Redis.from_url(url)
    worker = SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection)
    worker.work(with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
