"""`make cluster`: two web processes, a worker and the scheduler on PostgreSQL and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid

import psycopg2

from tests.conftest import ADMIN_URL
from tests.e2e.procs import ROOT, Live, Processes, auth, free_port, wait_for, _answers
from tests.e2e.test_live_dispatch import ZHICHENG_OFFICER, post_report


def test_make_cluster_serves_one_set_of_clients_from_two_processes(tmp_path):
    db = f"dispatch_cluster_{uuid.uuid4().hex[:8]}"
    redis_port, web1, web2 = free_port(), free_port(), free_port()
    worker_ops, scheduler_ops = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": f"{ADMIN_URL.rsplit('/', 1)[0]}/{db}",
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "WEB_PORTS": f"{web1} {web2}",
           "WORKER_OPS_PORT": str(worker_ops), "SCHEDULER_OPS_PORT": str(scheduler_ops),
           "DISPATCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    side = Processes(tmp_path, env)
    side.redis(redis_port)
    log = open(tmp_path / "cluster.log", "wb")
    proc = subprocess.Popen(["make", "cluster"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for port in (web1, web2):
            wait_for(lambda p=port: _answers(f"http://127.0.0.1:{p}/readyz"), 120,
                     f"web on {port}")
        a, b = f"http://127.0.0.1:{web1}", f"http://127.0.0.1:{web2}"
        officer = Live(a, ZHICHENG_OFFICER).connect()
        inc = post_report(b, auth(b, "demo-reporter"))
        officer.wait("task.offered", lambda d: d["incident_id"] == inc["id"], timeout=5)
        officer.disconnect()
        # Each gunicorn its own metrics; the worker and the scheduler their ops ports.
        for url in (f"{a}/metrics", f"{b}/metrics", f"http://127.0.0.1:{worker_ops}/metrics"):
            wait_for(lambda u=url: _answers(u), 30, url)
        wait_for(lambda: _answers(f"http://127.0.0.1:{scheduler_ops}/readyz"), 30,
                 "the scheduler ready on its heartbeat")
        text = (tmp_path / "cluster.log").read_text()
        assert "cluster up" in text and "sweeping every" in text
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            side.stop_all()
            admin = psycopg2.connect(ADMIN_URL)
            admin.autocommit = True
            with admin.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s", (db,))
                cur.execute(f'DROP DATABASE IF EXISTS "{db}"')
            admin.close()
    for port in (web1, web2):
        assert not _answers(f"http://127.0.0.1:{port}/healthz")
