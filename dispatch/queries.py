"""Reading cases, scoped by who asks: a reporter its own, a unit its own, command everything."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from dispatch.access import rooms_for, visible
from dispatch.context import Context, reader
from dispatch.errors import NotFound
from dispatch.events import COMMAND
from dispatch.model import Event, Incident, Role, User
from dispatch.ports import IncidentQuery


@dataclass(frozen=True)
class IncidentFilters:
    status: tuple[str, ...] = ()
    unit: str | None = None
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    overdue: bool = False
    page: int = 1
    per_page: int = 50


def list_incidents(ctx: Context, user: User, f: IncidentFilters) -> tuple[list[Incident], int]:
    query = IncidentQuery(
        status=f.status or None, unit=f.unit, category=f.category, bbox=f.bbox, since=f.since,
        overdue_at=ctx.clock() if f.overdue else None,
        limit=f.per_page, offset=(f.page - 1) * f.per_page)
    if user.role == Role.REPORTER:
        query = replace(query, reporter_id=user.id)
    elif user.role in (Role.OFFICER, Role.DISPATCHER):
        query = replace(query, visible_to_unit=user.unit_code)
    with reader(ctx) as uow:
        return uow.incidents.search(query)


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
