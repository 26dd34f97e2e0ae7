"""Repositories of the live side: officers' positions, the event log read as outbox and history,
timers, and the accountability records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import shapely
from sqlalchemy import CursorResult, String, bindparam, delete, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from dispatch import model
from dispatch.storage import tables as t
from dispatch.storage.repositories import upsert
from dispatch.timers import OverdueRecord, Timer
from dispatch.utc import iso_utc
from geo.distance import geodesic_distance_m


class Positions:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, officer: model.User, points: Sequence[tuple[shapely.Point, float | None,
                                                                datetime]],
            received_at: datetime) -> int:
        """Store a batch; returns how many fixes were new. Two statements, safe under races:

        the history takes each (officer, time) once, ON CONFLICT DO NOTHING (a concurrent copy
        of the batch waits for the first and stores nothing); rows go in time order, so batches
        that overlap wait for each other in one order and cannot deadlock. Then one upsert keeps
        the latest (see `_update_last`).
        """
        # One fix per time (the last sent wins), in time order.
        fixes = sorted({at: (loc, acc, at) for loc, acc, at in points}.values(),
                       key=lambda p: p[2])
        op = t.officer_positions
        stmt = (upsert(self.s)(op).values([
            {"officer_id": officer.id, "location": loc, "accuracy_m": acc, "recorded_at": at,
             "received_at": received_at} for loc, acc, at in fixes])
            .on_conflict_do_nothing(index_elements=[op.c.officer_id, op.c.recorded_at])
            .returning(op.c.id))
        stored = len(self.s.execute(stmt).all())
        self._update_last(officer, fixes[-1], received_at)
        return stored

    def _update_last(self, officer: model.User, latest: tuple[shapely.Point, float | None,
                                                              datetime],
                     received_at: datetime) -> None:
        """One upsert (a new officer's first fixes in parallel insert one row): the stored fix
        is replaced by a newer one, or by any fix when it is dated after this fix was received.

        The second clause is why no fix dated in the future can pin "latest" (and keep an
        officer on duty, at a wrong place, for ever): the next honest fix replaces it. The edge
        refuses such times too; this holds on its own, for rows written before that rule.
        """
        loc, acc, at = latest
        lp = t.officer_last_positions
        stmt = upsert(self.s)(lp).values(officer_id=officer.id, unit_code=officer.unit_code,
                                       location=loc, accuracy_m=acc, recorded_at=at,
                                       received_at=received_at)
        new = stmt.excluded
        self.s.execute(stmt.on_conflict_do_update(
            index_elements=[lp.c.officer_id],
            set_={"unit_code": new.unit_code, "location": new.location,
                  "accuracy_m": new.accuracy_m, "recorded_at": new.recorded_at,
                  "received_at": new.received_at},
            where=or_(lp.c.recorded_at < new.recorded_at, lp.c.recorded_at > new.received_at)))

    def rank(self, unit_codes: Sequence[str], near: shapely.Point, since: datetime,
             limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        """Each unit's officers with a fix since `since`, nearest first, in one round trip.

        PostGIS picks each unit's nearest by KNN (`<->`, served by the GiST index) in a LATERAL
        subquery, then they are ordered by true distance; the embedded default measures every
        candidate in Python.
        """
        lp, u = t.officer_last_positions, t.users
        columns = (lp.c.unit_code, lp.c.officer_id, lp.c.location, lp.c.recorded_at,
                   u.c.display_name)
        officers = lp.join(u, u.c.id == lp.c.officer_id)
        on_duty = (lp.c.recorded_at >= since, u.c.active, u.c.role == model.Role.OFFICER)
        if self.s.get_bind().dialect.name == "postgresql":
            # unnest of one bound array keeps the statement cacheable (VALUES would be compiled
            # afresh on every report).
            codes = (func.unnest(bindparam("codes", list(unit_codes), type_=ARRAY(String)))
                     .table_valued("code").render_derived(name="wanted"))
            point = func.ST_SetSRID(func.ST_MakePoint(near.x, near.y), 4326)
            nearest = (select(*columns).select_from(officers)
                       .where(lp.c.unit_code == codes.c.code, *on_duty)
                       .order_by(lp.c.location.op("<->")(point)).limit(limit)
                       .lateral("nearest"))
            q = select(nearest).select_from(codes.join(nearest, true()))
        else:
            q = (select(*columns).select_from(officers)
                 .where(lp.c.unit_code.in_(list(unit_codes)), *on_duty))
        ranked: dict[str, list[dict[str, Any]]] = {code: [] for code in unit_codes}
        for r in self.s.execute(q):
            ranked[r.unit_code].append({
                "officer_id": r.officer_id, "name": r.display_name,
                "distance_m": round(geodesic_distance_m(r.location.x, r.location.y,
                                                        near.x, near.y), 1),
                "position_at": iso_utc(r.recorded_at)})
        return {code: sorted(found, key=lambda o: o["distance_m"])[:limit]
                for code, found in ranked.items()}

    def latest_id(self, officer_id: str) -> int:
        return int(self.s.scalar(select(func.max(t.officer_positions.c.id))
                                 .where(t.officer_positions.c.officer_id == officer_id)) or 0)

    def purge(self, before: datetime) -> int:
        """Retention: drop history older than `before` (the latest position is kept)."""
        result = self.s.execute(delete(t.officer_positions)
                                .where(t.officer_positions.c.recorded_at < before))
        return int(cast(CursorResult[Any], result).rowcount)


class Events:
    """The event log read as an outbox (tailed by each web process) and as history (resync)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def after(self, seq: int, limit: int) -> list[model.Event]:
        """Seqs become visible in commit order (the counter row's lock), so reading past the
        last seq seen never skips one that commits later."""
        q = (select(model.Event).where(t.events.c.seq > seq)
             .order_by(t.events.c.seq).limit(limit))
        return list(self.s.scalars(q))

    def for_rooms(self, rooms: Sequence[str], since_seq: int, limit: int) -> list[model.Event]:
        seqs = (select(t.event_audience.c.seq)
                .where(t.event_audience.c.room.in_(list(rooms)),
                       t.event_audience.c.seq > since_seq))
        q = (select(model.Event).where(t.events.c.seq.in_(seqs))
             .order_by(t.events.c.seq).limit(limit))
        return list(self.s.scalars(q))

    def last_seq(self) -> int:
        return int(self.s.scalar(select(t.event_counter.c.value)
                                 .where(t.event_counter.c.id == 1)) or 0)


class Timers:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_all(self, items: Sequence[Timer]) -> None:
        """One multi-row INSERT (a case plans a dozen timers, and the ORM would cost more than
        the database); a timer planned twice (the same deadline, say an arrival still awaited
        when a new round is planned) is stored once, and the earlier row carries on."""
        if items:
            # The rows in the statement (VALUES (...), (...)): one round trip, where a list of
            # parameters went through psycopg2's executemany, row by row on the client.
            self.s.execute(upsert(self.s)(t.timers).values([
                {"incident_id": x.incident_id, "unit_code": x.unit_code, "kind": str(x.kind),
                 "milestone": str(x.milestone), "attempt": x.attempt, "deadline": x.deadline,
                 "due_at": x.due_at, "round": x.round} for x in items]).on_conflict_do_nothing())

    def unplanned_incidents(self, limit: int) -> list[model.Incident]:
        """Incidents whose timers were not stored yet (their process died right after commit)."""
        q = (select(model.Incident).where(t.incidents.c.timers_planned_at.is_(None))
             .order_by(t.incidents.c.received_at).limit(limit)
             .with_for_update(of=t.incidents, skip_locked=True))
        return list(self.s.scalars(q))

    def claim_due(self, now: datetime, limit: int, incident_id: str | None = None
                  ) -> list[Timer]:
        """Lock due, unfired timers; a concurrent sweeper or job skips them (fires once).

        Due means the firing time has come (`due_at <= now`); whether that is late is the
        domain's call (`timers.fire`), and overdue timers are planned for the first late
        instant, so they come due exactly when `clock.is_overdue` starts to hold."""
        q = (select(Timer).where(t.timers.c.fired_at.is_(None), t.timers.c.due_at <= now)
             .order_by(t.timers.c.due_at, t.timers.c.id).limit(limit)
             .with_for_update(skip_locked=True))
        if incident_id is not None:
            q = q.where(t.timers.c.incident_id == incident_id)
        return list(self.s.scalars(q))

    def next_pending(self, incident_ids: Sequence[str]) -> list[Timer]:
        """The earliest unfired timer of each incident."""
        q = (select(Timer).where(t.timers.c.incident_id.in_(list(incident_ids)),
                                 t.timers.c.fired_at.is_(None))
             .order_by(t.timers.c.due_at))
        first: dict[str, Timer] = {}
        for timer in self.s.scalars(q):
            first.setdefault(timer.incident_id, timer)
        return list(first.values())



class Accountability:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_once(self, record: OverdueRecord) -> bool:
        """Insert unless this (incident, unit, milestone, deadline) was recorded already; True
        if new. A new deadline (a reopened or extended case) can be missed, and recorded, again."""
        stmt = upsert(self.s)(t.overdue_records).values(
            incident_id=record.incident_id, unit_code=record.unit_code,
            milestone=record.milestone, due_at=record.due_at, recorded_at=record.recorded_at,
            round=record.round,
        ).on_conflict_do_nothing(
            index_elements=["incident_id", "unit_code", "milestone", "due_at"])
        return bool(cast(CursorResult[Any], self.s.execute(stmt)).rowcount)

    def mark_met(self, incident_id: str, unit_codes: Sequence[str], milestone: str,
                 at: datetime) -> None:
        """A late milestone still gets done: record when, and by how much it was late."""
        rows = self.s.scalars(select(OverdueRecord).where(
            t.overdue_records.c.incident_id == incident_id,
            t.overdue_records.c.unit_code.in_(list(unit_codes)),
            t.overdue_records.c.milestone == milestone,
            t.overdue_records.c.met_at.is_(None)))
        for row in rows:
            row.met_at = at
            row.late_by_seconds = (at - row.due_at).total_seconds()

    def for_incident(self, incident_id: str) -> list[OverdueRecord]:
        q = (select(OverdueRecord).where(t.overdue_records.c.incident_id == incident_id)
             .order_by(t.overdue_records.c.id))
        return list(self.s.scalars(q))
