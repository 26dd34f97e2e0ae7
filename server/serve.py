"""`make run`: one process serving HTTP and Socket.IO on gevent, the embedded default by default.

Patched first, before anything imports sockets or threads, as gevent requires.
"""

from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    from server import create_app
    from server.cli import prepare_database
    from server.extensions import socketio
    from server.realtime import start_web_loops, tune_gc

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        from psycogreen.gevent import patch_psycopg
        patch_psycopg()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app()
    prepare_database(app, seed_if_empty=app.config["SEED_DEMO"] or not app.config["DATABASE_URL"])
    host, port = app.config["HOST"], int(app.config["PORT"])

    def stop(signum, _frame):  # type: ignore[no-untyped-def]
        logging.getLogger(__name__).info("signal %s: stopping", signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Without Redis one process does everything, the clocks included.
    start_web_loops(app, socketio, keep_clocks=not app.config["REDIS_URL"])
    tune_gc()
    print(f"serving on http://{host}:{port} (Ctrl-C stops)", flush=True)
    if socketio.server.eio.async_mode == "gevent":
        serve_gevent(app, host, port)
    else:
        socketio.run(app, host=host, port=port, log_output=False)


def serve_gevent(app, host: str, port: int) -> None:  # type: ignore[no-untyped-def]
    """What socketio.run does on gevent, with one addition: the request target as the client
    sent it, in RAW_URI as gunicorn gives it, so that the URL limit (server.http_policy)
    measures the same bytes behind either server."""
    from gevent import pywsgi
    from geventwebsocket.handler import WebSocketHandler

    from server.extensions import socketio

    class Handler(WebSocketHandler):  # type: ignore[misc]
        def get_environ(self):  # type: ignore[no-untyped-def]
            environ = super().get_environ()
            environ["RAW_URI"] = self.path
            return environ

    socketio.wsgi_server = pywsgi.WSGIServer((host, port), app, handler_class=Handler, log=None)
    socketio.wsgi_server.serve_forever()


if __name__ == "__main__":
    main()
