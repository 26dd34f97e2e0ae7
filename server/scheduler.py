"""The reconciliation sweep as its own process (the production shape):

    python -m server.scheduler       # needs DATABASE_URL; REDIS_URL for the message queue

Every DISPATCH_SWEEP_SECONDS it fires due timers from the database, so a lost Redis or a dead
worker delays a notice by at most one interval. Several may run at once (SKIP LOCKED). It builds
no web app: its Context comes from the configuration, and after a commit it wakes the web
processes (a Redis note) and hands new timers to RQ.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from server.bootstrap import Process, for_process
from server.config import ConfigError
from server.realtime import sweep_forever


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        cfg, ctx = for_process(Process.SCHEDULER)
    except ConfigError as exc:  # one line naming the variable, not a traceback
        sys.exit(f"configuration: {exc}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger(__name__).info("sweeping every %.1f s", cfg.SWEEP_SECONDS)
    sweep_forever(ctx, cfg.SWEEP_SECONDS, stop)


if __name__ == "__main__":
    main()
