"""Maps the plain domain classes onto the tables, and numbers events as they are written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, update
from sqlalchemy.orm import Session, registry, relationship

from dispatch import model, timers
from dispatch.storage import tables

mapper_registry = registry(metadata=tables.metadata)
_mapped = False


def start_mappers() -> None:
    """Idempotent: the web app, the worker and the tests all call it."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(model.Unit, tables.units)
    mapper_registry.map_imperatively(model.User, tables.users)
    mapper_registry.map_imperatively(model.Site, tables.sites)
    mapper_registry.map_imperatively(model.Assignment, tables.incident_units)
    mapper_registry.map_imperatively(model.Photo, tables.photos)
    mapper_registry.map_imperatively(model.Event, tables.events)
    mapper_registry.map_imperatively(timers.Timer, tables.timers)
    mapper_registry.map_imperatively(timers.OverdueRecord, tables.overdue_records)
    mapper_registry.map_imperatively(
        model.Incident, tables.incidents,
        properties={
            # Plain copies of the point, for the bbox filter on SQLite (PostGIS uses the GiST).
            "_lon": tables.incidents.c.lon,
            "_lat": tables.incidents.c.lat,
            "assignments": relationship(
                model.Assignment, lazy="selectin", cascade="all, delete-orphan",
                order_by=[tables.incident_units.c.kind.desc(), tables.incident_units.c.unit_code]),
            "events": relationship(
                model.Event, lazy="select", cascade="all", order_by=tables.events.c.seq),
            "photos": relationship(
                model.Photo, lazy="selectin", cascade="all, delete-orphan"),
        },
    )
    event.listen(model.Incident, "before_insert", _copy_coordinates)
    event.listen(model.User.active, "set", _revoke_on_activity_change, active_history=True)
    _mapped = True


def _revoke_on_activity_change(user: model.User, value: bool, old: object, _initiator: object
                               ) -> None:
    """Whatever path disables (or re-enables) an account, its tokens issued before stop
    working: re-enabling must not bring back the tokens of before the deactivation."""
    if isinstance(old, bool) and bool(value) != old:
        user.token_version = (user.token_version or 0) + 1


def _copy_coordinates(_mapper: Any, _conn: Any, incident: model.Incident) -> None:
    incident._lon, incident._lat = incident.location.x, incident.location.y  # type: ignore[attr-defined]  # mapped columns the domain class does not declare


@event.listens_for(Session, "before_flush")
def _number_events(session: Session, _ctx: Any, _instances: Any) -> None:
    """Give each new event the next global seq, under the counter row's lock, and list its rooms.

    The counter row stays locked until commit, so two transactions cannot interleave their seqs:
    seqs appear to readers in the order they were committed.
    """
    new_events = sorted(
        (obj for obj in session.new if isinstance(obj, model.Event) and obj.seq is None),
        key=lambda ev: ev.ordinal)
    if not new_events:
        return
    if any(ev.incident_id is None for ev in new_events):
        raise ValueError("an incident event must name its incident")
    last = session.connection().execute(
        update(tables.event_counter).where(tables.event_counter.c.id == 1)
        .values(value=tables.event_counter.c.value + len(new_events))
        .returning(tables.event_counter.c.value)
    ).scalar_one()
    for seq, ev in enumerate(new_events, start=last - len(new_events) + 1):
        ev.seq = seq
    session.info.setdefault("events_written", []).extend(new_events)
    session.info.setdefault("audience_rows", []).extend(
        {"room": room, "seq": ev.seq} for ev in new_events for room in dict.fromkeys(ev.audience))


@event.listens_for(Session, "after_flush")
def _write_audience(session: Session, _ctx: Any) -> None:
    rows = session.info.pop("audience_rows", None)
    if rows:
        session.connection().execute(insert(tables.event_audience), rows)


@event.listens_for(Session, "after_rollback")
def _forget_audience(session: Session) -> None:
    session.info.pop("audience_rows", None)
    session.info.pop("events_written", None)
