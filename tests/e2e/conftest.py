"""End-to-end fixtures: a fresh PostGIS database and a private Redis per test, and the processes
of the production shape started on them."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from playwright.sync_api import Browser

from tests.conftest import ADMIN_URL
from tests.e2e.browser import chromium
from tests.e2e.procs import PY, ROOT, Processes, free_port

FAST_HASH = "pbkdf2:sha256:1000"
OWN_PLACES = ("HOME", "DATABASE_URL", "REDIS_URL", "DISPATCH_INSTANCE_PATH")


def _url(name: str) -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


@pytest.fixture(scope="session")
def _seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[dict[str, str]], str]]:
    """seeded(env) -> the name of a database seeded with the demo under that environment.

    Seeding costs about 10 s of CPU (the migrations, 16 territories, 50 users' password hashes)
    and some sixty tests need it; `CREATE DATABASE ... TEMPLATE` copies a seeded one in half a
    second. One template per distinct environment, because settings (the hash method, the case
    number's prefix) shape what the seed writes; the test's own places (its database, Redis, home
    and instance folder) are not part of it: the seed runs without Redis, which it would only use
    to wake web processes that are not running yet."""
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    templates: dict[frozenset[tuple[str, str]], str] = {}
    home = tmp_path_factory.mktemp("seed")

    def seeded(env: dict[str, str]) -> str:
        env = {k: v for k, v in env.items() if k not in OWN_PLACES}
        key = frozenset(env.items())
        if key not in templates:
            name = f"dispatch_e2e_tpl_{uuid.uuid4().hex[:10]}"
            with admin.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
            out = subprocess.run([PY, "-m", "server", "seed-demo"], cwd=ROOT, timeout=120,
                                 env={**env, "HOME": str(home), "DATABASE_URL": _url(name),
                                      "DISPATCH_INSTANCE_PATH": str(home / name)},
                                 capture_output=True, text=True)
            assert out.returncode == 0, out.stdout + out.stderr
            templates[key] = name
        return templates[key]

    yield seeded
    with admin.cursor() as cur:
        for name in templates.values():
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture
def stack(tmp_path: Path, _seeded: Callable[[dict[str, str]], str]):  # type: ignore[no-untyped-def]
    """stack(redis=True, **env) -> Processes with DATABASE_URL (seeded) and REDIS_URL set."""
    made: list[tuple[Processes, str]] = []
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True

    def make(redis: bool = True, **extra: str) -> Processes:
        name = f"dispatch_e2e_{uuid.uuid4().hex[:10]}"
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": str(tmp_path),
            "DATABASE_URL": _url(name),
            "DISPATCH_SECRET_KEY": "e2e-secret",
            "DISPATCH_PASSWORD_HASH_METHOD": FAST_HASH,
            "DISPATCH_INSTANCE_PATH": str(tmp_path / "instance"),
            **extra,
        }
        template = _seeded(env)
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        procs = Processes(tmp_path, env)
        made.append((procs, name))
        if redis:
            port = free_port()
            procs.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            procs.redis_port = port  # type: ignore[attr-defined]
            procs.redis(port)
        return procs

    yield make
    for procs, name in made:
        procs.stop_all()
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture(scope="module")
def _chromium() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def browser(_chromium: Browser) -> Iterator[Browser]:
    """One headless Chromium per module (a launch costs a second or two); each test opens its
    own contexts, and those it leaves open are closed after it, so that no page of an earlier
    test keeps running (and reconnecting to a stopped server) during the next."""
    yield _chromium
    for context in _chromium.contexts:
        context.close()
