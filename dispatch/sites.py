"""Enterprises' sites and project sites; a green-channel major project names a lead department."""

from __future__ import annotations

from shapely.geometry import Point

from dispatch.access import require_role
from dispatch.context import Context
from dispatch.errors import Forbidden, ValidationFailed
from dispatch.model import Role, Site, User


def register_site(ctx: Context, user: User, name: str, location: Point, address: str | None,
                  green_channel: bool, lead_department: str | None,
                  owner_id: str | None = None) -> Site:
    require_role(user, Role.REPORTER, Role.ADMIN)
    if user.role == Role.REPORTER:
        if green_channel or lead_department:
            raise Forbidden("only an administrator registers a green-channel major project")
        if owner_id not in (None, user.id):
            raise Forbidden("a reporter registers its own sites only")
        owner_id = user.id
    with ctx.uow() as uow:
        if owner_id is None:
            raise ValidationFailed.on("owner_id", "an administrator names the owning reporter")
        owner = uow.users.get(owner_id)
        if owner is None or owner.role != Role.REPORTER:
            raise ValidationFailed.on("owner_id", "no such reporter")
        if green_channel and not lead_department:
            lead_department = ctx.settings.green_channel_lead
        if lead_department is not None:
            unit = uow.units.get(lead_department)
            if unit is None or unit.kind != "department":
                raise ValidationFailed.on("lead_department", "no such department")
        ctx.locator.locate(uow, location.x, location.y)  # a site outside the city is refused
        site = Site(owner_id=owner_id, name=name, location=location, address=address,
                    green_channel=green_channel, lead_department=lead_department,
                    created_at=ctx.clock())
        uow.sites.add(site)
        uow.commit()
        return site


def list_sites(ctx: Context, user: User) -> list[Site]:
    require_role(user, Role.REPORTER, Role.ADMIN, Role.COMMANDER)
    with ctx.uow() as uow:
        return uow.sites.list(user.id if user.role == Role.REPORTER else None)
