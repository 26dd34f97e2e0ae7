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

from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from dispatch import model
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


def write_pending(session: Session) -> list[model.Event]:
    """Number and insert the events recorded since the last commit; returns them in seq order.

    Call it last before COMMIT: the counter row is locked from here until the commit ends.
    """
    events = pending(session)
    if not events:
        return []
    if any(ev.incident_id is None for ev in events):
        raise ValueError("an incident event must name its incident")
    conn = session.connection()
    last = conn.execute(
        update(t.event_counter).where(t.event_counter.c.id == 1)
        .values(value=t.event_counter.c.value + len(events))
        .returning(t.event_counter.c.value)
    ).scalar_one()
    for seq, ev in enumerate(events, start=last - len(events) + 1):
        ev.seq = seq
    conn.execute(insert(t.events), [_row(ev) for ev in events])
    conn.execute(insert(t.event_audience), [
        {"room": room, "seq": ev.seq} for ev in events for room in dict.fromkeys(ev.audience)])
    return events


def _row(ev: model.Event) -> dict[str, Any]:
    return {"seq": ev.seq, "incident_id": ev.incident_id, "type": str(ev.type), "at": ev.at,
            "actor_id": ev.actor_id, "data": ev.data, "audience": ev.audience,
            "snapshot": ev.snapshot}
