"""An in-memory implementation of the domain's ports (`dispatch.ports`), for unit tests.

Why: the use cases are the product's rules put together; on this fake each runs in well under a
millisecond, so every boundary of every rule can be tested without a database or Flask.

How faithful: a transaction works on a deep copy of the committed state and `commit()` puts a
copy of it back, so a refused request (leaving the block without commit) writes nothing, and
objects read through a unit of work stay readable, detached, after it. `commit()` numbers new
events from one counter, last, like the storage's, and returns them in seq order.
The unique keys the storage relies on are kept: one idempotency claim per (user, key), one fix
per (officer, time), one timer per (incident, unit, kind, milestone, attempt, deadline), one
overdue record per (incident, unit, milestone, deadline), one user per username. The tests run
one transaction at a time, so a row lock has nothing to wait for; but `commit()` refuses a case
changed in a transaction that did not read it `for_update` (the storage's row lock), so a use
case that forgets the lock fails its unit tests rather than losing a concurrent update. Not
modelled: an account disabled and
re-enabled within one transaction raises its token version by 0 here and by 2 in storage.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from types import TracebackType
from typing import Any, Self

from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from dispatch import ports
from dispatch.board import CaseUnit, ListedCase, ListedPhoto, ListedUnit, OpenCase
from dispatch.clock import Clock
from dispatch.context import Context
from dispatch.locator import TerritoryLocator
from dispatch.model import Event, Incident, Role, Site, Status, Unit, UnitKind, User
from dispatch.field_ports import AcceptedCase, FixNote, OfficerStatus
from dispatch.offline import TrailFix
from dispatch.ports import BoundarySet, Fix, IdempotencyClaim, TerritoryRow
from dispatch.ports import IncidentQuery, PeriodQuery
from dispatch.routing import RoutingTable
from dispatch.settings import Settings
from dispatch.usernames import normalize
from dispatch.timers import OverdueRecord, Timer
from dispatch.utc import iso_utc
from geo.distance import geodesic_distance_m


class FakeIntegrityError(Exception):
    """A unique key of the storage would refuse this row."""


@dataclass
class Position:
    id: int
    officer_id: str
    location: Point
    accuracy_m: float | None
    recorded_at: datetime
    received_at: datetime
    mock_location: bool | None = None
    flagged_speed_kmh: float | None = None


@dataclass
class LastPosition:
    officer_id: str
    unit_code: str | None
    location: Point
    accuracy_m: float | None
    recorded_at: datetime
    received_at: datetime
    mock_location: bool | None = None


@dataclass
class State:
    """Everything the storage holds; compared whole to show that a refusal wrote nothing."""

    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    routing: dict[str, list[str]] = field(default_factory=dict)
    boundary_sets: dict[int, BoundarySet] = field(default_factory=dict)
    territories: dict[int, list[TerritoryRow]] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyClaim] = field(default_factory=dict)
    positions: list[Position] = field(default_factory=list)
    last_positions: dict[str, LastPosition] = field(default_factory=dict)
    log: list[Event] = field(default_factory=list)
    last_seq: int = 0
    timers: list[Timer] = field(default_factory=list)
    overdue: list[OverdueRecord] = field(default_factory=list)
    case_numbers: dict[date, int] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


_ATOMS = (str, int, float, bool, type(None), date, datetime, timedelta, BaseGeometry, BoundarySet,
          IdempotencyClaim, FixNote)


def clone(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy that shares what cannot change (strings, times, geometries, frozen records)
    and keeps shared objects shared (an event in the log and in its case): `copy.deepcopy`,
    an order of magnitude faster on this state."""
    if isinstance(value, _ATOMS) or (isinstance(value, Event) and value.seq is not None):
        return value  # a numbered event is history: the log never changes it
    memo = {} if memo is None else memo
    done = memo.get(id(value))
    if done is not None:
        return done
    if isinstance(value, list):
        out: Any = []
        memo[id(value)] = out
        out.extend(clone(v, memo) for v in value)
    elif isinstance(value, dict):
        out = {}
        memo[id(value)] = out
        out.update((k, clone(v, memo)) for k, v in value.items())
    elif isinstance(value, tuple):
        out = tuple(clone(v, memo) for v in value)
        memo[id(value)] = out
    elif is_dataclass(value):
        # Through the constructor: when a test run also maps the domain classes onto tables
        # (the integration tests do), a copied instance would share SQLAlchemy's state.
        init = {f.name: clone(getattr(value, f.name), memo) for f in fields(value) if f.init}
        out = type(value)(**init)  # type: ignore[misc]  # is_dataclass narrows to a class too
        memo[id(value)] = out
        for f in fields(value):
            if not f.init:
                object.__setattr__(out, f.name, clone(getattr(value, f.name), memo))
    else:
        out = copy.deepcopy(value, memo)
    return out


class FakeDatabase:
    """The committed state, shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def snapshot(self) -> State:
        copied: State = clone(self.state)
        return copied


# -- repositories over one transaction's working state ----------------------------------------

class _Repo:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def w(self) -> State:
        return self._uow.work


class FakeUnits(_Repo):
    def get(self, code: str) -> Unit | None:
        return self.w.units.get(code)

    def list(self, kind: str | None = None) -> list[Unit]:
        units = [u for u in self.w.units.values() if kind is None or u.kind == kind]
        return sorted(sorted(units, key=lambda u: u.code), key=lambda u: u.kind, reverse=True)

    def add(self, unit: Unit) -> None:
        if unit.code in self.w.units:
            raise FakeIntegrityError(f"unit {unit.code} exists")
        self.w.units[unit.code] = unit


class FakeUsers(_Repo):
    def get(self, user_id: str) -> User | None:
        return self.w.users.get(user_id)

    def many(self, user_ids: Sequence[str]) -> list[User]:
        return [u for u in self.w.users.values() if u.id in set(user_ids)]

    def by_username(self, username: str) -> User | None:
        name = normalize(username)
        return next((u for u in self.w.users.values() if u.username == name), None)

    def add(self, user: User) -> None:
        user.username = normalize(user.username)
        if self.by_username(user.username) is not None or user.id in self.w.users:
            raise FakeIntegrityError(f"user {user.username} exists")
        self.w.users[user.id] = user

    def officers_of(self, unit_code: str) -> list[User]:
        return [u for u in self.w.users.values()
                if u.unit_code == unit_code and u.role == Role.OFFICER and u.active]

    def by_api_key_hash(self, key_hash: str) -> User | None:
        return next((u for u in self.w.users.values() if u.api_key_hash == key_hash), None)

    def outside_systems(self) -> list[User]:
        return sorted((u for u in self.w.users.values() if u.api_key_issued_at is not None),
                      key=lambda u: u.username)

    def names(self) -> list[str]:
        return [n for u in self.w.users.values() for n in (u.display_name, u.username) if n]

    def names_version(self) -> tuple[int, int]:
        return len(self.w.users), sum(len(n) for n in self.names())


class FakeRouting(_Repo):
    def set(self, category: str, unit_codes: Iterable[str]) -> None:
        codes = list(unit_codes)
        if codes:
            self.w.routing[category] = codes
        else:
            self.w.routing.pop(category, None)

    def table(self) -> dict[str, list[str]]:
        return {cat: sorted(codes) for cat, codes in sorted(self.w.routing.items())}


class FakeBoundaries(_Repo):
    def active_set(self) -> BoundarySet | None:
        return next((s for s in self.w.boundary_sets.values() if s.active), None)

    def get_set(self, set_id: int) -> BoundarySet | None:
        return self.w.boundary_sets.get(set_id)

    def sets(self) -> list[BoundarySet]:
        return [self.w.boundary_sets[i] for i in sorted(self.w.boundary_sets)]

    def territories(self, set_id: int) -> list[TerritoryRow]:
        return sorted(self.w.territories.get(set_id, []), key=lambda row: row[0])

    def add_set(self, name: str, label: str, source: str, created_at: datetime,
                territories: Sequence[TerritoryRow]) -> int:
        set_id = self.w.new_id()
        self.w.boundary_sets[set_id] = BoundarySet(set_id, name, label, False, created_at, None)
        self.w.territories[set_id] = list(territories)
        return set_id

    def activate(self, set_id: int, at: datetime) -> None:
        for sid, s in list(self.w.boundary_sets.items()):
            if s.active:
                self.w.boundary_sets[sid] = replace(s, active=False)
        if set_id in self.w.boundary_sets:
            self.w.boundary_sets[set_id] = replace(self.w.boundary_sets[set_id], active=True,
                                                   activated_at=at)

    def locate_in_database(self, set_id: int, lon: float, lat: float) -> str | None:
        point = Point(lon, lat)
        return next((code for code, _, geom in self.territories(set_id) if geom.covers(point)),
                    None)


class FakeSites(_Repo):
    def get(self, site_id: str) -> Site | None:
        return self.w.sites.get(site_id)

    def add(self, site: Site) -> None:
        self.w.sites[site.id] = site

    def names(self) -> list[str]:
        return [n for s in self.w.sites.values() for n in (s.name, s.address) if n]

    def names_version(self) -> tuple[int, int]:
        return len(self.w.sites), sum(len(n) for n in self.names())

    def list(self, owner_id: str | None) -> list[Site]:
        sites = [s for s in self.w.sites.values() if owner_id is None or s.owner_id == owner_id]
        return sorted(sites, key=lambda s: (s.created_at is not None, s.created_at, s.id))


class FakeIncidents(_Repo):
    def add(self, incident: Incident) -> None:
        if incident.id in self.w.incidents:
            raise FakeIntegrityError(f"incident {incident.id} exists")
        self.w.incidents[incident.id] = incident

    def get(self, incident_id: str, for_update: bool = False) -> Incident | None:
        if for_update:
            self._uow.locked.add(incident_id)
        return self.w.incidents.get(incident_id)

    def mark_timers_planned(self, incident_id: str, at: datetime) -> bool:
        self._uow.locked.add(incident_id)  # one conditional UPDATE in storage: atomic as it is
        incident = self.w.incidents.get(incident_id)
        if incident is None or incident.timers_planned_at is not None:
            return False
        incident.timers_planned_at = at
        return True

    def events(self, incident_id: str) -> list[Event]:
        self._uow.flush()  # a query autoflushes
        incident = self.w.incidents.get(incident_id)
        return [] if incident is None else sorted(incident.events, key=_seq)

    def search(self, query: IncidentQuery) -> tuple[list[ListedCase], int]:
        found = [i for i in self.w.incidents.values() if _matches(i, query, self.w)]
        found.sort(key=lambda i: i.id)
        found.sort(key=lambda i: i.received_at, reverse=True)
        return [_listed(i) for i in found[query.offset:query.offset + query.limit]], len(found)

    def received_between(self, query: PeriodQuery) -> list[Incident]:
        def wanted(i: Incident) -> bool:
            return ((query.start is None or i.received_at >= query.start)
                    and (query.end is None or i.received_at < query.end)
                    and (query.ids is None or i.id in set(query.ids))
                    and (query.categories is None or i.category in query.categories)
                    and (query.closed is None or (i.status == Status.CLOSED) == query.closed)
                    and (query.include_withheld or i.withheld_at is None))
        found = sorted((i for i in self.w.incidents.values() if wanted(i)),
                       key=lambda i: (i.received_at, i.id))
        return found[query.offset:query.offset + query.limit]

    def open_cases(self, query: IncidentQuery) -> list[OpenCase]:
        found = [i for i in self.w.incidents.values() if _matches(i, query)]
        found.sort(key=lambda i: i.id)
        found.sort(key=lambda i: i.received_at, reverse=True)
        return [OpenCase(
            i.id, i.category, str(i.status), i.territory_code, i.location.x, i.location.y,
            i.received_at, i.green_channel, i.round, i.arrival_due, i.restore_due, i.resolve_due,
            i.restored_at, i.resolved_at, i.resolve_due_original,
            tuple(CaseUnit(a.unit_code, a.kind, a.accepted_at, a.arrived_at, a.arrival_due)
                  for a in i.assignments), i.case_number) for i in found]

    def _between(self, start: datetime, end: datetime) -> list[Incident]:
        found = [i for i in self.w.incidents.values() if start <= i.received_at < end]
        return sorted(found, key=lambda i: (i.received_at, i.id))

    def facts_between(self, start: datetime, end: datetime, unit: str | None = None
                      ) -> list[ports.CaseFacts]:
        from dispatch.assessment import facts_of  # the definition the SQL follows
        return [f for i in self._between(start, end) for f in facts_of(i)
                if unit is None or f.unit_code == unit]

    def overdue_between(self, start: datetime, end: datetime, unit: str | None = None
                        ) -> dict[str, int]:
        ids = {i.id for i in self._between(start, end)}
        out: dict[str, int] = {}
        for r in self.w.overdue:
            if r.incident_id in ids and (unit is None or r.unit_code == unit):
                out[r.unit_code] = out.get(r.unit_code, 0) + 1
        return out


def _listed(i: Incident) -> ListedCase:
    return ListedCase(
        i.id, i.category, i.description, str(i.status), i.location.x, i.location.y, i.site_id,
        i.green_channel, i.territory_code, i.territory_name, i.boundary_set_id, i.received_at,
        i.arrival_due, i.restore_due, i.resolve_due, i.restored_at, i.resolved_at, i.closed_at,
        i.lead_unit, i.resolve_due_original, i.extensions, i.extension_reason, i.feedback_due,
        i.feedback_at, i.feedback_satisfied, i.feedback_rating, i.feedback_comment,
        i.closed_reason, i.central_unit, i.central_person, i.central_due, i.central_by,
        i.central_at,
        tuple(ListedUnit(a.unit_code, a.unit_name, a.kind, a.accepted_at, a.arrived_at,
                         a.arrival_due, a.arrival_distance_m, a.accepted_by, a.arrived_by,
                         a.arrival_location, a.arrival_device_time, a.arrival_sent_late,
                         a.arrival_counted_at, a.arrival_count_reason, a.arrival_mock_location)
              for a in i.assignments),
        tuple(ListedPhoto(p.id, p.content_type, p.size) for p in i.photos), tuple(i.complaints),
        i.case_number, i.restore_device_time, i.restore_sent_late, i.resolve_device_time,
        i.resolve_sent_late)


def _matches(i: Incident, q: IncidentQuery, state: State | None = None) -> bool:
    """The filter of the storage's `Incidents.search`, condition by condition."""
    units = i.unit_codes()
    if q.reporter_id is not None and i.reporter_id != q.reporter_id:
        return False
    if q.visible_to_unit is not None and q.visible_to_unit not in units:
        return False
    if q.unit is not None and q.unit not in units:
        return False
    if q.status and i.status not in list(q.status):
        return False
    if q.category and i.category != q.category:
        return False
    if q.since is not None and not i.received_at >= q.since:
        return False
    if q.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = q.bbox
        if not (min_lon <= i.location.x <= max_lon and min_lat <= i.location.y <= max_lat):
            return False
    if q.overdue_at is not None:
        if not i.overdue(q.overdue_at):  # the domain's one definition, as the SQL filter
            return False
    if q.number is not None and i.case_number != q.number:
        return False
    if q.text:
        return _text_matches(i, q.text, state)
    return True


def _text_matches(i: Incident, text: str, state: State | None) -> bool:
    """`storage.case_search.by_text`: a substring of the number, description, territory, site
    name or the reporter's names, ignoring case."""
    site = None if state is None or i.site_id is None else state.sites.get(i.site_id)
    reporter = None if state is None else state.users.get(i.reporter_id)
    fields = [i.case_number, i.description, i.territory_name,
              site.name if site else "", reporter.display_name if reporter else "",
              reporter.username if reporter else ""]
    return any(text.lower() in f.lower() for f in fields)


class FakeIdempotency(_Repo):
    def get(self, user_id: str, key: str) -> IdempotencyClaim | None:
        return self.w.idempotency.get((user_id, key))

    def claim(self, user_id: str, key: str, scope: str, request_hash: str, resource_id: str,
              at: datetime, expired_before: datetime | None = None) -> IdempotencyClaim | None:
        held = self.w.idempotency.get((user_id, key))
        if held is not None and (expired_before is None or held.created_at >= expired_before):
            return held
        self.w.idempotency[(user_id, key)] = IdempotencyClaim(
            user_id, key, scope, request_hash, resource_id, at)
        return None


class FakePositions(_Repo):
    def add(self, officer: User, points: Sequence[Fix], received_at: datetime,
            notes: Mapping[datetime, FixNote] | None = None) -> int:
        notes = notes or {}
        plain = FixNote()
        fixes = sorted({at: (loc, acc, at) for loc, acc, at in points}.values(),
                       key=lambda p: p[2])
        taken = {(p.officer_id, p.recorded_at) for p in self.w.positions}
        stored = 0
        for loc, acc, at in fixes:
            if (officer.id, at) in taken:
                continue
            note = notes.get(at, plain)
            self.w.positions.append(Position(self.w.new_id(), officer.id, loc, acc, at,
                                             received_at, note.mock_location,
                                             note.flagged_speed_kmh))
            stored += 1
        unflagged = [f for f in fixes if notes.get(f[2], plain).flagged_speed_kmh is None]
        if not unflagged:
            return stored
        loc, acc, at = unflagged[-1]
        old = self.w.last_positions.get(officer.id)
        if old is None or old.recorded_at < at or old.recorded_at > received_at:
            self.w.last_positions[officer.id] = LastPosition(
                officer.id, officer.unit_code, loc, acc, at, received_at,
                notes.get(at, plain).mock_location)
        return stored

    def rank(self, unit_codes: Sequence[str], near: Point, since: datetime,
             limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        ranked: dict[str, list[dict[str, Any]]] = {code: [] for code in unit_codes}
        for last in self.w.last_positions.values():
            user = self.w.users.get(last.officer_id)
            if (last.unit_code not in ranked or user is None or not user.active
                    or user.role != Role.OFFICER or not last.recorded_at >= since):
                continue
            ranked[last.unit_code].append({
                "officer_id": last.officer_id, "name": user.display_name,
                "distance_m": round(geodesic_distance_m(last.location.x, last.location.y,
                                                        near.x, near.y), 1),
                "position_at": iso_utc(last.recorded_at)})
        return {code: sorted(found, key=lambda o: o["distance_m"])[:limit]
                for code, found in ranked.items()}

    def rank_each(self, wanted: Sequence[tuple[str, Point]], since: datetime,
                  limit: int = 20) -> list[list[dict[str, Any]]]:
        return [self.rank([code], near, since, limit)[code] for code, near in wanted]

    def latest_id(self, officer_id: str) -> int:
        return max((p.id for p in self.w.positions if p.officer_id == officer_id), default=0)

    def purge(self, before: datetime) -> int:
        kept = [p for p in self.w.positions if not p.recorded_at < before]
        purged = len(self.w.positions) - len(kept)
        self.w.positions = kept
        return purged


class FakeEvents(_Repo):
    def after(self, seq: int, limit: int) -> list[Event]:
        return [e for e in self.w.log if _seq(e) > seq][:limit]

    def for_rooms(self, rooms: Sequence[str], since_seq: int, limit: int) -> list[Event]:
        wanted = set(rooms)
        return [e for e in self.w.log
                if _seq(e) > since_seq and wanted & set(e.audience)][:limit]

    def last_seq(self) -> int:
        return self.w.last_seq


class FakeTimers(_Repo):
    def add_all(self, items: Sequence[Timer]) -> None:
        def key(x: Timer) -> tuple[Any, ...]:
            return (x.incident_id, x.unit_code, str(x.kind), str(x.milestone), x.attempt,
                    x.deadline, x.complaint)
        taken = {key(x) for x in self.w.timers}
        for item in items:
            if key(item) in taken:
                continue
            taken.add(key(item))
            # Stored as a row: the caller's object stays as it was (no id), as in storage.
            self.w.timers.append(replace(item, kind=str(item.kind), milestone=str(item.milestone),
                                         id=self.w.new_id()))

    def unplanned_incidents(self, limit: int) -> list[Incident]:
        found = [i for i in self.w.incidents.values() if i.timers_planned_at is None]
        chosen = sorted(found, key=lambda i: i.received_at)[:limit]
        self._uow.locked.update(i.id for i in chosen)  # FOR UPDATE SKIP LOCKED in storage
        return chosen

    def claim_due(self, now: datetime, limit: int, incident_id: str | None = None
                  ) -> list[Timer]:
        due = [x for x in self.w.timers if x.fired_at is None and x.due_at <= now
               and (incident_id is None or x.incident_id == incident_id)]
        return sorted(due, key=lambda x: (x.due_at, x.id or 0))[:limit]

    def next_pending(self, incident_ids: Sequence[str]) -> list[Timer]:
        first: dict[str, Timer] = {}
        pending = [x for x in self.w.timers
                   if x.incident_id in set(incident_ids) and x.fired_at is None]
        for timer in sorted(pending, key=lambda x: x.due_at):
            first.setdefault(timer.incident_id, timer)
        return list(first.values())


    def save(self, items: Sequence[Timer]) -> None:
        """Nothing to do: claimed timers are this transaction's working rows."""

    def lock_cases(self, incident_ids: Sequence[str]) -> list[Incident]:
        self._uow.locked.update(incident_ids)
        return [self.w.incidents[i] for i in sorted(set(incident_ids))]


class FakeAccountability(_Repo):
    def add_new(self, records: Sequence[OverdueRecord]) -> list[OverdueRecord]:
        return [r for r in records if self.add_once(r)]

    def add_once(self, record: OverdueRecord) -> bool:
        # One record per missed deadline, as the storage's unique key.
        def key(r: OverdueRecord) -> tuple[Any, ...]:
            return (r.incident_id, r.unit_code, str(r.milestone), r.due_at, r.complaint)
        if any(key(r) == key(record) for r in self.w.overdue):
            return False
        self.w.overdue.append(replace(record, milestone=str(record.milestone),
                                      id=self.w.new_id()))
        return True

    def mark_met(self, incident_id: str, unit_codes: Sequence[str], milestone: str,
                 at: datetime, complaint: int = 0) -> None:
        for row in self.w.overdue:
            if (row.incident_id == incident_id and row.unit_code in unit_codes
                    and row.milestone == milestone and row.complaint == complaint
                    and row.met_at is None):
                row.met_at = at
                row.late_by_seconds = (at - row.due_at).total_seconds()

    def for_incident(self, incident_id: str) -> list[OverdueRecord]:
        return sorted((r for r in self.w.overdue if r.incident_id == incident_id),
                      key=lambda r: r.id or 0)


class FakeCaseNumbers(_Repo):
    def take(self, day: date) -> int:
        self.w.case_numbers[day] = self.w.case_numbers.get(day, 0) + 1
        return self.w.case_numbers[day]


class FakeOfficers(_Repo):
    def trail(self, officer_id: str, start: datetime, end: datetime) -> list[TrailFix]:
        mine = sorted((p for p in self.w.positions if p.officer_id == officer_id
                       and p.flagged_speed_kmh is None), key=lambda p: p.recorded_at)
        before = [p for p in mine if p.recorded_at < start][-1:]
        inside = [p for p in mine if start <= p.recorded_at <= end]
        return [TrailFix(p.recorded_at, p.location.x, p.location.y, p.accuracy_m)
                for p in before + inside]

    def roster(self, unit_code: str | None) -> list[OfficerStatus]:
        officers = sorted((u for u in self.w.users.values() if u.role == Role.OFFICER
                           and u.active and unit_code in (None, u.unit_code)),
                          key=lambda u: (u.unit_code or "", u.display_name, u.username))
        out = []
        for u in officers:
            last = self.w.last_positions.get(u.id)
            unit = self.w.units.get(u.unit_code or "")
            worked = sorted(((a.accepted_at, i) for i in self.w.incidents.values()
                             for a in i.assignments if a.accepted_by == u.id
                             and a.accepted_at is not None
                             and i.status not in (Status.RESOLVED, Status.CLOSED)),
                            key=lambda x: x[0], reverse=True)
            case = (AcceptedCase(worked[0][1].id, worked[0][1].case_number,
                                 str(worked[0][1].status), worked[0][1].location.x,
                                 worked[0][1].location.y) if worked else None)
            out.append(OfficerStatus(
                u.id, u.username, u.display_name or u.username, u.unit_code,
                unit.name if unit else None, last.location.x if last else None,
                last.location.y if last else None, last.accuracy_m if last else None,
                last.recorded_at if last else None, last.received_at if last else None,
                last.mock_location if last else None, case))
        return out

    def ids_of(self, unit_codes: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {code: [] for code in unit_codes}
        for u in sorted(self.w.users.values(), key=lambda u: u.id):
            if u.role == Role.OFFICER and u.active and u.unit_code in found:
                found[u.unit_code].append(u.id)
        return found


def _seq(event: Event) -> int:
    assert event.seq is not None
    return event.seq


class FakeUnitOfWork:
    """One transaction over a `FakeDatabase`; see the module's docstring."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.units = FakeUnits(self)
        self.users = FakeUsers(self)
        self.routing = FakeRouting(self)
        self.boundaries = FakeBoundaries(self)
        self.sites = FakeSites(self)
        self.incidents = FakeIncidents(self)
        self.idempotency = FakeIdempotency(self)
        self.positions = FakePositions(self)
        self.events = FakeEvents(self)
        self.timers = FakeTimers(self)
        self.accountability = FakeAccountability(self)
        self.case_numbers = FakeCaseNumbers(self)
        self.officers = FakeOfficers(self)
        self._work: State | None = None
        self._written: list[Event] = []
        self.locked: set[str] = set()  # the cases read `for_update` in this transaction

    @property
    def work(self) -> State:
        if self._work is None:
            raise RuntimeError("use the unit of work inside `with`")
        return self._work

    def __enter__(self) -> Self:
        self._work, self._written, self.locked = clone(self.db.state), [], set()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._work, self._written = None, []  # uncommitted changes are gone

    def flush(self) -> None:
        """Link the cases' parts to their case (the events are numbered at commit)."""
        w = self.work
        for incident in w.incidents.values():
            for a in incident.assignments:
                a.incident_id = incident.id
            for p in incident.photos:
                p.incident_id = incident.id

    def _write_events(self) -> None:
        """Number the new events of the cases last, as the storage does (`event_log`)."""
        w = self.work
        new = sorted((e for i in w.incidents.values() for e in i.events if e.seq is None),
                     key=lambda e: e.ordinal)
        for event in new:
            if event.incident_id is None:
                raise ValueError("an incident event must name its incident")
            w.last_seq += 1
            event.seq = w.last_seq
            w.log.append(event)
        self._written.extend(new)

    def commit(self) -> list[Event]:
        self.flush()
        self._write_events()
        w = self.work
        for incident_id, incident in w.incidents.items():
            committed = self.db.state.incidents.get(incident_id)
            if committed is not None and incident_id not in self.locked and incident != committed:
                raise FakeIntegrityError(f"incident {incident_id} was changed without its row "
                                         "lock: read it with for_update=True")
        for user in w.users.values():  # the storage revokes tokens on any change of `active`
            before = self.db.state.users.get(user.id)
            if (before is not None and before.active != user.active
                    and before.token_version == user.token_version):  # (unless mapped: done)
                user.token_version += 1
        self.db.state = clone(w)
        self.db.commits += 1
        written, self._written = self._written, []
        return written

    def rollback(self) -> None:
        self._work, self._written, self.locked = clone(self.db.state), [], set()


def _satisfies_the_port(db: FakeDatabase) -> ports.UnitOfWork:
    """mypy checks here that the fake implements the same port as the storage."""
    return FakeUnitOfWork(db)


# -- a small city: two square territories, three departments, one user of every role ----------

WEST, EAST = "west", "east"
POWER, WATER, REFORM = "power_supply", "water_supply", "development_reform"
WEST_SQUARE = box(112.50, 35.00, 112.60, 35.10)
EAST_SQUARE = box(112.60, 35.00, 112.70, 35.10)
IN_WEST = Point(112.55, 35.05)
IN_EAST = Point(112.65, 35.05)
OUTSIDE = Point(113.50, 35.05)


@dataclass
class City:
    db: FakeDatabase
    users: dict[str, User]

    def user(self, name: str) -> User:
        return self.users[name]


def _user(name: str, role: Role, unit: str | None = None) -> User:
    return User(username=name, password_hash=f"hash:{name}", role=role, unit_code=unit,
                display_name=name, id=f"id-{name}")


def seed_city(at: datetime) -> City:
    """An active boundary set of two squares, the units, routing, and these users: reporter,
    reporter2, officer (west), officer2 (west), officer_east, officer_power, dispatcher (west),
    dispatcher_power, commander, admin."""
    db = FakeDatabase()
    users = {u.username: u for u in [
        _user("reporter", Role.REPORTER), _user("reporter2", Role.REPORTER),
        _user("officer", Role.OFFICER, WEST), _user("officer2", Role.OFFICER, WEST),
        _user("officer_east", Role.OFFICER, EAST), _user("officer_power", Role.OFFICER, POWER),
        _user("dispatcher", Role.DISPATCHER, WEST),
        _user("dispatcher_power", Role.DISPATCHER, POWER),
        _user("commander", Role.COMMANDER), _user("admin", Role.ADMIN)]}
    with db.uow() as uow:
        for code, kind in [(WEST, UnitKind.TERRITORY), (EAST, UnitKind.TERRITORY),
                           (POWER, UnitKind.DEPARTMENT), (WATER, UnitKind.DEPARTMENT),
                           (REFORM, UnitKind.DEPARTMENT)]:
            uow.units.add(Unit(code, code.title(), kind))
        set_id = uow.boundaries.add_set("squares", "test", "tests", at,
                                        [(WEST, "West", WEST_SQUARE), (EAST, "East", EAST_SQUARE)])
        uow.boundaries.activate(set_id, at)
        uow.routing.set("power_cut", [POWER])
        uow.routing.set("water_cut", [WATER])
        for user in users.values():
            uow.users.add(clone(user))
        uow.commit()
    return City(db, users)


@dataclass
class Recorder:
    """What the context was asked to do after commits."""

    published: list[Event] = field(default_factory=list)
    scheduled: list[Timer] = field(default_factory=list)
    pushed: list[tuple[User, dict[str, Any]]] = field(default_factory=list)


def make_context(db: FakeDatabase, clock: Clock, recorder: Recorder | None = None,
                 **settings: Any) -> Context:
    """The one place the unit tests build a Context: on the fake, with these settings."""
    rec = recorder if recorder is not None else Recorder()
    return Context(
        uow=partial(FakeUnitOfWork, db), read=partial(FakeUnitOfWork, db), clock=clock,
        settings=Settings(**settings), locator=TerritoryLocator(), routing=RoutingTable(),
        publish=rec.published.extend, schedule=rec.scheduled.extend,
        push_position=lambda user, fix: rec.pushed.append((user, fix)),
        password_hasher=lambda pw: f"hash:{pw}",
        password_verifier=_verify)


def _verify(stored: str | None, password: str) -> tuple[bool, bool]:
    """`old:<pw>` is a stale hash that matches: it should be rehashed."""
    if stored is None:
        return False, False
    if stored == f"old:{password}":
        return True, True
    return stored == f"hash:{password}", False


class StepClock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@dataclass
class World:
    """A seeded fake database, a clock at T0, and a context that records its side effects."""

    city: City
    clock: StepClock
    rec: Recorder
    ctx: Context

    @property
    def db(self) -> FakeDatabase:
        return self.city.db

    def user(self, name: str) -> User:
        return self.city.user(name)

    def events(self, incident_id: str) -> list[Event]:
        """The case's committed log."""
        with self.db.uow() as uow:
            return uow.incidents.events(incident_id)

    def incident(self, incident_id: str) -> Incident:
        with self.db.uow() as uow:
            found = uow.incidents.get(incident_id)
        assert found is not None
        return found


def new_world(**settings: Any) -> World:
    clock = StepClock(T0)
    city = seed_city(T0)
    rec = Recorder()
    return World(city, clock, rec, make_context(city.db, clock, rec, **settings))
