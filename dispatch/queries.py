"""Reading cases, scoped by who asks: a reporter its own, a unit its own, command everything."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from dispatch import case_numbers
from dispatch.access import rooms_for, visible
from dispatch.board import CaseInstants, ClockState, ListedCase, OpenCase, case_instants, next_due
from dispatch.context import Context, reader
from dispatch.errors import NotFound
from dispatch.events import COMMAND
from dispatch.model import Event, Incident, MilestoneClock, Role, Status, User
from dispatch.ports import IncidentQuery

# What a map shows: every case still being worked or awaiting the reporter's word.
OPEN_STATUSES = tuple(s.value for s in Status if s != Status.CLOSED)


@dataclass(frozen=True)
class IncidentFilters:
    status: tuple[str, ...] = ()
    unit: str | None = None
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    overdue: bool = False
    number: str | None = None
    text: str | None = None
    page: int = 1
    per_page: int = 50


def list_incidents(ctx: Context, user: User, f: IncidentFilters
                   ) -> tuple[list[ListedCase], int]:
    query = IncidentQuery(
        status=f.status or None, unit=f.unit, category=f.category, bbox=f.bbox, since=f.since,
        overdue_at=ctx.clock() if f.overdue else None,
        number=None if f.number is None else case_numbers.normalise(f.number),
        text=f.text or None, limit=f.per_page, offset=(f.page - 1) * f.per_page)
    with reader(ctx) as uow:
        return uow.incidents.search(_scoped(user, query))


def _scoped(user: User, query: IncidentQuery) -> IncidentQuery:
    """A reporter reads its own cases, an officer or a dispatcher its unit's, command all."""
    if user.role == Role.REPORTER:
        return replace(query, reporter_id=user.id)
    if user.role in (Role.OFFICER, Role.DISPATCHER):
        return replace(query, visible_to_unit=user.unit_code)
    return query


@dataclass(frozen=True)
class MapFilters:
    unit: str | None = None
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class CaseOnMap:
    case: OpenCase
    state: ClockState  # `instants.state(generated_at)`
    next_due: MilestoneClock | None
    instants: CaseInstants


@dataclass(frozen=True)
class OpenCases:
    """The open cases a user may see, judged at `generated_at`; `seq` is the event log's last
    seq read before the cases, so every change not in them has a greater seq."""

    seq: int
    generated_at: datetime
    cases: list[CaseOnMap]


def open_cases(ctx: Context, user: User, f: MapFilters) -> OpenCases:
    """Every open case (any status but closed) in the user's scope, for a map, in one read.

    The log's last seq is read *before* the cases: a change committed after that read has a
    greater seq (seqs become visible in commit order), so a live page that applies only the
    events past `seq` misses nothing, and one already in the cases is applied again harmlessly.
    The state is judged after the read, with the clock's `now`, on the instants the page is sent
    (`dispatch.board.case_instants`).
    """
    query = map_scope(user, f)
    with reader(ctx) as uow:
        seq = uow.events.last_seq()
        cases = uow.incidents.open_cases(query)
    now = ctx.clock()
    out = []
    for case in cases:
        instants = case_instants(case, ctx.settings)
        out.append(CaseOnMap(case, instants.state(now), next_due(case.clocks()), instants))
    return OpenCases(seq=seq, generated_at=now, cases=out)


def map_scope(user: User, f: MapFilters) -> IncidentQuery:
    """What a map of `user` with `f` reads: two users with the same scope read the same cases
    (the key of the web process's map cache, `mobile_api.map_cache`)."""
    return _scoped(user, IncidentQuery(status=OPEN_STATUSES, unit=f.unit, category=f.category,
                                       bbox=f.bbox))


def last_seq(ctx: Context) -> int:
    """The event log's last seq: every change to a case is an event, so while it stays the
    same, so do the open cases (their judgement at `now` apart)."""
    with reader(ctx) as uow:
        return uow.events.last_seq()


def get_incident(ctx: Context, user: User, incident_id: str) -> tuple[Incident, list[Event]]:
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id), incident_id)
        rooms = set(rooms_for(user))
        events = [e for e in uow.incidents.events(incident_id)
                  if COMMAND in rooms or rooms & set(e.audience)]
        return incident, events


def get_photo(ctx: Context, user: User, incident_id: str, photo_id: str) -> tuple[Path, str]:
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id), incident_id)
        photo = next((p for p in incident.photos if p.id == photo_id), None)
        if photo is None:
            raise NotFound(f"no photo {photo_id} on incident {incident_id}")
        return ctx.settings.photo_dir / photo.path, photo.content_type
