"""`make run`: one process serving HTTP and Socket.IO on gevent, the embedded default by default.

Patched first, before anything imports sockets or threads, as gevent requires.
"""

import gevent
from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402


def main() -> None:
    from server import config as cfgmod
    from server import create_app, logs, start_web_loops
    from server.cli import prepare_database
    from server.extensions import socketio
    from server.realtime import tune_gc

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        from psycogreen.gevent import patch_psycopg
        patch_psycopg()
    try:
        logs.configure(cfgmod.load(), "web", json_by_default=False)  # text unless told
        app = create_app()
    except cfgmod.ConfigError as exc:  # one line naming the variable, not a traceback
        sys.exit(f"configuration: {exc}")
    cfg = cfgmod.of(app)
    prepare_database(app, seed_if_empty=cfg.SEED_DEMO or not cfg.DATABASE_URL)
    host, port = cfg.HOST, cfg.PORT

    def stop(signum: int, _frame: Any) -> None:
        logging.getLogger(__name__).info("signal %s: stopping", signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Without Redis one process does everything, the clocks included.
    start_web_loops(app, keep_clocks=not cfg.REDIS_URL)
    tune_gc()

    def stop_serving(signum: int) -> None:
        """Once serving, a signal is handled in a greenlet of its own (gevent's): Python's
        handler runs in whichever greenlet holds the thread, and a SystemExit raised inside a
        request's greenlet was swallowed by the WSGI handler, leaving the server running."""
        logging.getLogger(__name__).info("signal %s: stopping", signum)
        socketio.wsgi_server.stop(timeout=1)  # serve_forever returns; main() with it

    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stop_serving, signum)
    print(f"serving on http://{host}:{port} (Ctrl-C stops)", flush=True)
    socketio.run(app, host=host, port=port, log_output=False)


if __name__ == "__main__":
    main()
