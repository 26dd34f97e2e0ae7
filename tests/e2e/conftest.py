"""End-to-end fixtures: a fresh PostGIS database and a private Redis per test, and the processes
of the production shape started on them."""

from __future__ import annotations

import subprocess
import uuid

import psycopg2
import pytest

from tests.conftest import ADMIN_URL
from tests.e2e.procs import PY, ROOT, Processes, free_port

FAST_HASH = "pbkdf2:sha256:1000"


@pytest.fixture
def stack(tmp_path):  # type: ignore[no-untyped-def]
    """stack(redis=True, **env) -> Processes with DATABASE_URL (seeded) and REDIS_URL set."""
    made: list[tuple[Processes, str]] = []
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True

    def make(redis: bool = True, **extra: str) -> Processes:
        name = f"dispatch_e2e_{uuid.uuid4().hex[:10]}"
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": str(tmp_path),
            "DATABASE_URL": f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}",
            "DISPATCH_SECRET_KEY": "e2e-secret",
            "DISPATCH_PASSWORD_HASH_METHOD": FAST_HASH,
            "DISPATCH_INSTANCE_PATH": str(tmp_path / "instance"),
            **extra,
        }
        procs = Processes(tmp_path, env)
        made.append((procs, name))
        if redis:
            port = free_port()
            procs.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            procs.redis_port = port  # type: ignore[attr-defined]
            procs.redis(port)
        out = subprocess.run([PY, "-m", "server", "seed-demo"], cwd=ROOT, env=procs.env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        return procs

    yield make
    for procs, name in made:
        procs.stop_all()
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()
