"""The reconciliation sweep as its own process (the production shape):

    python -m server.scheduler       # needs DATABASE_URL; REDIS_URL for the message queue

Every DISPATCH_SWEEP_SECONDS it fires due timers from the database, so a lost Redis or a dead
worker delays a notice by at most one interval. With DISPATCH_OPS_PORT set it serves
/healthz, /readyz (its heartbeat: the last sweep's end) and /metrics (server/ops_http.py).
Several may run (two machines): one holds the lease (a PostgreSQL advisory lock on a dedicated
connection, dispatch/storage/lease.py) and sweeps; the others look at the lease every interval
and take it within one interval of the active one's death. A timer is never fired twice even
by two sweepers (SKIP LOCKED). It builds no web app: its Context comes from the
configuration, and after a commit it wakes the web processes (a Redis note) and hands new timers
to RQ.
"""

from __future__ import annotations

import os

# Its own figures on DISPATCH_OPS_PORT, never gunicorn's shared folder (server/metrics.py): the
# variable goes before prometheus_client is imported, which reads it once.
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from server import logs, ops_http  # noqa: E402
from dispatch.storage.lease import Lease  # noqa: E402
from server.bootstrap import Process, for_process  # noqa: E402
from server.config import ConfigError  # noqa: E402
from server.realtime import sweep_forever  # noqa: E402


def main() -> None:
    try:
        cfg, ctx = for_process(Process.SCHEDULER)
    except ConfigError as exc:  # one line naming the variable, not a traceback
        sys.exit(f"configuration: {exc}")
    logs.configure(cfg, "scheduler", json_by_default=True)
    ops_http.serve(ctx, cfg, scheduler=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger(__name__).info("sweeping every %.1f s while holding the lease",
                                     cfg.SWEEP_SECONDS)
    with Lease(ctx.engine) as lease:
        sweep_forever(ctx, cfg.SWEEP_SECONDS, stop, lease.held)


if __name__ == "__main__":
    main()
