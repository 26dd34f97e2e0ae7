"""The reconciliation sweep as its own process (the production shape):

    python -m server.scheduler       # needs DATABASE_URL; REDIS_URL for the message queue

Every DISPATCH_SWEEP_SECONDS it fires due timers from the database, so a lost Redis or a dead
worker delays a notice by at most one interval. Several may run at once (SKIP LOCKED).
"""

from __future__ import annotations

import logging
import signal
import threading

from server import create_app
from server.realtime import sweep_forever


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app({"ASYNC_MODE": "threading"})
    ctx = app.extensions["dispatch"]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger(__name__).info("sweeping every %.1f s", app.config["SWEEP_SECONDS"])
    sweep_forever(ctx, float(app.config["SWEEP_SECONDS"]), stop)


if __name__ == "__main__":
    main()
