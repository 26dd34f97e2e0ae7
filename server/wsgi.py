"""The production entry point for gunicorn's gevent websocket worker, as an application factory
so that importing this module builds nothing:

    gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 'server.wsgi:create()'

The worker has already monkey-patched the process; psycopg2 is made cooperative here. With
REDIS_URL set, timers belong to `python -m server.scheduler` and `python -m server.worker`;
without it this process keeps them itself.
"""

from __future__ import annotations

from flask import Flask


def create() -> Flask:
    from psycogreen.gevent import patch_psycopg

    from server import config as cfgmod
    from server import create_app, logs, start_web_loops
    from server.realtime import tune_gc

    patch_psycopg()
    logs.configure(cfgmod.load(), "web", json_by_default=True)
    app = create_app()
    start_web_loops(app, keep_clocks=not cfgmod.of(app).REDIS_URL)
    tune_gc()
    return app
