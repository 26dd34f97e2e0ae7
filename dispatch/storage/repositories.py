"""Queries, one small class per aggregate: with `live_repositories`, `orm` and `tables`, the only
places that speak SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult, DateTime, and_, exists, func, or_, select, true, type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dispatch import model
from dispatch.usernames import normalize
from dispatch.board import CaseUnit, ListedCase, ListedPhoto, ListedUnit, OpenCase
from dispatch.clock import late
from dispatch.ports import IdempotencyClaim
from dispatch.ports import CaseFacts, IncidentQuery, PeriodQuery
from dispatch.storage import case_search, event_log
from dispatch.storage import tables as t
from dispatch.storage.types import UTCDateTime


class Users:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, user_id: str) -> model.User | None:
        return self.s.get(model.User, user_id)

    def many(self, user_ids: Sequence[str]) -> list[model.User]:
        return list(self.s.scalars(select(model.User).where(t.users.c.id.in_(user_ids))))

    def by_username(self, username: str) -> model.User | None:
        """The user of this name in any of its spellings (dispatch/usernames.py)."""
        q = select(model.User).where(t.users.c.username == normalize(username))
        return self.s.scalars(q).first()

    def add(self, user: model.User) -> None:
        user.username = normalize(user.username)  # stored in its one spelling
        self.s.add(user)

    def officers_of(self, unit_code: str) -> list[model.User]:
        q = select(model.User).where(t.users.c.unit_code == unit_code,
                                     t.users.c.role == model.Role.OFFICER, t.users.c.active)
        return list(self.s.scalars(q))

    def by_api_key_hash(self, key_hash: str) -> model.User | None:
        q = select(model.User).where(t.users.c.api_key_hash == key_hash)
        return self.s.scalars(q).first()

    def outside_systems(self) -> list[model.User]:
        q = (select(model.User).where(t.users.c.api_key_issued_at.is_not(None))
             .order_by(t.users.c.username))
        return list(self.s.scalars(q))

    def names(self) -> list[str]:
        c = t.users.c
        return [n for row in self.s.execute(select(c.display_name, c.username)) for n in row if n]

    def names_version(self) -> tuple[int, int]:
        c = t.users.c
        return _count_and_length(self.s, t.users, c.display_name, c.username)


class Sites:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, site_id: str) -> model.Site | None:
        return self.s.get(model.Site, site_id)

    def add(self, site: model.Site) -> None:
        self.s.add(site)

    def names(self) -> list[str]:
        c = t.sites.c
        return [n for row in self.s.execute(select(c.name, c.address)) for n in row if n]

    def names_version(self) -> tuple[int, int]:
        return _count_and_length(self.s, t.sites, t.sites.c.name, t.sites.c.address)

    def list(self, owner_id: str | None) -> list[model.Site]:
        q = select(model.Site).order_by(t.sites.c.created_at, t.sites.c.id)
        if owner_id is not None:
            q = q.where(t.sites.c.owner_id == owner_id)
        return list(self.s.scalars(q))


def _count_and_length(session: Session, table: Any, *columns: Any) -> tuple[int, int]:
    """The rows of `table` and the total length of `columns` in one aggregate (both databases
    count characters)."""
    total = sum((func.coalesce(func.length(c), 0) for c in columns[1:]),
                func.coalesce(func.length(columns[0]), 0))
    rows, length = session.execute(select(func.count(), func.coalesce(func.sum(total), 0))
                                   .select_from(table)).one()
    return int(rows), int(length)


class Incidents:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, incident: model.Incident) -> None:
        self.s.add(incident)
        event_log.track(self.s, incident)

    def get(self, incident_id: str, for_update: bool = False) -> model.Incident | None:
        """`for_update`: lock the case until commit, so changes to one case happen one after the
        other, each seeing what the one before committed (two accepts: one `accepted`).

        Cases first, the event log's counter only at commit (`event_log`): one lock order, so
        two transactions cannot deadlock on a case and the counter.
        """
        q = select(model.Incident).where(t.incidents.c.id == incident_id)
        if not for_update:
            return self.s.scalars(q).first()
        write_lock(self.s)
        with self.s.no_autoflush:
            return self.s.scalars(q.with_for_update(of=t.incidents)).first()

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

    def search(self, query: IncidentQuery) -> tuple[list[ListedCase], int]:
        """Five Core statements for any page: the count, the page, its units, its photos, its
        complaints."""
        where = self._where(query)
        inc, iu, ph = t.incidents.c, t.incident_units.c, t.photos.c
        total = self.s.scalar(select(func.count()).select_from(t.incidents).where(where)) or 0
        at = self._aware
        rows = self.s.execute(
            select(inc.id, inc.category, inc.description, inc.status, inc.lon, inc.lat,
                   inc.site_id, inc.green_channel, inc.territory_code, inc.territory_name,
                   inc.boundary_set_id, at(inc.received_at), at(inc.arrival_due),
                   at(inc.restore_due), at(inc.resolve_due), at(inc.restored_at),
                   at(inc.resolved_at), at(inc.closed_at), inc.lead_unit,
                   at(inc.resolve_due_original), inc.extensions, inc.extension_reason,
                   at(inc.feedback_due), at(inc.feedback_at), inc.feedback_satisfied,
                   inc.feedback_rating, inc.feedback_comment, inc.closed_reason, inc.central_unit,
                   inc.central_person, at(inc.central_due), inc.central_by, at(inc.central_at),
                   inc.case_number, at(inc.restore_device_time), inc.restore_sent_late,
                   at(inc.resolve_device_time), inc.resolve_sent_late)
            .where(where).order_by(inc.received_at.desc(), inc.id)
            .limit(query.limit).offset(query.offset)).all()
        ids = [row[0] for row in rows]
        units: dict[str, list[ListedUnit]] = {}
        photos: dict[str, list[ListedPhoto]] = {}
        complaints: dict[str, list[model.Complaint]] = {}
        if ids:
            for row in self.s.execute(
                    select(iu.incident_id, iu.unit_code, iu.unit_name, iu.kind,
                           at(iu.accepted_at), at(iu.arrived_at), at(iu.arrival_due),
                           iu.arrival_distance_m, iu.accepted_by, iu.arrived_by,
                           iu.arrival_location, at(iu.arrival_device_time), iu.arrival_sent_late,
                           iu.arrival_counted_at, iu.arrival_count_reason,
                           iu.arrival_mock_location)
                    .where(iu.incident_id.in_(ids))
                    .order_by(iu.incident_id, iu.kind.desc(), iu.unit_code)):
                units.setdefault(row[0], []).append(ListedUnit._make(row[1:]))
            # In the order the ORM's relationship reads them for one case (no ORDER BY there
            # either: the order they were stored in), so a page and a case agree.
            for photo in self.s.execute(select(ph.incident_id, ph.id, ph.content_type, ph.size)
                                      .where(ph.incident_id.in_(ids))):
                photos.setdefault(photo[0], []).append(ListedPhoto._make(photo[1:]))
            cp = t.complaints.c
            for c in self.s.execute(
                    select(cp.incident_id, cp.number, cp.author_id, cp.text, at(cp.filed_at),
                           at(cp.reply_due), cp.reply, at(cp.replied_at), cp.replied_by, cp.id)
                    .where(cp.incident_id.in_(ids)).order_by(cp.incident_id, cp.number)):
                complaints.setdefault(c[0], []).append(model.Complaint(**c._mapping))
        tail = len(ListedCase._fields) - ListedCase._fields.index("case_number")
        return [ListedCase._make((*row[:-tail], tuple(units.get(row[0], ())),
                                  tuple(photos.get(row[0], ())),
                                  tuple(complaints.get(row[0], ())), *row[-tail:]))
                for row in rows], int(total)

    def open_cases(self, query: IncidentQuery) -> list[OpenCase]:
        """Two Core SELECTs, whatever the number of cases: the cases, then the units of the
        same cases (the filter as a subquery). No ORM objects: at thousands of rows the
        per-object work would cost more than the database."""
        where = self._where(query)
        inc, iu = t.incidents.c, t.incident_units.c
        at = self._aware
        cases = self.s.execute(
            select(inc.id, inc.category, inc.status, inc.territory_code, inc.lon, inc.lat,
                   at(inc.received_at), inc.green_channel, inc.round, at(inc.arrival_due),
                   at(inc.restore_due), at(inc.resolve_due), at(inc.restored_at),
                   at(inc.resolved_at), at(inc.resolve_due_original), inc.case_number)
            .where(where).order_by(inc.received_at.desc(), inc.id)).all()
        units: dict[str, list[CaseUnit]] = {}
        rows = self.s.execute(
            select(iu.incident_id, iu.unit_code, iu.kind, at(iu.accepted_at), at(iu.arrived_at),
                   at(iu.arrival_due))
            .where(iu.incident_id.in_(select(inc.id).where(where)))
            .order_by(iu.incident_id, iu.kind.desc(), iu.unit_code)).all()
        for row in rows:
            units.setdefault(row[0], []).append(CaseUnit._make(row[1:]))
        return [OpenCase._make((*row[:-1], tuple(units.get(row[0], ())), row[-1]))
                for row in cases]

    def _aware(self, column: Any) -> Any:
        """A time column read as the driver gives it on PostgreSQL (an aware `timestamptz`, in
        the session's time zone: the same instant), without `UTCDateTime`'s conversion of
        every value, which costs a fifth of a map's read; SQLite needs that conversion."""
        if self.s.get_bind().dialect.name == "postgresql":
            return type_coerce(column, DateTime(timezone=True)).label(column.name)
        return column

    def _where(self, query: IncidentQuery) -> Any:
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
            conds.append(self._overdue(query.overdue_at))
        if query.number is not None:
            conds.append(case_search.by_number(query.number))
        if query.text:
            conds.append(case_search.by_text(query.text))
        return and_(true(), *conds)

    def facts_between(self, start: datetime, end: datetime, unit: str | None = None
                      ) -> list[CaseFacts]:
        """One query: each case of the period joined to its units, with its complaints counted
        (the fields of `dispatch.assessment.facts_of`, column for column)."""
        inc, iu, c = t.incidents.c, t.incident_units.c, t.complaints.c
        filed = (select(c.incident_id, func.count().label("n")).group_by(c.incident_id)
                 .subquery())
        q = (select(inc.id, iu.unit_code, inc.received_at, iu.arrival_due, iu.arrived_at,
                    inc.restore_due, inc.restored_at,
                    func.coalesce(inc.resolve_due_original, inc.resolve_due, type_=UTCDateTime),
                    inc.resolved_at, inc.status, inc.closed_reason, inc.round, inc.extensions,
                    func.coalesce(filed.c.n, 0), inc.central_unit, inc.feedback_at,
                    inc.feedback_satisfied, inc.feedback_rating)
             .join_from(t.incidents, t.incident_units, iu.incident_id == inc.id)
             .outerjoin(filed, filed.c.incident_id == inc.id)
             .where(inc.received_at >= start, inc.received_at < end)
             .order_by(inc.received_at, inc.id, iu.unit_code))
        if unit is not None:
            q = q.where(iu.unit_code == unit)
        # Positional, in `CaseFacts`' field order: a month of rows without a mapping each.
        return [CaseFacts(*cast(tuple[Any, ...], row)) for row in self.s.execute(q)]

    def overdue_between(self, start: datetime, end: datetime, unit: str | None = None
                        ) -> dict[str, int]:
        inc, rec = t.incidents.c, t.overdue_records.c
        q = (select(rec.unit_code, func.count())
             .join_from(t.overdue_records, t.incidents, rec.incident_id == inc.id)
             .where(inc.received_at >= start, inc.received_at < end)
             .group_by(rec.unit_code))
        if unit is not None:
            q = q.where(rec.unit_code == unit)
        return {code: int(n) for code, n in self.s.execute(q)}

    def received_between(self, query: PeriodQuery) -> list[model.Incident]:
        inc = t.incidents.c
        conds = []
        if query.start is not None:
            conds.append(inc.received_at >= query.start)
        if query.end is not None:
            conds.append(inc.received_at < query.end)
        if query.ids is not None:
            conds.append(inc.id.in_(list(query.ids)))
        if query.categories is not None:
            conds.append(inc.category.in_(list(query.categories)))
        if query.closed is not None:
            conds.append((inc.status == model.Status.CLOSED) if query.closed
                         else (inc.status != model.Status.CLOSED))
        if not query.include_withheld:
            conds.append(inc.withheld_at.is_(None))
        q = (select(model.Incident).where(and_(true(), *conds))
             .order_by(inc.received_at, inc.id).limit(query.limit).offset(query.offset))
        return list(self.s.scalars(q))

    @staticmethod
    def _overdue(now: datetime) -> Any:
        """`Incident.overdue(now)` is not empty, in SQL: the same deadlines as
        `Incident.clocks()`, each judged by `clock.is_overdue` (unmet, and `clock.late`, called
        on the column, so the boundary is the domain's own comparison)."""
        inc, iu = t.incidents.c, t.incident_units.c

        def overdue(done: Any, due: Any) -> Any:
            return and_(done.is_(None), late(now, due))

        return or_(
            exists().where(iu.incident_id == inc.id, overdue(iu.arrived_at, iu.arrival_due)),
            overdue(inc.restored_at, inc.restore_due),
            overdue(inc.resolved_at, inc.resolve_due),
        )

    def _in_bbox(self, bbox: tuple[float, float, float, float]) -> Any:
        """Edges included, on both databases, from the plain copies of the coordinates; PostGIS
        first narrows with its GiST index (`&&`, the boxes' overlap). `ST_Intersects` alone
        missed a case lying exactly on a degenerate box (a point, or a line)."""
        min_lon, min_lat, max_lon, max_lat = bbox
        exact = and_(t.incidents.c.lon.between(min_lon, max_lon),
                     t.incidents.c.lat.between(min_lat, max_lat))
        if self.s.get_bind().dialect.name == "postgresql":
            envelope = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326)
            return and_(t.incidents.c.location.op("&&")(envelope), exact)
        return exact


class Idempotency:
    """Which resource a user's Idempotency-Key produced, claimed in the request's transaction."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, user_id: str, key: str) -> IdempotencyClaim | None:
        k = t.idempotency_keys.c
        q = select(k.user_id, k.key, k.scope, k.request_hash, k.resource_id, k.created_at).where(
            k.user_id == user_id, k.key == key)
        row = self.s.execute(q).first()
        return None if row is None else IdempotencyClaim(*row)

    def claim(self, user_id: str, key: str, scope: str, request_hash: str, resource_id: str,
              at: datetime, expired_before: datetime | None = None) -> IdempotencyClaim | None:
        """Take the key for `resource_id`: None when this transaction holds it now, else the row
        of the request that holds it.

        INSERT ... ON CONFLICT DO NOTHING waits for a concurrent transaction that inserted the
        same key and has not finished: if it commits, this one sees its row (and replays it); if
        it rolls back (a refused request), this one takes the key. The key commits with the
        resource or not at all, so a row read here always names a resource that exists.

        `expired_before`: a row older than that is taken over (ON CONFLICT DO UPDATE ... WHERE
        created_at < it). Of concurrent takers the first locks the row and the others, waiting
        on it, find it fresh once it commits and replay it.
        """
        table = t.idempotency_keys
        insert = upsert(self.s)(table).values(
            user_id=user_id, key=key, scope=scope, request_hash=request_hash,
            resource_id=resource_id, created_at=at)
        if expired_before is None:
            insert = insert.on_conflict_do_nothing(index_elements=[table.c.user_id, table.c.key])
        else:
            insert = insert.on_conflict_do_update(
                index_elements=[table.c.user_id, table.c.key],
                set_={name: insert.excluded[name] for name in (
                    "scope", "request_hash", "resource_id", "created_at")},
                where=table.c.created_at < expired_before)
        stmt = insert.returning(table.c.key)
        if self.s.execute(stmt).first() is not None:
            return None
        return self.get(user_id, key)


def write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now, before reading what is about to change.

    SQLite ignores FOR UPDATE, and Python's sqlite3 opens a transaction only at the first write:
    two requests could both read a case before either wrote, and both change it. BEGIN IMMEDIATE
    makes the second wait (busy_timeout) and then read what the first committed. Inside a
    transaction that already wrote, this one holds the write lock already.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    conn = session.connection()
    if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]  # open: we just asked for it
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def upsert(session: Session) -> Any:
    """The dialect's INSERT with ON CONFLICT (PostgreSQL's or SQLite's; they share the API)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
