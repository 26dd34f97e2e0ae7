"""The production entry point for gunicorn's gevent websocket worker:

    gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 server.wsgi:app

The worker has already monkey-patched the process; psycopg2 is made cooperative here.
"""

from psycogreen.gevent import patch_psycopg

from server import create_app

patch_psycopg()
app = create_app()
