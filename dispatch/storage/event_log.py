"""Writes a transaction's new events at its very end: numbered, then inserted, then committed.

The log's seqs must become visible to readers in commit order (the relay and `resync` read past
the last seq they saw, and must never find a smaller one later). The counter row's lock gives
that: a writer that took seqs N+1..N+k holds the row until it commits, so the next writer's seqs
come after it in time as well as in number. What matters for throughput is *how long* the row is
held: here, only for the UPDATE ... RETURNING, two multi-row INSERTs (the events, their rooms) and
the COMMIT, after everything else of the transaction was flushed. Every writer in the system
(reports, officers' actions, timer batches) queues on this row for those few statements only.

Events are plain domain objects the case collects (`Incident.record` appends to `events`): they
are not cascaded by the ORM. The unit of work tracks the cases its session added or loaded
(`track`) and writes their unnumbered events in the order they were recorded (`write_pending`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

import psycopg2.extensions
from sqlalchemy import insert, text, update
from sqlalchemy.orm import Session

from dispatch import model, trace
from dispatch.storage import tables as t

_TRACKED = "event_log.incidents"


def track(session: Session, incident: model.Incident) -> None:
    """Keep the case (strongly: the identity map's references are weak, and a case whose only
    change is a new event is not "dirty") until its session commits or rolls back."""
    session.info.setdefault(_TRACKED, {})[id(incident)] = incident


def forget(session: Session) -> None:
    """After a rollback: what the cases recorded was rolled back with them."""
    session.info.pop(_TRACKED, None)


def pending(session: Session) -> list[model.Event]:
    tracked: dict[int, model.Incident] = session.info.get(_TRACKED, {})
    return sorted((ev for incident in tracked.values() for ev in incident.events
                   if ev.seq is None), key=lambda ev: ev.ordinal)


@contextmanager
def without_yielding(session: Session) -> Iterator[None]:
    """Run the counter's statements and the COMMIT without letting other greenlets run between
    them (psycopg2's wait callback, which psycogreen installs for gevent, is lifted meanwhile).

    Measured on one gevent web worker: the row was held for every round trip *plus* the time
    the worker took to come back to this greenlet, which under load was the CPU work of a dozen
    other requests; writers then queued on the row for the sum. Blocking for two round trips on
    the local network (well under a millisecond each) stalls the process far less. The wait for
    the row itself is bounded by the other holders, who hold it the same short way.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    callback = psycopg2.extensions.get_wait_callback()
    if callback is None:
        yield
        return
    psycopg2.extensions.set_wait_callback(None)
    try:
        yield
    finally:
        psycopg2.extensions.set_wait_callback(callback)


_HELD = "event_log.held_callback"


def hold_until_end(session: Session) -> None:
    """From now until this transaction ends (`release`), run its statements without yielding:
    for a transaction that just locked a hot row (the day's case-number counter).

    Measured (`make bench`, ingest_closed): a report held the day's counter across its flush and
    the timers' insert, each a round trip after which the greenlet waited for the worker's other
    requests; every report of the day queued on the row for the sum, and one web process served
    half of what its CPU allowed. The rest of such a transaction is a few round trips on the
    local network and no other wait (no Redis, no file but a report's own photos)."""
    if session.get_bind().dialect.name != "postgresql" or _HELD in session.info:
        return
    callback = psycopg2.extensions.get_wait_callback()
    if callback is None:
        return
    session.info[_HELD] = callback
    psycopg2.extensions.set_wait_callback(None)


def release(session: Session) -> None:
    """The transaction ended (committed, rolled back or closed): yield again."""
    callback = session.info.pop(_HELD, None)
    if callback is not None:
        psycopg2.extensions.set_wait_callback(callback)


def write_pending(session: Session) -> list[model.Event]:
    """Number and insert the events recorded since the last commit; returns them in seq order.

    Call it last before COMMIT: the counter row is locked from here until the commit ends.
    """
    events = pending(session)
    if not events:
        return []
    if any(ev.incident_id is None for ev in events):
        raise ValueError("an incident event must name its incident")
    caused_by = trace.current()
    for ev in events:  # a timer's events were given the request that planned it
        ev.request_id = ev.request_id or caused_by
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        last = conn.execute(_APPEND_PG, {
            "n": len(events),
            "events": _json([_row(ev, ordinal) for ordinal, ev in enumerate(events, 1)]),
            "rooms": _json([{"room": room, "ord": ordinal}
                            for ordinal, ev in enumerate(events, 1)
                            for room in dict.fromkeys(ev.audience)]),
        }).scalar_one()
        _number(events, last)
        return events
    # SQLite: one writer at a time anyway (the database's write lock); three statements.
    last = conn.execute(
        update(t.event_counter).where(t.event_counter.c.id == 1)
        .values(value=t.event_counter.c.value + len(events))
        .returning(t.event_counter.c.value)
    ).scalar_one()
    _number(events, last)
    conn.execute(insert(t.events), [_row(ev) for ev in events])
    conn.execute(insert(t.event_audience), [
        {"room": room, "seq": ev.seq} for ev in events for room in dict.fromkeys(ev.audience)])
    return events


def _number(events: list[model.Event], last: int) -> None:
    for seq, ev in enumerate(events, start=last - len(events) + 1):
        ev.seq = seq


def _row(ev: model.Event, ordinal: int | None = None) -> dict[str, Any]:
    row = {"seq": ev.seq, "incident_id": ev.incident_id, "type": str(ev.type), "at": ev.at,
           "actor_id": ev.actor_id, "data": ev.data, "audience": ev.audience,
           "snapshot": ev.snapshot, "request_id": ev.request_id}
    if ordinal is not None:  # PostgreSQL: numbered in the statement, the time as text
        row["ord"] = ordinal
        row["at"] = ev.at.astimezone(UTC).isoformat()
    return row


def _json(value: Any) -> str:
    # As the JSON columns are written (`database.strict_json`): no NaN, no Infinity.
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


# One round trip takes the seqs and writes the events and their rooms (data-modifying CTEs; the
# foreign key from event_audience to events is checked at the end of the statement).
_APPEND_PG = text("""
WITH counter AS (
    UPDATE event_counter SET value = value + :n WHERE id = 1 RETURNING value
), written AS (
    INSERT INTO events (seq, incident_id, type, at, actor_id, data, audience, snapshot,
                        request_id)
    SELECT counter.value - :n + e.ord, e.incident_id, e.type, e.at, e.actor_id, e.data,
           e.audience, e.snapshot, e.request_id
    FROM counter, json_to_recordset(CAST(:events AS json)) AS e(
        ord int, incident_id text, type text, at timestamptz, actor_id text, data json,
        audience json, snapshot json, request_id text)
), heard AS (
    INSERT INTO event_audience (room, seq)
    SELECT r.room, counter.value - :n + r.ord
    FROM counter, json_to_recordset(CAST(:rooms AS json)) AS r(room text, ord int)
)
SELECT value FROM counter
""")
