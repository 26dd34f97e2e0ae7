"""The scheduler's lease: a PostgreSQL session advisory lock held on a dedicated connection.

Two schedulers run (two machines, say); only the one holding the lease sweeps. The lock lives as
long as its connection: when the active scheduler dies its backend ends, PostgreSQL releases the
lock at once (on another machine, when TCP keepalives give up: `KEEPALIVE`), and the standby takes
it at its next look, one sweep interval later. During a failover of the database itself both
lose their connection; the first to reach the new primary takes the lease.

The lease is for "one active at a time" (no duplicated work, one heartbeat to watch). That two
sweepers never fire one timer twice does not rest on it: a timer is claimed with
`FOR UPDATE SKIP LOCKED` and marked fired in the same transaction (`timers.claim_due`), so an old
holder that has not yet noticed it lost its connection still cannot double a notice.

Without PostgreSQL (the embedded SQLite default: one process) the lease is always held.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

SCHEDULER_KEY = 311_0001  # pg_advisory_lock's bigint key: the scheduler's lease
# libpq keepalives on the lease's connection: a dead peer is noticed within ~10 s.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
             "keepalives_count": 2, "connect_timeout": 2}


class Lease:
    """`held()` at each round: True while this process holds the lock (checked with a round
    trip on its connection), after taking it if it was free."""

    def __init__(self, engine: Engine, key: int = SCHEDULER_KEY) -> None:
        self.key = key
        self._postgres = engine.dialect.name == "postgresql"
        # Its name in pg_stat_activity says who holds the lease (the host and the pid).
        name = f"jiyuan311 scheduler lease {socket.gethostname()[:24]} {os.getpid()}"
        self._engine = (create_engine(engine.url, poolclass=NullPool,
                                      connect_args={**KEEPALIVE, "application_name": name})
                        if self._postgres else None)
        self._conn: Connection | None = None

    def held(self) -> bool:
        if self._engine is None:
            return True
        try:
            if self._conn is not None:
                # A session lock lasts as long as its session: a round trip that succeeds says
                # the lock is still ours; one that fails, that the server released it.
                self._conn.execute(text("SELECT 1"))
                return True
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                          {"k": self.key}).scalar())
            if got:
                log.info("took the scheduler's lease (advisory lock %d)", self.key)
            else:
                self._drop()
            return got
        except DBAPIError as exc:
            if self._conn is not None:
                log.warning("lost the scheduler's lease: %s", str(exc.orig).strip()[:200])
            self._drop()
            return False

    def release(self) -> None:
        """On a clean stop: the standby need not wait for its next look."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            except DBAPIError:
                pass
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail; it is gone
                pass

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
