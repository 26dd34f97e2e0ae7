"""Officers' GPS positions: the latest per officer (for ranking) and a history (for the record,
and for judging offline check-ins and speeds: `dispatch.offline`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shapely.geometry import Point

from dispatch import offline
from dispatch.access import require_role
from dispatch.context import Context
from dispatch.device_time import check_device_times
from dispatch.field_ports import FixNote
from dispatch.model import Role, User
from dispatch.utc import iso_utc

Fix = tuple[Point, float | None, datetime]


def record_positions(ctx: Context, officer: User, fixes: Sequence[Fix],
                     fields: Sequence[str] | None = None,
                     mock: Sequence[bool | None] | None = None) -> int:
    """Stores a batch sent by a phone that may have been offline; returns how many were new.

    Every fix's device time must lie in the window around the server's clock, or the whole
    batch is refused before anything is written; `fields` names each fix's time in the
    request (by default `positions.<i>.recorded_at`, as in the HTTP batch). `mock`: each fix's
    mock-location flag as the phone sent it. A fix implying more than the speed limit from the
    officer's previous one is stored flagged, with its speed (`dispatch.offline.flag_batch`),
    and never becomes the latest position.

    The map is pushed the batch's newest fix only when no later fix is stored: a phone sends its
    newest fix first and its offline backlog after it, and the backlog must not move the
    officer's dot back to where it was."""
    require_role(officer, Role.OFFICER)
    names = fields or [f"positions.{i}.recorded_at" for i in range(len(fixes))]
    check_device_times(zip(names, (at for _, _, at in fixes), strict=True), ctx.clock(),
                       ctx.settings.device_time)
    rules = ctx.settings.offline
    batch = [offline.TrailFix(at, point.x, point.y, accuracy) for point, accuracy, at in fixes]
    with ctx.uow() as uow:
        newest = max(f.at for f in batch)
        # Up to the device-time window ahead of the clock: every stored fix lies before it, so
        # the trail also shows whether a later fix than this batch's newest is stored.
        trail = uow.officers.trail(officer.id, min(f.at for f in batch),
                                   ctx.clock() + ctx.settings.device_time.ahead)
        flagged = offline.flag_batch(trail, batch, ctx.settings.checkin_accuracy_cap_m, rules)
        marks = mock or [None] * len(fixes)
        notes = {at: FixNote(flag, flagged.get(at))
                 for (_, _, at), flag in zip(fixes, marks, strict=True)
                 if flag is not None or at in flagged}
        stored = uow.positions.add(officer, fixes, ctx.clock(), notes)
        seq = uow.positions.latest_id(officer.id)
        uow.commit()
    if any(fix.at > newest for fix in trail):
        return stored
    index, (point, accuracy, at) = max(enumerate(fixes), key=lambda f: f[1][2])
    ctx.push_position(officer, {
        # Positions have their own growing seq: they are state, not history, and resync does
        # not replay them (the map asks for the latest positions instead).
        "seq": seq, "officer_id": officer.id, "name": officer.display_name,
        "unit": officer.unit_code, "lat": point.y, "lon": point.x, "accuracy_m": accuracy,
        "recorded_at": iso_utc(at), "last_seen_at": iso_utc(at),
        "mock_location": marks[index], "flagged_speed_kmh": flagged.get(at)})
    return stored
