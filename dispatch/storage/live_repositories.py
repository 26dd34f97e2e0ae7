"""Repositories of the live side: officers' positions, the event log read as outbox and history,
timers, and the accountability records.

Why this is over 400 lines: the hot paths' writes (a batch of fixes, a burst of timers) each
have a PostgreSQL form compiled once and the embedded database's form beside it, and the four
repositories share their session and write lock; split, they would import each other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import json
from datetime import datetime
from typing import Any, cast

import shapely
from sqlalchemy import (
    BigInteger, CursorResult, DateTime, Integer, String, bindparam, delete, func, or_,
    select, update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, lazyload

from dispatch import model, trace
from dispatch.field_ports import FixNote
from dispatch.storage import tables as t
from dispatch.storage.repositories import upsert, write_lock
from dispatch.timers import OverdueRecord, Timer
from dispatch.utc import iso_utc
from dispatch.storage.report_sql import (POSITIONS_PG, RANK_EACH_PG, RANK_PG, TIMERS_PG,
                                         utc_iso)
from geo.distance import geodesic_distance_m


_PLAIN = FixNote()  # a fix sent with nothing to note


class Positions:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, officer: model.User, points: Sequence[tuple[shapely.Point, float | None,
                                                                datetime]],
            received_at: datetime, notes: Mapping[datetime, FixNote] | None = None) -> int:
        """Store a batch; returns how many fixes were new. Two statements, safe under races:

        the history takes each (officer, time) once, ON CONFLICT DO NOTHING (a concurrent copy
        of the batch waits for the first and stores nothing); rows go in time order, so batches
        that overlap wait for each other in one order and cannot deadlock. Then one upsert keeps
        the latest unflagged fix (see `_update_last`); a batch of flagged fixes only skips it.
        """
        notes = notes or {}
        # One fix per time (the last sent wins), in time order.
        fixes = sorted({at: (loc, acc, at) for loc, acc, at in points}.values(),
                       key=lambda p: p[2])
        if self.s.get_bind().dialect.name == "postgresql":
            stored = len(self.s.execute(POSITIONS_PG, {
                "officer": officer.id, "received": received_at, "rows": json.dumps([
                    {"lon": loc.x, "lat": loc.y, "acc": acc, "at": utc_iso(at),
                     "mock": notes.get(at, _PLAIN).mock_location,
                     "flag": notes.get(at, _PLAIN).flagged_speed_kmh}
                    for loc, acc, at in fixes])}).all())
        else:
            stored = self._add_each(officer, fixes, received_at, notes)
        unflagged = [f for f in fixes if notes.get(f[2], _PLAIN).flagged_speed_kmh is None]
        if unflagged:
            self._update_last(officer, unflagged[-1], received_at,
                              notes.get(unflagged[-1][2], _PLAIN).mock_location)
        return stored

    def _add_each(self, officer: model.User,
                  fixes: Sequence[tuple[shapely.Point, float | None, datetime]],
                  received_at: datetime, notes: Mapping[datetime, FixNote]) -> int:
        op = t.officer_positions
        stmt = (upsert(self.s)(op).values([
            {"officer_id": officer.id, "location": loc, "accuracy_m": acc, "recorded_at": at,
             "received_at": received_at, "mock_location": notes.get(at, _PLAIN).mock_location,
             "flagged_speed_kmh": notes.get(at, _PLAIN).flagged_speed_kmh}
            for loc, acc, at in fixes])
            .on_conflict_do_nothing(index_elements=[op.c.officer_id, op.c.recorded_at])
            .returning(op.c.id))
        return len(self.s.execute(stmt).all())

    def _update_last(self, officer: model.User, latest: tuple[shapely.Point, float | None,
                                                              datetime],
                     received_at: datetime, mock_location: bool | None = None) -> None:
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
                                       received_at=received_at, mock_location=mock_location)
        new = stmt.excluded
        self.s.execute(stmt.on_conflict_do_update(
            index_elements=[lp.c.officer_id],
            set_={"unit_code": new.unit_code, "location": new.location,
                  "accuracy_m": new.accuracy_m, "recorded_at": new.recorded_at,
                  "received_at": new.received_at, "mock_location": new.mock_location},
            where=or_(lp.c.recorded_at < new.recorded_at, lp.c.recorded_at > new.received_at)))

    def rank(self, unit_codes: Sequence[str], near: shapely.Point, since: datetime,
             limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        """Each unit's officers with a fix since `since`, nearest first, in one round trip.

        PostGIS picks each unit's nearest by KNN (`<->`, served by the GiST index) in a LATERAL
        subquery, then they are ordered by true distance; the embedded default measures every
        candidate in Python.
        """
        ranked: dict[str, list[dict[str, Any]]] = {code: [] for code in unit_codes}
        if self.s.get_bind().dialect.name == "postgresql":
            # One text statement (compiled once; the ORM's select was built and its cache key
            # computed on every report: about a sixth of a report's CPU in the profile), the
            # coordinates as floats rather than geometries to decode.
            rows: Any = self.s.execute(RANK_PG, {
                "codes": list(unit_codes), "lon": near.x, "lat": near.y, "since": since,
                "role": str(model.Role.OFFICER), "limit": limit})
            for r in rows:
                ranked[r.unit_code].append({
                    "officer_id": r.officer_id, "name": r.display_name,
                    "distance_m": round(geodesic_distance_m(r.x, r.y, near.x, near.y), 1),
                    "position_at": iso_utc(r.recorded_at)})
            return {code: sorted(found, key=lambda o: o["distance_m"])[:limit]
                    for code, found in ranked.items()}
        lp, u = t.officer_last_positions, t.users
        q = (select(lp.c.unit_code, lp.c.officer_id, lp.c.location, lp.c.recorded_at,
                    u.c.display_name)
             .select_from(lp.join(u, u.c.id == lp.c.officer_id))
             .where(lp.c.unit_code.in_(list(unit_codes)), lp.c.recorded_at >= since,
                    u.c.active, u.c.role == model.Role.OFFICER))
        for r in self.s.execute(q):
            ranked[r.unit_code].append({
                "officer_id": r.officer_id, "name": r.display_name,
                "distance_m": round(geodesic_distance_m(r.location.x, r.location.y,
                                                        near.x, near.y), 1),
                "position_at": iso_utc(r.recorded_at)})
        return {code: sorted(found, key=lambda o: o["distance_m"])[:limit]
                for code, found in ranked.items()}

    def rank_each(self, wanted: Sequence[tuple[str, shapely.Point]], since: datetime,
                  limit: int = 20) -> list[list[dict[str, Any]]]:
        """`rank` for many (unit, place) pairs in one round trip: a batch of due offers.

        PostGIS unnests the pairs (three bound arrays, WITH ORDINALITY) and runs the same KNN
        LATERAL per pair; the embedded default reads the units' officers once and measures each
        pair in Python.
        """
        if not wanted:
            return []
        found: list[list[tuple[str, str, datetime, float]]] = [[] for _ in wanted]
        if self.s.get_bind().dialect.name == "postgresql":
            # One text statement compiled once, coordinates as floats: the expression form was
            # built for every batch and each officer's geometry decoded (half of a burst's CPU).
            rows: Any = self.s.execute(RANK_EACH_PG, {
                "codes": [c for c, _ in wanted], "lons": [p.x for _, p in wanted],
                "lats": [p.y for _, p in wanted], "since": since,
                "role": str(model.Role.OFFICER), "limit": limit})
            for r in rows:
                i = int(r.i) - 1
                near = wanted[i][1]
                found[i].append((r.officer_id, r.display_name, r.recorded_at,
                                 geodesic_distance_m(r.x, r.y, near.x, near.y)))
        else:
            lp, u = t.officer_last_positions, t.users
            q = (select(lp.c.unit_code, lp.c.officer_id, lp.c.location, lp.c.recorded_at,
                        u.c.display_name)
                 .select_from(lp.join(u, u.c.id == lp.c.officer_id))
                 .where(lp.c.unit_code.in_(sorted({c for c, _ in wanted})),
                        lp.c.recorded_at >= since, u.c.active, u.c.role == model.Role.OFFICER))
            by_unit: dict[str, list[Any]] = {}
            for r in self.s.execute(q):
                by_unit.setdefault(r.unit_code, []).append(r)
            for i, (code, near) in enumerate(wanted):
                found[i] = [(r.officer_id, r.display_name, r.recorded_at,
                             geodesic_distance_m(r.location.x, r.location.y, near.x, near.y))
                            for r in by_unit.get(code, [])]
        return [[{"officer_id": officer, "name": name, "distance_m": round(d, 1),
                  "position_at": iso_utc(at)}
                 for officer, name, at, d in sorted(each, key=lambda o: round(o[3], 1))[:limit]]
                for each in found]

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
            caused_by = trace.current()
            for x in items:  # kept on them too: their RQ job names it (server.realtime)
                x.request_id = x.request_id or caused_by
            if self.s.get_bind().dialect.name == "postgresql":
                # One text statement over a JSON array: compiled once, where the multi-row
                # VALUES below is compiled afresh for every report (about a sixth of a report's
                # CPU in the profile).
                self.s.execute(TIMERS_PG, {"rows": json.dumps([
                    {"incident_id": x.incident_id, "unit_code": x.unit_code,
                     "kind": str(x.kind), "milestone": str(x.milestone), "attempt": x.attempt,
                     "deadline": utc_iso(x.deadline), "due_at": utc_iso(x.due_at),
                     "round": x.round, "complaint": x.complaint, "request_id": x.request_id}
                    for x in items])})
                return
            # The rows in the statement (VALUES (...), (...)): one round trip, where a list of
            # parameters went through psycopg2's executemany, row by row on the client.
            self.s.execute(upsert(self.s)(t.timers).values([
                {"incident_id": x.incident_id, "unit_code": x.unit_code, "kind": str(x.kind),
                 "milestone": str(x.milestone), "attempt": x.attempt, "deadline": x.deadline,
                 "due_at": x.due_at, "round": x.round, "complaint": x.complaint,
                 "request_id": x.request_id}
                for x in items]).on_conflict_do_nothing())

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
        # Ordered by the pending index's own key alone, so the claim reads the first `limit`
        # entries of the index instead of sorting every due row (a backlog of 30,000 due at the
        # same instant cost a sort of all of them per batch); equal times come in index order.
        q = (select(Timer).where(t.timers.c.fired_at.is_(None), t.timers.c.due_at <= now)
             .order_by(t.timers.c.due_at).limit(limit)
             .with_for_update(skip_locked=True))
        if incident_id is not None:
            q = q.where(t.timers.c.incident_id == incident_id)
        return list(self.s.scalars(q))

    def next_pending(self, incident_ids: Sequence[str]) -> list[Timer]:
        """The earliest unfired timer of each incident, as this transaction changed them.

        Read without flushing: a batch writes its changes once, at its commit. Timers this
        transaction holds already come from the identity map as changed in memory (fired,
        moved), so fired and due times are judged here, in Python, not by the query.
        """
        # The rows as plain columns, and as objects only the chosen ones: a batch's cases hold
        # about ten pending timers each, and building each as an ORM object was a sixth of a
        # burst's CPU. An object this transaction holds is judged as it is in memory.
        tm = t.timers.c
        wanted = set(incident_ids)
        held = {x.id: x for x in list(self.s.identity_map.values())
                if isinstance(x, Timer) and x.incident_id in wanted and x.id is not None}
        q = select(tm.id, tm.incident_id, tm.due_at).where(tm.incident_id.in_(list(wanted)),
                                                            tm.fired_at.is_(None))
        with self.s.no_autoflush:
            rows = [r for r in self.s.execute(q) if r.id not in held]
        pending = [(x.due_at, x.id or 0, x.incident_id) for x in held.values()
                   if x.fired_at is None] + [(r.due_at, r.id, r.incident_id) for r in rows]
        first: dict[str, int] = {}
        for _, timer_id, incident_id in sorted(pending):
            first.setdefault(incident_id, timer_id)
        load = [i for i in first.values() if i not in held]
        with self.s.no_autoflush:
            loaded = {x.id: x for x in self.s.scalars(select(Timer).where(tm.id.in_(load)))} \
                if load else {}
        return [held.get(i) or loaded[i] for i in first.values()]

    def save(self, items: Sequence[Timer]) -> None:
        """Write what firing changed on claimed timers (fired, or moved on: a repeated offer, a
        notice due again at its first late instant) in one statement: on PostgreSQL an
        UPDATE ... FROM unnest(arrays).

        The ORM would send one UPDATE per timer (psycopg2's executemany is a round trip per
        row: about 40 ms for a batch of 100). The rows are then taken out of the session, so
        the flush at commit, which holds the event counter, does not write them again.
        """
        if not items:
            return
        tm = t.timers
        rows = [(x.id, x.attempt, x.due_at, x.fired_at, x.outcome) for x in items]
        with self.s.no_autoflush:
            if self.s.get_bind().dialect.name == "postgresql":
                # unnest of bound arrays: one statement text whatever the batch's size, so it
                # is compiled once (a VALUES list is compiled afresh each time: 8 of 30 s of a
                # burst's CPU went there). Cast, for an array of NULLs alone (none fired).
                def array(name: str, i: int, item: Any) -> Any:
                    return cast_(bindparam(name, [r[i] for r in rows], type_=ARRAY(item)),
                                 ARRAY(item))
                changed = (func.unnest(array("ids", 0, BigInteger), array("attempts", 1, Integer),
                                       array("dues", 2, DateTime(timezone=True)),
                                       array("fireds", 3, DateTime(timezone=True)),
                                       array("outcomes", 4, String))
                           .table_valued("tid", "attempt", "due_at", "fired_at", "outcome")
                           .render_derived(name="changed"))
                self.s.execute(update(tm).where(tm.c.id == changed.c.tid).values(
                    attempt=changed.c.attempt, due_at=changed.c.due_at,
                    fired_at=changed.c.fired_at, outcome=changed.c.outcome))
            else:  # SQLite names no VALUES columns; its executemany is in-process anyway
                self.s.execute(update(tm).where(tm.c.id == bindparam("tid")).values(
                    attempt=bindparam("a"), due_at=bindparam("d", type_=tm.c.due_at.type),
                    fired_at=bindparam("f", type_=tm.c.fired_at.type), outcome=bindparam("o")),
                    [dict(zip(("tid", "a", "d", "f", "o"), row, strict=True)) for row in rows])
        for x in items:
            if x in self.s:
                self.s.expunge(x)

    def lock_cases(self, incident_ids: Sequence[str]) -> list[model.Incident]:
        """The batch's cases in one query, locked in id order, without their event history
        (a loaded case holds only the events recorded since: `orm`); photos load only if
        something reads them."""
        write_lock(self.s)
        incident = cast(Any, model.Incident)  # its mapped attributes: not in the dataclass's type
        q = (select(model.Incident).where(t.incidents.c.id.in_(sorted(set(incident_ids))))
             .order_by(t.incidents.c.id).with_for_update(of=t.incidents)
             .options(lazyload(incident.photos)))
        with self.s.no_autoflush:
            return list(self.s.scalars(q))


# What makes a missed deadline one record (uq_overdue_records_per_deadline).
RECORD_KEY = ["incident_id", "unit_code", "milestone", "due_at", "complaint"]


class Accountability:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_once(self, record: OverdueRecord) -> bool:
        """Insert unless this (incident, unit, milestone, deadline) was recorded already; True
        if new. A new deadline (a reopened or extended case) can be missed, and recorded, again."""
        stmt = upsert(self.s)(t.overdue_records).values(
            incident_id=record.incident_id, unit_code=record.unit_code,
            milestone=record.milestone, due_at=record.due_at, recorded_at=record.recorded_at,
            round=record.round, complaint=record.complaint,
        ).on_conflict_do_nothing(index_elements=RECORD_KEY)
        return bool(cast(CursorResult[Any], self.s.execute(stmt)).rowcount)

    def add_new(self, records: Sequence[OverdueRecord]) -> list[OverdueRecord]:
        """One INSERT ... ON CONFLICT DO NOTHING RETURNING for a batch's missed deadlines: the
        records it returns were new. Written without flushing (see `Timers.next_pending`)."""
        firsts: dict[tuple[Any, ...], OverdueRecord] = {}
        for record in records:
            firsts.setdefault(_deadline_key(record), record)
        if not firsts:
            return []
        r = t.overdue_records.c
        # One parameter set per record (executemany, RETURNING rows in "insertmanyvalues"
        # pages): the statement text is the same for any batch, so it is compiled once.
        stmt = (upsert(self.s)(t.overdue_records)
                .on_conflict_do_nothing(index_elements=RECORD_KEY)
                .returning(r.incident_id, r.unit_code, r.milestone, r.due_at, r.complaint))
        with self.s.no_autoflush:
            new = {tuple(row) for row in self.s.execute(stmt, [
                {"incident_id": x.incident_id, "unit_code": x.unit_code,
                 "milestone": str(x.milestone), "due_at": x.due_at,
                 "recorded_at": x.recorded_at, "round": x.round, "complaint": x.complaint}
                for x in firsts.values()])}
        return [x for key, x in firsts.items() if key in new]

    def mark_met(self, incident_id: str, unit_codes: Sequence[str], milestone: str,
                 at: datetime, complaint: int = 0) -> None:
        """A late milestone still gets done: record when, and by how much it was late."""
        rows = self.s.scalars(select(OverdueRecord).where(
            t.overdue_records.c.incident_id == incident_id,
            t.overdue_records.c.unit_code.in_(list(unit_codes)),
            t.overdue_records.c.milestone == milestone,
            t.overdue_records.c.complaint == complaint,
            t.overdue_records.c.met_at.is_(None)))
        for row in rows:
            row.met_at = at
            row.late_by_seconds = (at - row.due_at).total_seconds()

    def for_incident(self, incident_id: str) -> list[OverdueRecord]:
        q = (select(OverdueRecord).where(t.overdue_records.c.incident_id == incident_id)
             .order_by(t.overdue_records.c.id))
        return list(self.s.scalars(q))


def _deadline_key(record: OverdueRecord) -> tuple[Any, ...]:
    return (record.incident_id, record.unit_code, str(record.milestone), record.due_at,
            record.complaint)
