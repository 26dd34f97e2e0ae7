"""The production entry point for gunicorn's gevent websocket worker:

    gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 server.wsgi:app

The worker has already monkey-patched the process; psycopg2 is made cooperative here. With
REDIS_URL set, timers and the outbox sweep belong to `python -m server.scheduler` and
`python -m server.worker`; without it this process keeps them itself.
"""

from psycogreen.gevent import patch_psycopg

from server import create_app
from server.extensions import socketio
from server.realtime import sweep_forever

patch_psycopg()
app = create_app()
if not app.config["REDIS_URL"]:
    _ctx = app.extensions["dispatch"]
    socketio.start_background_task(sweep_forever, _ctx, _ctx.relay,
                                   float(app.config["SWEEP_SECONDS"]), socketio.sleep)
