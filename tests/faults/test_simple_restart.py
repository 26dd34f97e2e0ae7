"""The simple shape (`make cluster`: one PostgreSQL, one Redis, two web processes, a worker, the
scheduler): PostgreSQL restarted under a stream of clients, and the pools recover by themselves,
with no process restarted. A private PostgreSQL (initdb in a temporary folder, PostGIS from the
machine's packages) so that restarting it disturbs no one else."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.e2e.procs import ROOT, free_port, wait_for
from tests.faults.conftest import FAST_HASH, report_figures
from tests.faults.load import Stream, check_stream


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    assert found, "PostgreSQL's binaries are missing (scripts/ensure-services.sh)"
    return found[-1].parent


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.home = Path(tempfile.mkdtemp(prefix="jiyuan311-faults-pg."))
        self.home.chmod(0o711)
        self.data, self.port = self.home / "data", free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.as_pg:
            shutil.chown(self.home, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/jiyuan311"

    def _run(self, tool: str, *args: str) -> None:
        out = subprocess.run([*self.as_pg, str(self.bin / tool), *args], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.home / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1", "start")

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.start()

    def stop(self) -> None:
        subprocess.run([*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.home, ignore_errors=True)

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = psycopg2.connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(query, args)
                return list(cur.fetchall())
        finally:
            conn.close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, str, subprocess.Popen[bytes]]]:
    pg = PrivatePostgres()
    redis_port, web = free_port(), [free_port(), free_port()]
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    env = {**os.environ, "DATABASE_URL": pg.url, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "WEB_PORTS": " ".join(map(str, web)), "WORKER_OPS_PORT": str(free_port()),
           "SCHEDULER_OPS_PORT": str(free_port()), "DISPATCH_PASSWORD_HASH_METHOD": FAST_HASH,
           "DISPATCH_SECRET_KEY": "faults-secret", "DISPATCH_INSTANCE_PATH": str(tmp_path)}
    log = open(tmp_path / "cluster.log", "ab")
    script = subprocess.Popen([str(ROOT / "scripts" / "cluster.sh")], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: "cluster up" in (tmp_path / "cluster.log").read_text()
                 or script.poll() is not None, 180, "make cluster")
        assert script.poll() is None, (tmp_path / "cluster.log").read_text()[-3000:]
        base = f"http://127.0.0.1:{web[0]}"
        import requests
        wait_for(lambda: _ready(requests, base), 150, "the web process")
        yield pg, base, script
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGTERM)
            script.wait(60)
        redis.terminate()
        redis.wait(10)
        pg.stop()


def _ready(requests: Any, base: str) -> bool:
    try:
        return bool(requests.get(f"{base}/readyz", timeout=2).status_code == 200)
    except requests.RequestException:
        return False


def test_postgres_restarted_the_pools_recover_by_themselves(cluster) -> None:  # type: ignore[no-untyped-def]
    pg, base, script = cluster
    stream = Stream(base, "restart").start()
    time.sleep(3)
    started = time.monotonic()
    pg.restart()
    restarted = time.monotonic() - started
    time.sleep(5)
    stream.stop()
    assert script.poll() is None, "a process of the cluster exited"  # none was restarted
    figures = {"faults injected": 1, "restart took s": round(restarted, 2),
               **check_stream(pg, stream)}
    report_figures("postgres restarted (simple shape)", figures)
    assert figures["reports answered"] > 0
