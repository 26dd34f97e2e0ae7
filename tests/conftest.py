"""Shared fixtures: the app on both stores (real PostGIS and SQLite), a controllable clock, and
signed-in clients. A missing service fails the run; nothing here skips."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import delete, update

ADMIN_URL = os.environ.get("TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
START = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Jiyuan


class FakeClock:
    """The time every use case reads; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock()


def _admin():  # type: ignore[no-untyped-def]
    conn = psycopg2.connect(ADMIN_URL)
    conn.autocommit = True
    return conn


@contextmanager
def scratch_database(store: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (`postgis`, dropped afterwards, or a `sqlite` file) for
    the tests that build a schema themselves: the migrations' tests start it at an old revision."""
    if store != "postgis":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"dispatch_mig_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture(scope="session")
def postgis_url():  # type: ignore[no-untyped-def]
    """A fresh database for this run, with PostGIS; dropped afterwards."""
    name = f"dispatch_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = _admin()
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required ({ADMIN_URL}); run scripts/ensure-services.sh: {exc}")
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
        # A test database need not survive a crash: halves the PostGIS suite's time.
        cur.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    base = ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def make_test_app(database_url: str | None, instance: Path, clock: FakeClock, **extra):  # type: ignore[no-untyped-def]
    from server import create_app
    from server.cli import prepare_database

    app = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(instance), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "CLOCK": clock,
        # Off for the suite, whose tests send 20 requests at once and revoke by plain SQL
        # expecting the next request refused; test_admission.py and test_token_cache.py (and
        # the e2e tests, on the production defaults) turn them on.
        "ADMISSION_LIMIT": 0, "USER_CACHE_SECONDS": 0.0,
        **extra,
    })
    prepare_database(app, seed_if_empty=True)
    return app


@pytest.fixture(scope="session", params=["sqlite", "postgis"])
def backend(request):  # type: ignore[no-untyped-def]
    return request.param


@pytest.fixture(scope="session")
def _apps(tmp_path_factory, clock):  # type: ignore[no-untyped-def]
    apps: dict[str, object] = {}
    yield apps
    for app in apps.values():
        app.extensions["dispatch"].engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def app(backend, _apps, tmp_path_factory, clock, request):  # type: ignore[no-untyped-def]
    if backend not in _apps:
        instance = tmp_path_factory.mktemp(f"instance-{backend}")
        url = request.getfixturevalue("postgis_url") if backend == "postgis" else None
        _apps[backend] = make_test_app(url, instance, clock)
    app = _apps[backend]
    clock.set(START)
    yield app
    _reset(app)


def _reset(app) -> None:  # type: ignore[no-untyped-def]
    """Remove what a test wrote, keep the seeded demo (fast: no re-seeding between tests)."""
    from dispatch.demo import DEMO_SET_NAME
    from dispatch.storage import append_only
    from dispatch.storage import tables as t

    ctx = app.extensions["dispatch"]
    shutil.rmtree(ctx.settings.photo_dir, ignore_errors=True)
    with ctx.engine.begin() as conn:
        with append_only.lifted(conn):  # the log and the records refuse DELETE (migration 0015)
            for table in (t.event_audience, t.events, t.timers, t.overdue_records, t.photos,
                          t.complaints,
                          t.incident_units, t.incidents,
                          t.idempotency_keys, t.officer_positions, t.officer_last_positions,
                          t.sites, t.case_number_counters):
                conn.execute(delete(table))
        demo_sets = [t.boundary_sets.c.name == DEMO_SET_NAME]
        conn.execute(delete(t.territory_boundaries).where(
            t.territory_boundaries.c.set_id.in_(
                t.boundary_sets.select().with_only_columns(t.boundary_sets.c.id)
                .where(t.boundary_sets.c.name != DEMO_SET_NAME))))
        conn.execute(delete(t.boundary_sets).where(t.boundary_sets.c.name != DEMO_SET_NAME))
        conn.execute(update(t.boundary_sets).where(*demo_sets).values(active=True))
    ctx.locator.invalidate()  # the sets changed behind its back
    ctx.routing.invalidate()
    if "map_cache" in app.extensions:  # the log's seq goes on: its documents would be served
        app.extensions["map_cache"].clear()


@pytest.fixture
def ctx(app):  # type: ignore[no-untyped-def]
    return app.extensions["dispatch"]


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    """login("demo-reporter") -> headers with a bearer token."""
    def _login(username: str) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
        assert r.status_code == 200, r.get_json()
        return {"Authorization": f"Bearer {r.get_json()['access_token']}"}
    return _login
