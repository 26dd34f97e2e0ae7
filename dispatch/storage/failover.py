"""Losing the primary: what the engine does while PostgreSQL fails over (Patroni, a restart).

- A new connection is retried with back-off for a bounded time (`CONNECT_TRIES`, about two
  seconds in all): a failover behind HAProxy, or a restarted server, is usually back within it,
  and a request waits a little instead of failing.
- An error that says the server is no primary, or is going away (read-only transaction, admin
  shutdown, cannot connect now), counts as a lost connection: SQLAlchemy then drops the whole pool,
  whose connections all point at the old server, and the next checkout reconnects.
- `unreachable(exc)` tells the web layer to answer 503 with `Retry-After`: the client retries with
  its Idempotency-Key, and nothing half-done was committed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

# SQLSTATEs of a server that cannot take this transaction now: read-only (a replica, or a leader
# that Patroni demoted), admin shutdown, crash shutdown, cannot connect now (starting up), and the
# connection exception class (08...).
NOT_A_PRIMARY = {"25006", "57P01", "57P02", "57P03"}
CONNECT_TRIES = (0.1, 0.2, 0.4, 0.8, 0.8)  # sleeps between attempts: 2.3 s in all


def sqlstate(exc: BaseException | None) -> str | None:
    code = getattr(exc, "pgcode", None)
    return code if isinstance(code, str) else None


def unreachable(exc: DBAPIError) -> bool:
    """The primary could not be reached (or is no longer one): a 503, never a 500."""
    if exc.connection_invalidated:
        return True
    code = sqlstate(exc.orig)
    if code is not None:
        return code in NOT_A_PRIMARY or code.startswith("08")
    # psycopg2 gives a failed connect (refused, reset, closed) no SQLSTATE
    return isinstance(exc, OperationalError) and hasattr(exc.orig, "pgcode")


def install(engine: Engine, sleep: Any = time.sleep) -> None:
    """Bounded back-off on connect, and the pool dropped when the server is no primary."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        for pause in CONNECT_TRIES:
            try:
                return dialect.loaded_dbapi.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                log.warning("cannot connect to the database (%s); retrying in %.1f s",
                            str(exc).strip().splitlines()[0] if str(exc).strip() else exc, pause)
                sleep(pause)
        return dialect.loaded_dbapi.connect(*cargs, **cparams)

    @event.listens_for(engine, "handle_error")
    def _not_a_primary(context: ExceptionContext) -> None:
        if sqlstate(context.original_exception) in NOT_A_PRIMARY:
            context.is_disconnect = True
