"""Who oversees the officers: command sees every unit's, a dispatcher its own unit's.

What the command map's "last seen" needs: each active officer's latest stored position, when
it was taken, whether the phone said it was mocked, and the case accepted and still worked
(`field_ports.OfficerStatus`). Anyone else is refused (403).
"""

from __future__ import annotations

from dispatch.access import require_role
from dispatch.context import Context, reader
from dispatch.field_ports import OfficerStatus
from dispatch.model import Role, User


def list_officers(ctx: Context, user: User) -> list[OfficerStatus]:
    require_role(user, Role.COMMANDER, Role.DISPATCHER)
    unit = user.unit_code if user.role == Role.DISPATCHER else None
    if user.role == Role.DISPATCHER and unit is None:
        return []  # a dispatcher of no unit oversees nobody
    with reader(ctx) as uow:
        return uow.officers.roster(unit)
