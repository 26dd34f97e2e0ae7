"""Who may see and act on what. Invisible things answer 404, so their existence does not leak."""

from __future__ import annotations

from dispatch.errors import Forbidden, NotFound
from dispatch.events import COMMAND, dispatch_room, unit_room, user_room
from dispatch.model import Incident, Role, User


def can_see(user: User, incident: Incident) -> bool:
    if user.role in (Role.COMMANDER, Role.ADMIN):
        return True
    if user.role == Role.REPORTER:
        return incident.reporter_id == user.id
    if user.role in (Role.OFFICER, Role.DISPATCHER):
        return user.unit_code in incident.unit_codes()
    return False


def rooms_for(user: User) -> list[str]:
    """The real-time rooms a user hears, and so the events of a timeline they may read."""
    rooms = [user_room(user.id)]
    if user.role in (Role.COMMANDER, Role.ADMIN):
        rooms.append(COMMAND)
    if user.role in (Role.OFFICER, Role.DISPATCHER) and user.unit_code:
        rooms.append(unit_room(user.unit_code))
    if user.role == Role.DISPATCHER and user.unit_code:
        rooms.append(dispatch_room(user.unit_code))
    return rooms


def visible(user: User, incident: Incident | None, incident_id: str) -> Incident:
    if incident is None or not can_see(user, incident):
        raise NotFound(f"no incident {incident_id} that you may see")
    return incident


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        allowed = ", ".join(roles)
        raise Forbidden(f"this action is for the roles {allowed}; you are {user.role}")


def acting_unit(user: User, incident: Incident, *roles: Role) -> str:
    """The responsible unit on whose behalf the user acts (their own), after checking the role."""
    require_role(user, *roles)
    if user.unit_code is None or user.unit_code not in incident.unit_codes():
        # Callers check visibility first; this keeps the rule whole on its own.
        raise NotFound(f"no incident {incident.id} that you may see")
    return user.unit_code
