"""Engines for the two stores: PostGIS in production, a SQLite file for the embedded default."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from dispatch.storage import failover
from dispatch.storage.orm import start_mappers
from dispatch.storage.supervision_mapping import map_complaints


def strict_json(value: Any) -> str:
    """JSON columns (event data, snapshots) never hold NaN or Infinity, which browsers cannot
    parse: a bug that produces one fails its transaction instead of poisoning the log."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    for plain in ("postgres://", "postgresql://"):
        # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; we ship psycopg2 (and
        # psycogreen for gevent), and some platforms hand out postgres://.
        if url.startswith(plain):
            url = "postgresql+psycopg2://" + url[len(plain):]
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            private_sqlite_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               json_serializer=strict_json, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip per checkout on the hot path. A connection the server
    # dropped fails one request instead (answered 503, and the pool is renewed), and phones retry
    # with their Idempotency-Key.
    # LIFO: the hot path keeps reusing warm connections. PostGIS pays ~10 ms on the first spatial
    # query of every new backend, and a FIFO pool cycles through all of them (measured in bench/).
    # A short pool time-out: in a gevent process a request that cannot get a connection within
    # seconds is better answered 503 (server/problems.py) than left waiting half a minute; the
    # admission gate (server/admission.py) keeps requests within the pool, with room to spare for
    # sockets and the background loops.
    # hide_parameters: an SQL error in the log names no value (descriptions, phone numbers).
    # A failover (Patroni, a restart): connects retried with back-off, and a server that is no
    # primary drops the pool (dispatch/storage/failover.py).
    engine = create_engine(url, json_serializer=strict_json, pool_size=10, max_overflow=10,
                           pool_timeout=5, pool_recycle=1800, pool_use_lifo=True,
                           hide_parameters=True)
    failover.install(engine)
    return engine


def private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it. SQLite gives the -wal, -shm and
    journal files it makes later the mode of the database file, so none of them is ever
    readable by others; a file left by an older version is tightened."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return  # an empty file is an empty SQLite database
    except FileExistsError:
        pass
    for companion in (path, *(path.with_name(path.name + suffix)
                             for suffix in ("-wal", "-shm", "-journal"))):
        try:
            if companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        except FileNotFoundError:
            continue


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_session_factory(engine: Engine, read_only: bool = False) -> sessionmaker[Session]:
    """`read_only`: each statement on its own, without BEGIN and ROLLBACK round trips."""
    start_mappers()
    map_complaints()
    if read_only:
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind=engine, expire_on_commit=False)


def warm(engine: Engine, connections: int) -> None:
    """Open the pool's connections and let PostGIS load in each before the first report needs
    it; the first spatial query of a new backend costs ~10 ms."""
    if engine.dialect.name != "postgresql":
        return
    held = [engine.connect() for _ in range(connections)]
    for conn in held:
        conn.execute(text("SELECT ST_AsBinary(ST_MakePoint(0, 0))"))
    for conn in held:
        conn.close()


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
