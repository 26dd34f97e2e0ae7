"""Boundary sets: imported whole, validated, stored as a new version, activated explicitly.

Incidents keep the set and territory they were matched to, so activating a newer set never moves an
old case to another town.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.context import Context
from dispatch.errors import NotFound
from dispatch.model import Unit, UnitKind
from geo.boundaries import BoundaryReport, Territory, validate


def import_boundary_set(ctx: Context, territories: Sequence[Territory], name: str,
                        label: str = "", source: str = "",
                        activate: bool = False) -> tuple[int, BoundaryReport]:
    report = validate(list(territories))
    with ctx.uow() as uow:
        for territory in territories:
            unit = uow.units.get(territory.code)
            if unit is None:
                uow.units.add(Unit(territory.code, territory.name, UnitKind.TERRITORY))
            else:
                unit.name = territory.name
        uow.flush()
        set_id = uow.boundaries.add_set(
            name, label, source, ctx.clock(),
            [(t.code, t.name, t.geometry) for t in territories])
        if activate:
            uow.boundaries.activate(set_id, ctx.clock())
        uow.commit()
    ctx.locator.invalidate()
    ctx.routing.invalidate()  # it may have added territorial units
    return set_id, report


def activate_boundary_set(ctx: Context, set_id: int) -> None:
    with ctx.uow() as uow:
        if uow.boundaries.get_set(set_id) is None:
            raise NotFound(f"no boundary set {set_id}")
        uow.boundaries.activate(set_id, ctx.clock())
        uow.commit()
    ctx.locator.invalidate()
