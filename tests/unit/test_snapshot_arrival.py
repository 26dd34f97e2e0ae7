"""What the snapshot of a case (`dispatch.snapshots.snapshot`) carries of a unit's arrival: the
phone's own time of the check-in beside the server's, so a timeline can show both."""

from __future__ import annotations

from datetime import timedelta

from dispatch.fieldwork import check_in
from dispatch.reporting import NewReport, report_incident
from dispatch.snapshots import snapshot
from dispatch.utc import iso_utc
from tests.unit.fakes import IN_WEST, WEST, new_world


def test_a_unit_s_arrival_shows_the_device_time_and_the_server_s() -> None:
    w = new_world()
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport("other", "门口堵了", IN_WEST))
    w.clock.advance(minutes=7)
    device = w.clock.now - timedelta(minutes=2)
    check_in(w.ctx, w.user("officer"), case.id, IN_WEST, 5.0, device)
    [unit] = [u for u in snapshot(w.incident(case.id))["units"] if u["code"] == WEST]
    assert (unit["arrival_device_time"], unit["arrived_at"]) == (
        iso_utc(device), iso_utc(w.clock.now))
