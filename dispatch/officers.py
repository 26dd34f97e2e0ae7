"""Who oversees the officers: command sees every unit's, a dispatcher its own unit's.

What the command map's "last seen" needs: each active officer's latest stored position, when
it was taken, whether the phone said it was mocked, and the case accepted and still worked
(`field_ports.OfficerStatus`), with how far they are from its site and a rough time to get
there (`dispatch.ontheway`); and an officer's trail of the last minutes. Anyone else is refused
(403); an officer one may not oversee is not found (404), as a case one may not see is not.
"""

from __future__ import annotations

from datetime import datetime

from dispatch.access import require_role
from dispatch.context import Context, reader
from dispatch.errors import NotFound
from dispatch.field_ports import OfficerStatus
from dispatch.model import Role, User
from dispatch.offline import TrailFix
from dispatch.ontheway import OnTheWay, on_the_way, trail_start


def list_officers(ctx: Context, user: User) -> list[OfficerStatus]:
    require_role(user, Role.COMMANDER, Role.DISPATCHER)
    unit = user.unit_code if user.role == Role.DISPATCHER else None
    if user.role == Role.DISPATCHER and unit is None:
        return []  # a dispatcher of no unit oversees nobody
    with reader(ctx) as uow:
        return uow.officers.roster(unit)


def way_to_case(ctx: Context, o: OfficerStatus) -> OnTheWay | None:
    """The officer's distance and rough time to their case's site; None without a fix or case."""
    if o.case is None or o.case.lon is None or o.case.lat is None or o.lon is None \
            or o.lat is None:
        return None
    return on_the_way(o.lon, o.lat, o.case.lon, o.case.lat, ctx.settings.travel_speed_kmh)


def officer_trail(ctx: Context, user: User, officer_id: str,
                  minutes: int | None = None) -> tuple[datetime, list[TrailFix]]:
    """The officer's unflagged fixes of the last `minutes` (the setting's when None), oldest
    first, and the instant the window starts: for command, or the officer's own dispatcher."""
    require_role(user, Role.COMMANDER, Role.DISPATCHER)
    now = ctx.clock()
    start = trail_start(now, minutes or ctx.settings.trail_minutes)
    with reader(ctx) as uow:
        officer = uow.users.get(officer_id)
        if officer is None or officer.role != Role.OFFICER or (
                user.role == Role.DISPATCHER and officer.unit_code != user.unit_code):
            raise NotFound(f"no officer {officer_id} that you may oversee")
        fixes = uow.officers.trail(officer_id, start, now)
    # The repository adds the last fix before the window (a trail's origin); it is not "the
    # last N minutes", so it is left out here.
    return start, [f for f in fixes if f.at >= start]
