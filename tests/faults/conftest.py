"""`make test-faults`: the high-availability shape (scripts/ha.sh, as `make ha` starts it) once
for the session, its components killed one at a time by the tests while a stream of clients runs.
Not collected by `make test` (pyproject's norecursedirs): it takes minutes and kills processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import requests

from tests.e2e.procs import ROOT, wait_for

FAST_HASH = "pbkdf2:sha256:1000"
AS_PG = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []  # PostgreSQL refuses root
TIME_SCALE = "120"  # the arrival deadline is due 15 s after a report: timers fire during a test


class HA:
    """The running shape: its ports (HA_DIR/ports.env), its processes, and ways to kill them."""

    def __init__(self, directory: Path, script: subprocess.Popen[bytes]) -> None:
        self.dir, self.script = directory, script
        self.ports: dict[str, str] = {}
        for line in (directory / "ports.env").read_text().splitlines():
            k, _, v = line.partition("=")
            self.ports[k] = v.strip('"')
        self.lb = f"http://127.0.0.1:{self.ports['LB']}"
        self.database_url = self.ports["DATABASE_URL"]

    def port_list(self, name: str) -> list[int]:
        return [int(p) for p in self.ports[name].split()]

    def pid(self, name: str) -> int:
        return int((self.dir / "pids" / f"{name}.pid").read_text())

    def kill(self, name: str) -> None:
        """SIGKILL a component's whole process group (a machine's power cut, for that part)."""
        os.killpg(self.pid(name), signal.SIGKILL)

    def kill_pg_node(self, name: str) -> None:
        """A PostgreSQL node dies: its Patroni and its postmaster (which Patroni started in a
        group of its own), SIGKILL."""
        postmaster = self.dir / name / "data" / "postmaster.pid"
        pm = int(postmaster.read_text().split()[0])
        self.kill(name)
        os.kill(pm, signal.SIGKILL)

    def restart(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.dir / "logs" / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **self.env, **(env or {})},
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (self.dir / "pids" / f"{name}.pid").write_text(str(proc.pid))

    env: dict[str, str] = {}

    def start_pg_node(self, name: str) -> None:
        """A killed node back, as its machine's restart would bring it: its Patroni again, which
        rewinds the old leader's data (use_pg_rewind) and rejoins it as a replica."""
        # By its real folder: postgres cannot pass through the test's own temporary folder.
        self.restart(name, [*AS_PG, "patroni", str((self.dir / name).resolve() / "patroni.yml")])

    def whole(self) -> bool:
        """The cluster's healthy shape: three members, one leader, a synchronous standby, and
        every replica replaying the leader's WAL (a lag known, so not still being rewound)."""
        members = self.cluster()
        roles = sorted(str(m["role"]) for m in members)
        replicas = [m for m in members if m["role"] != "leader"]
        return (len(members) == 3 and roles.count("leader") == 1
                and "sync_standby" in roles
                and all(m.get("state") in ("running", "streaming") for m in members)
                and all(isinstance(m.get("lag"), int) for m in replicas))

    def cluster(self) -> list[dict[str, Any]]:
        for port in self.port_list("API"):
            try:
                members = requests.get(f"http://127.0.0.1:{port}/cluster", timeout=1).json()
                return list(members["members"])
            except (requests.RequestException, ValueError):
                continue
        return []

    def leader(self) -> str | None:
        return next((m["name"] for m in self.cluster() if m["role"] == "leader"), None)

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        """Through HAProxy (the leader), retried while a failover is under way."""
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = psycopg2.connect(self.database_url, connect_timeout=2)
                try:
                    with conn, conn.cursor() as cur:
                        cur.execute(query, args)
                        return list(cur.fetchall())
                finally:
                    conn.close()
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


# Module-scoped: stopped once test_ha.py is done, not left loading the machine (its timers firing
# for minutes) while the simple shape's test starts and times its own processes.
@pytest.fixture(scope="module")
def ha(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HA]:
    subprocess.run([str(ROOT / "scripts" / "ensure-ha.sh")], check=True, timeout=600)
    directory = tmp_path_factory.mktemp("ha")
    env = {"HA_DIR": str(directory), "HA_KEEP": "logs", "DISPATCH_PASSWORD_HASH_METHOD": FAST_HASH,
           "DISPATCH_TIME_SCALE": TIME_SCALE, "DISPATCH_SECRET_KEY": "faults-secret",
           "BIN": str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin")}
    log = open(directory.parent / "ha-script.log", "ab")
    script = subprocess.Popen([str(ROOT / "scripts" / "ha.sh")], cwd=ROOT,
                              env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    started = time.monotonic()
    try:
        wait_for(lambda: (directory / "up").exists() or script.poll() is not None, 240,
                 "make ha's shape")
        assert script.poll() is None, (directory.parent / "ha-script.log").read_text()[-3000:]
        HA.env = {k: v for k, v in env.items() if k != "HA_DIR"}
        shape = HA(directory, script)
        HA.env.update(DATABASE_URL=shape.database_url, REDIS_URL=shape.ports["REDIS_URL"])
        print(f"\n[faults] the HA shape started in {time.monotonic() - started:.0f} s")
        yield shape
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGTERM)
            try:
                script.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(script.pid, signal.SIGKILL)


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (`timeout`, CI cancelling a run) stops the run as Ctrl-C does, so the fixtures'
    teardown stops every process of the shapes: without it Python dies at once and the shape,
    started in sessions of its own, would go on running."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)


def report_figures(name: str, figures: dict[str, Any]) -> None:
    """Each test's figures, on the terminal (pytest -s) and in one line of JSON."""
    print(f"\n[faults] {name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print("[faults-json] " + json.dumps({"test": name, **figures}, default=str))
