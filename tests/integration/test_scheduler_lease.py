"""The scheduler's lease: of two schedulers one sweeps; when its session dies the other takes
the lease at its next look; a standby's rounds fire nothing. On SQLite (one process) the lease
is always held."""

from __future__ import annotations

import threading

import psycopg2
from sqlalchemy import create_engine

from dispatch.storage.lease import Lease
from tests.conftest import ADMIN_URL


def test_one_holder_and_the_standby_takes_over_when_its_session_dies(postgis_url) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(postgis_url.replace("postgresql://", "postgresql+psycopg2://"))
    key = 311_9999  # not the product's: a scheduler of another test run may hold that one
    active, standby = Lease(engine, key), Lease(engine, key)
    try:
        assert active.held() is True
        assert standby.held() is False
        assert active.held() is True  # kept, round after round
        assert standby.held() is False
        admin = psycopg2.connect(ADMIN_URL)
        admin.autocommit = True
        with admin.cursor() as cur:  # the active scheduler's machine dies: its backend ends
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE"
                        " locktype = 'advisory' AND objid = %s", (key,))
            assert cur.rowcount == 1
        admin.close()
        assert active.held() is False  # it notices at its next round, and stops sweeping
        assert standby.held() is True
        assert active.held() is False  # and does not take it back
        standby.release()  # a clean stop hands it over at once
        assert active.held() is True
    finally:
        active.release()
        standby.release()
        engine.dispose()


def test_a_standby_round_fires_nothing_and_the_holder_sweeps(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from server import metrics, realtime

    swept: list[str] = []
    monkeypatch.setattr(realtime, "sweep", lambda ctx, process: swept.append(process))
    stop = threading.Event()
    rounds = iter([False, False, True, True])

    def lease() -> bool:
        held = next(rounds, None)
        if held is None:
            stop.set()
            return False
        return held

    realtime.sweep_forever(object(), 0, stop, lease)  # type: ignore[arg-type]
    assert swept == ["scheduler", "scheduler"]  # only the rounds that held the lease
    assert metrics.last_swept[0] is not None  # a standby's rounds keep its readiness heartbeat


def test_without_postgresql_the_lease_is_always_held(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    assert Lease(engine).held() and Lease(engine).held()
