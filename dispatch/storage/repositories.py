"""Queries, one small class per aggregate. The only place besides `orm`/`tables` that speaks SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import shapely
from sqlalchemy import (
    CursorResult, String, and_, bindparam, delete, exists, func, insert, or_, select, true, update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dispatch import model
from dispatch.queries import IncidentQuery
from dispatch.storage import tables as t
from dispatch.timers import OverdueRecord, Timer
from geo.distance import geodesic_distance_m


class Units:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, code: str) -> model.Unit | None:
        return self.s.get(model.Unit, code)

    def list(self, kind: str | None = None) -> list[model.Unit]:
        q = select(model.Unit).order_by(t.units.c.kind.desc(), t.units.c.code)
        if kind:
            q = q.where(t.units.c.kind == kind)
        return list(self.s.scalars(q))

    def add(self, unit: model.Unit) -> None:
        self.s.add(unit)


class Users:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, user_id: str) -> model.User | None:
        return self.s.get(model.User, user_id)

    def by_username(self, username: str) -> model.User | None:
        return self.s.scalars(select(model.User).where(t.users.c.username == username)).first()

    def add(self, user: model.User) -> None:
        self.s.add(user)

    def officers_of(self, unit_code: str) -> list[model.User]:
        q = select(model.User).where(t.users.c.unit_code == unit_code,
                                     t.users.c.role == model.Role.OFFICER, t.users.c.active)
        return list(self.s.scalars(q))


class Routing:
    def __init__(self, session: Session) -> None:
        self.s = session

    def set(self, category: str, unit_codes: Iterable[str]) -> None:
        self.s.execute(delete(t.routing).where(t.routing.c.category == category))
        rows = [{"category": category, "unit_code": code} for code in unit_codes]
        if rows:
            self.s.execute(insert(t.routing), rows)

    def table(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        r = t.routing.c
        for category, code in self.s.execute(select(r.category, r.unit_code)
                                             .order_by(r.category, r.unit_code)):
            out.setdefault(category, []).append(code)
        return out


@dataclass(frozen=True)
class BoundarySet:
    id: int
    name: str
    label: str
    active: bool
    created_at: datetime
    activated_at: datetime | None


class Boundaries:
    def __init__(self, session: Session) -> None:
        self.s = session

    def _set(self, row: Any) -> BoundarySet:
        return BoundarySet(row.id, row.name, row.label, row.active, row.created_at,
                           row.activated_at)

    def active_set(self) -> BoundarySet | None:
        row = self.s.execute(select(t.boundary_sets).where(t.boundary_sets.c.active)).first()
        return self._set(row) if row else None

    def get_set(self, set_id: int) -> BoundarySet | None:
        row = self.s.execute(select(t.boundary_sets).where(t.boundary_sets.c.id == set_id)).first()
        return self._set(row) if row else None

    def sets(self) -> list[BoundarySet]:
        rows = self.s.execute(select(t.boundary_sets).order_by(t.boundary_sets.c.id))
        return [self._set(r) for r in rows]

    def territories(self, set_id: int) -> list[tuple[str, str, Any]]:
        q = (select(t.territory_boundaries.c.code, t.territory_boundaries.c.name,
                    t.territory_boundaries.c.geom)
             .where(t.territory_boundaries.c.set_id == set_id)
             .order_by(t.territory_boundaries.c.code))
        return [(r.code, r.name, r.geom) for r in self.s.execute(q)]

    def add_set(self, name: str, label: str, source: str, created_at: datetime,
                territories: Sequence[tuple[str, str, Any]]) -> int:
        set_id = self.s.execute(
            insert(t.boundary_sets).values(name=name, label=label, source=source,
                                           created_at=created_at, active=False)
            .returning(t.boundary_sets.c.id)).scalar_one()
        self.s.execute(insert(t.territory_boundaries), [
            {"set_id": set_id, "code": code, "name": nm, "geom": geom}
            for code, nm, geom in territories])
        return int(set_id)

    def activate(self, set_id: int, at: datetime) -> None:
        self.s.execute(update(t.boundary_sets).where(t.boundary_sets.c.active)
                       .values(active=False))
        self.s.execute(update(t.boundary_sets).where(t.boundary_sets.c.id == set_id)
                       .values(active=True, activated_at=at))

    def locate_in_database(self, set_id: int, lon: float, lat: float) -> str | None:
        """PostGIS's answer (ST_Covers, smallest code on a shared border): a check on Shapely's."""
        point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
        q = (select(t.territory_boundaries.c.code)
             .where(t.territory_boundaries.c.set_id == set_id,
                    func.ST_Covers(t.territory_boundaries.c.geom, point))
             .order_by(t.territory_boundaries.c.code).limit(1))
        return self.s.scalars(q).first()


class Sites:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, site_id: str) -> model.Site | None:
        return self.s.get(model.Site, site_id)

    def add(self, site: model.Site) -> None:
        self.s.add(site)

    def list(self, owner_id: str | None) -> list[model.Site]:
        q = select(model.Site).order_by(t.sites.c.created_at, t.sites.c.id)
        if owner_id is not None:
            q = q.where(t.sites.c.owner_id == owner_id)
        return list(self.s.scalars(q))


class Incidents:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, incident: model.Incident) -> None:
        self.s.add(incident)

    def get(self, incident_id: str, for_update: bool = False) -> model.Incident | None:
        q = select(model.Incident).where(t.incidents.c.id == incident_id)
        if for_update:
            q = q.with_for_update(of=t.incidents)
        return self.s.scalars(q).first()

    def mark_timers_planned(self, incident_id: str, at: datetime) -> bool:
        """True for the one caller that plans the incident's timers (the report or a sweep)."""
        result = self.s.execute(update(t.incidents).where(
            t.incidents.c.id == incident_id, t.incidents.c.timers_planned_at.is_(None))
            .values(timers_planned_at=at))
        return bool(cast(CursorResult[Any], result).rowcount)

    def events(self, incident_id: str) -> list[model.Event]:
        q = (select(model.Event).where(t.events.c.incident_id == incident_id)
             .order_by(t.events.c.seq))
        return list(self.s.scalars(q))

    def search(self, query: IncidentQuery) -> tuple[list[model.Incident], int]:
        conds = []
        iu = t.incident_units
        if query.reporter_id is not None:
            conds.append(t.incidents.c.reporter_id == query.reporter_id)
        if query.visible_to_unit is not None:
            conds.append(exists().where(iu.c.incident_id == t.incidents.c.id,
                                        iu.c.unit_code == query.visible_to_unit))
        if query.unit is not None:
            conds.append(exists().where(iu.c.incident_id == t.incidents.c.id,
                                        iu.c.unit_code == query.unit))
        if query.status:
            conds.append(t.incidents.c.status.in_(list(query.status)))
        if query.category:
            conds.append(t.incidents.c.category == query.category)
        if query.since is not None:
            conds.append(t.incidents.c.received_at >= query.since)
        if query.bbox is not None:
            conds.append(self._in_bbox(query.bbox))
        if query.overdue_at is not None:
            now = query.overdue_at
            conds.append(or_(
                exists().where(iu.c.incident_id == t.incidents.c.id, iu.c.arrived_at.is_(None),
                               iu.c.arrival_due < now),
                and_(t.incidents.c.restored_at.is_(None), t.incidents.c.restore_due < now),
                and_(t.incidents.c.resolved_at.is_(None), t.incidents.c.resolve_due < now),
            ))
        where = and_(true(), *conds)
        total = self.s.scalar(select(func.count()).select_from(t.incidents).where(where)) or 0
        q = (select(model.Incident).where(where)
             .order_by(t.incidents.c.received_at.desc(), t.incidents.c.id)
             .limit(query.limit).offset(query.offset))
        return list(self.s.scalars(q)), int(total)

    def _in_bbox(self, bbox: tuple[float, float, float, float]) -> Any:
        min_lon, min_lat, max_lon, max_lat = bbox
        if self.s.get_bind().dialect.name == "postgresql":
            envelope = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326)
            return func.ST_Intersects(t.incidents.c.location, envelope)
        return and_(t.incidents.c.lon.between(min_lon, max_lon),
                    t.incidents.c.lat.between(min_lat, max_lat))


class Idempotency:
    """Remembers which resource a user's Idempotency-Key produced, in the same transaction."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, user_id: str, key: str) -> Any:
        q = select(t.idempotency_keys).where(t.idempotency_keys.c.user_id == user_id,
                                             t.idempotency_keys.c.key == key)
        return self.s.execute(q).first()

    def add(self, user_id: str, key: str, scope: str, request_hash: str, resource_id: str,
            at: datetime) -> None:
        self.s.execute(insert(t.idempotency_keys).values(
            user_id=user_id, key=key, scope=scope, request_hash=request_hash,
            resource_id=resource_id, created_at=at))


class Positions:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, officer: model.User, points: Sequence[tuple[shapely.Point, float | None,
                                                                datetime]],
            received_at: datetime) -> int:
        """Store a batch; a fix already stored (same officer and time) is skipped, not doubled."""
        known = set(self.s.scalars(
            select(t.officer_positions.c.recorded_at)
            .where(t.officer_positions.c.officer_id == officer.id,
                   t.officer_positions.c.recorded_at.in_([p[2] for p in points]))))
        fresh = {p[2]: p for p in points if p[2] not in known}
        if fresh:
            self.s.execute(insert(t.officer_positions), [
                {"officer_id": officer.id, "location": loc, "accuracy_m": acc,
                 "recorded_at": at, "received_at": received_at}
                for loc, acc, at in fresh.values()])
        self._update_last(officer, max(points, key=lambda p: p[2]), received_at)
        return len(fresh)

    def _update_last(self, officer: model.User, latest: tuple[shapely.Point, float | None,
                                                              datetime],
                     received_at: datetime) -> None:
        loc, acc, at = latest
        current = self.s.execute(select(t.officer_last_positions.c.recorded_at)
                                 .where(t.officer_last_positions.c.officer_id == officer.id)
                                 .with_for_update()).first()
        values = {"unit_code": officer.unit_code, "location": loc, "accuracy_m": acc,
                  "recorded_at": at, "received_at": received_at}
        if current is None:
            self.s.execute(insert(t.officer_last_positions).values(officer_id=officer.id, **values))
        elif current.recorded_at < at:
            self.s.execute(update(t.officer_last_positions)
                           .where(t.officer_last_positions.c.officer_id == officer.id)
                           .values(**values))

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
                "position_at": r.recorded_at.isoformat().replace("+00:00", "Z")})
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

    def last(self, officer_id: str) -> Any:
        return self.s.execute(select(t.officer_last_positions)
                              .where(t.officer_last_positions.c.officer_id == officer_id)).first()


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
        the database); a timer planned twice is stored once."""
        if items:
            insert_ = pg_insert if self.s.get_bind().dialect.name == "postgresql" else sqlite_insert
            self.s.execute(insert_(t.timers).on_conflict_do_nothing(), [
                {"incident_id": x.incident_id, "unit_code": x.unit_code, "kind": str(x.kind),
                 "milestone": str(x.milestone), "attempt": x.attempt, "deadline": x.deadline,
                 "due_at": x.due_at} for x in items])

    def unplanned_incidents(self, limit: int) -> list[model.Incident]:
        """Incidents whose timers were not stored yet (their process died right after commit)."""
        q = (select(model.Incident).where(t.incidents.c.timers_planned_at.is_(None))
             .order_by(t.incidents.c.received_at).limit(limit)
             .with_for_update(of=t.incidents, skip_locked=True))
        return list(self.s.scalars(q))

    def claim_due(self, now: datetime, limit: int, incident_id: str | None = None
                  ) -> list[Timer]:
        """Lock due, unfired timers; a concurrent sweeper or job skips them (fires once)."""
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
        """Insert unless this (incident, unit, milestone) was recorded already; True if new."""
        dialect = self.s.get_bind().dialect.name
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert_(t.overdue_records).values(
            incident_id=record.incident_id, unit_code=record.unit_code,
            milestone=record.milestone, due_at=record.due_at, recorded_at=record.recorded_at,
        ).on_conflict_do_nothing(index_elements=["incident_id", "unit_code", "milestone"])
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
