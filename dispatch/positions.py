"""Officers' GPS positions: the latest per officer (for ranking) and a history (for the record)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shapely.geometry import Point

from dispatch.access import require_role
from dispatch.context import Context
from dispatch.device_time import check_device_times
from dispatch.model import Role, User
from dispatch.utc import iso_utc

Fix = tuple[Point, float | None, datetime]


def record_positions(ctx: Context, officer: User, fixes: Sequence[Fix],
                     fields: Sequence[str] | None = None) -> int:
    """Stores a batch sent by a phone that may have been offline; returns how many were new.

    Every fix's device time must lie in the window around the server's clock, or the whole
    batch is refused before anything is written; `fields` names each fix's time in the
    request (by default `positions.<i>.recorded_at`, as in the HTTP batch)."""
    require_role(officer, Role.OFFICER)
    names = fields or [f"positions.{i}.recorded_at" for i in range(len(fixes))]
    check_device_times(zip(names, (at for _, _, at in fixes), strict=True), ctx.clock(),
                       ctx.settings.device_time)
    with ctx.uow() as uow:
        stored = uow.positions.add(officer, fixes, ctx.clock())
        seq = uow.positions.latest_id(officer.id)
        uow.commit()
    point, accuracy, at = max(fixes, key=lambda f: f[2])
    ctx.push_position(officer, {
        # Positions have their own growing seq: they are state, not history, and resync does
        # not replay them (the map asks for the latest positions instead).
        "seq": seq, "officer_id": officer.id, "name": officer.display_name,
        "unit": officer.unit_code, "lat": point.y, "lon": point.x, "accuracy_m": accuracy,
        "recorded_at": iso_utc(at)})
    return stored
