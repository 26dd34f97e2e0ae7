"""The private services of one `python -m bench` run, and everything started on them: PostGIS
databases (copies of a template, dropped at the end), a redis-server, the product's and the bare
baseline's gunicorn web processes, and the commands started, for RESULTS.md."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.processes import (
    ROOT,
    Processes,
    admin_sql,
    children_of,
    free_port,
    gunicorn_cmd,
    proc_cpu_s,
    wait_http,
)

SECRET = "bench-run-secret"
# Inside 419001102 (轵城镇); every category routes from there.
POINT = {"lat": 35.0206, "lon": 112.6340}
REPORTS = [{"category": c, "description": "bench", "location": POINT}
           for c in ("power_cut", "water_cut", "road_blocked", "gate_blocked")]
UNITS = ["power_supply", "water_supply", "public_security", "traffic_police", "petition",
         "housing_construction", "development_reform",
         *[f"4190010{n:02d}" for n in range(1, 6)], *[f"419001{n}" for n in range(100, 111)]]


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    workers: list[int]
    db: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        total = 0.0
        for pid in self.workers:
            try:
                total += proc_cpu_s(pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return total


@dataclass
class Stack:
    """The private services of one run, and everything started on them (stopped at the end)."""

    args: argparse.Namespace
    workdir: Path
    stamp: str
    procs: Processes = field(init=False)
    dbs: list[str] = field(default_factory=list)
    redis_port: int = 0
    tokens: dict[str, str] = field(default_factory=dict)
    templates: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    # The field officers of the template (bench/seeding.py): (token, unit code, user id).
    field_officers: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.procs = Processes(self.workdir)

    def db_url(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{db}"

    def create_db(self, suffix: str, template: str | None = None) -> str:
        name = f"bench_{os.getpid()}_{suffix}"
        admin_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.dbs.append(name)
        return name

    def env(self, db: str, **extra: str) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.db_url(db), "DISPATCH_SECRET_KEY": SECRET,
                "DISPATCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "PYTHONUNBUFFERED": "1", **extra}

    def gunicorn(self, name: str, app: str, db: str, workers: int, extra: list[str]) -> Server:
        port = free_port()
        cmd = gunicorn_cmd(port, app, extra, workers)
        self.note_command(cmd)
        proc = self.procs.start(name, cmd, env=self.env(db))
        try:
            wait_http(port, "/healthz", proc, 90)
        except Exception:
            print(self.procs.tail(name), file=sys.stderr)
            raise
        deadline = time.monotonic() + 20
        kids: list[int] = []
        while time.monotonic() < deadline and len(kids) < workers:
            kids = children_of(proc.pid)
            time.sleep(0.1)
        if len(kids) < workers:
            raise RuntimeError(f"{name}: {len(kids)} of {workers} workers started")
        return Server(name, port, proc, kids, db)

    def product(self, db: str, workers: int = 1) -> Server:
        return self.gunicorn(f"product-{db[-6:]}-w{workers}", "server.wsgi:create()", db,
                             workers, [])

    def bare(self, db: str, workers: int = 1) -> Server:
        return self.gunicorn(f"bare-{db[-6:]}-w{workers}", "bench.bare_app:create()", db,
                             workers, [])

    def essential(self, db: str, workers: int = 1) -> Server:
        return self.gunicorn(f"essential-{db[-6:]}-w{workers}", "bench.essential_app:create()",
                             db, workers, [])

    def stop(self, server: Server) -> None:
        self.procs.stop(server.proc)

    def note_command(self, cmd: list[str]) -> None:
        text = " ".join(cmd).replace(sys.executable, "python").replace(str(ROOT) + "/", "")
        text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
        if text not in self.commands:
            self.commands.append(text)

    def sql(self, db: str, statement: str, params: Any = None) -> list[Any]:
        import psycopg2

        conn = psycopg2.connect(self.db_url(db))
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def pg_cpu(self, db: str) -> dict[int, float]:
        """CPU seconds of each PostgreSQL backend now serving `db`."""
        out = {}
        for (pid,) in self.sql(db,
                               "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                               "AND pid <> pg_backend_pid()", (db,)):
            try:
                out[pid] = proc_cpu_s(pid)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
        return out

    def drop_all(self) -> None:
        for db in self.dbs:
            try:
                admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - report and go on dropping
                print(f"could not drop database {db}: {exc}", file=sys.stderr)


def pg_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
