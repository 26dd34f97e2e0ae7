"""Maps the plain domain classes onto the tables (events are written by `event_log`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import QueryContext, Session, object_session, registry, relationship

from dispatch import model, timers
from dispatch.storage import event_log, tables

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
            "photos": relationship(
                model.Photo, lazy="selectin", cascade="all, delete-orphan"),
        },
    )
    # `Incident.events` is not mapped: a loaded case holds the events recorded since it was
    # loaded (the history is read with `Incidents.events`), and the unit of work writes them.
    event.listen(model.Incident, "load", _track_loaded)
    event.listen(model.Incident, "before_insert", _copy_coordinates)
    event.listen(model.User.active, "set", _revoke_on_activity_change, active_history=True)
    event.listen(model.User.token_version, "set", _note_user_change)
    _mapped = True


def _revoke_on_activity_change(user: model.User, value: bool, old: object, _initiator: object
                               ) -> None:
    """Whatever path disables (or re-enables) an account, its tokens issued before stop
    working: re-enabling must not bring back the tokens of before the deactivation."""
    if isinstance(old, bool) and bool(value) != old:
        user.token_version = (user.token_version or 0) + 1


# Called after a commit with the ids of the users whose token version changed in it (the web
# process forgets them from its token cache); registered by the composition root.
_user_change_listeners: list[Callable[[set[str]], None]] = []


def on_user_change(listener: Callable[[set[str]], None]) -> None:
    _user_change_listeners.append(listener)


def _note_user_change(user: model.User, _value: int, _old: object, _initiator: object) -> None:
    session = object_session(user)
    if session is not None:
        session.info.setdefault("users_changed", set()).add(user.id)


@event.listens_for(Session, "after_commit")
def _tell_user_changes(session: Session) -> None:
    changed = session.info.pop("users_changed", None)
    if changed:
        for listener in _user_change_listeners:
            listener(changed)


def _copy_coordinates(_mapper: Any, _conn: Any, incident: model.Incident) -> None:
    incident._lon, incident._lat = incident.location.x, incident.location.y  # type: ignore[attr-defined]  # mapped columns the domain class does not declare


def _track_loaded(incident: model.Incident, context: QueryContext) -> None:
    incident.events = []
    event_log.track(context.session, incident)


@event.listens_for(Session, "after_rollback")
def _forget_events(session: Session) -> None:
    event_log.forget(session)
    session.info.pop("users_changed", None)
