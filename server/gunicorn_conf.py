"""gunicorn's configuration of a web process (Dockerfile, docker-compose.yml, `make cluster`):

    gunicorn -c python:server.gunicorn_conf \
        -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker \
        -w 1 --worker-connections 10000 'server.wsgi:create()'

Prometheus's multi-process mode (server/metrics.py): every worker of this gunicorn writes its
figures into `PROMETHEUS_MULTIPROC_DIR`, and the one that answers `/metrics` reports them all.
The folder is set here, before any worker starts (prometheus_client reads the variable once, at
import): the environment's, else a new private temporary folder removed at exit. It is emptied
when gunicorn starts (figures of an earlier run would be counted again) and a worker's live
gauges are dropped when it exits. One folder per gunicorn: two sharing one would report each
other's workers, and each would empty the other's at its start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_made = not os.environ.get(_VARIABLE)
if _made:
    os.environ[_VARIABLE] = tempfile.mkdtemp(prefix="jiyuan311-metrics-")


def on_starting(server: Any) -> None:
    folder = Path(os.environ[_VARIABLE])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # unannotated upstream


def on_exit(server: Any) -> None:
    if _made:
        shutil.rmtree(os.environ[_VARIABLE], ignore_errors=True)
