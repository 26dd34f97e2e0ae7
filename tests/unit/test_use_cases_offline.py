"""Offline actions through the use cases, on the fake: an offline check-in counts at its device
time when the stored positions vouch for it and at the upload otherwise; a too fast check-in is
refused writing nothing; restore and resolve keep their device time and count at the server's;
positions are flagged and the mock-location flag is kept; the roster shows command the last
position of each officer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import Point

from dispatch.errors import Forbidden, ImplausibleSpeed, ValidationFailed
from dispatch.fieldwork import check_in, resolve, restore
from dispatch.model import Counted, Incident, Milestone, Status
from dispatch.officers import list_officers
from dispatch.positions import record_positions
from dispatch.reporting import NewReport, report_incident
from geo.distance import offset_point
from tests.unit.fakes import EAST, IN_EAST, IN_WEST, POWER, WEST, World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def _case(w: World) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        "power_cut", "no power", IN_WEST))
    return incident


def _near(metres: float) -> Point:
    return Point(*offset_point(IN_WEST.x, IN_WEST.y, 90.0, metres))


def test_an_offline_check_in_the_positions_vouch_for_counts_at_its_device_time(w: World) -> None:
    case = _case(w)
    device = w.clock.now + timedelta(minutes=20)
    w.clock.now = case.received_at + timedelta(minutes=50)  # uploaded past the 30 min deadline
    # The phone sends its position backlog first, then its queued check-in.
    record_positions(w.ctx, w.user("officer"), [(_near(50.0), 8.0, device - timedelta(minutes=3))])
    check_in(w.ctx, w.user("officer"), case.id, _near(20.0), 6.0, device, mock_location=True)
    stored = w.incident(case.id)
    a = stored.assignment(WEST)
    assert a is not None
    assert (a.arrived_at, a.arrival_device_time, a.arrival_sent_late, a.arrival_counted_at,
            a.arrival_mock_location) == (device, device, True, "device", True)
    assert stored.status == Status.ON_SITE
    [arrived] = [e for e in w.events(case.id) if e.type == "arrived"]
    assert arrived.at == device and arrived.data["on_time"] is True
    assert (arrived.data["device_time"], arrived.data["sent_late"],
            arrived.data["counted_at"]) == ("2026-11-27T02:20:00Z", True, "device")
    assert arrived.snapshot["units"][0]["arrival_counted_at"] == "device"
    assert w.db.state.overdue == []  # met at the device time, before the deadline


def test_without_position_history_it_counts_at_the_upload_and_is_late(w: World) -> None:
    case = _case(w)
    device = w.clock.now + timedelta(minutes=20)
    w.clock.now = case.received_at + timedelta(minutes=50)
    check_in(w.ctx, w.user("officer"), case.id, _near(20.0), 6.0, device)
    a = w.incident(case.id).assignment(WEST)
    assert a is not None
    assert (a.arrived_at, a.arrival_counted_at, a.arrival_sent_late) == (
        w.clock.now, Counted.UPLOAD, True)
    assert a.arrival_count_reason == "no stored position within 10 min of the device time"
    [record] = [r for r in w.db.state.overdue if r.milestone == Milestone.ARRIVAL]
    assert (record.unit_code, record.met_at) == (WEST, w.clock.now)


def test_a_live_check_in_counts_at_the_upload_and_is_not_late(w: World) -> None:
    case = _case(w)
    w.clock.advance(minutes=5)
    check_in(w.ctx, w.user("officer"), case.id, _near(20.0), 6.0, w.clock.now - timedelta(
        seconds=60))
    a = w.incident(case.id).assignment(WEST)
    assert a is not None and (a.arrived_at, a.arrival_sent_late) == (w.clock.now, False)


def test_a_check_in_too_fast_from_the_previous_position_is_refused_writing_nothing(
        w: World) -> None:
    case = _case(w)
    record_positions(w.ctx, w.user("officer"),
                     [(IN_EAST, 5.0, w.clock.now - timedelta(minutes=1))])  # 9 km away
    before = w.db.snapshot()
    with pytest.raises(ImplausibleSpeed) as refused:
        check_in(w.ctx, w.user("officer"), case.id, _near(10.0), 5.0, None)
    assert refused.value.status == 422
    [error] = refused.value.errors
    assert error.field == "location" and "546 km/h" in error.message
    assert w.db.state == before


def test_a_check_in_at_a_plausible_speed_arrives(w: World) -> None:
    case = _case(w)
    record_positions(w.ctx, w.user("officer"),
                     [(IN_EAST, 5.0, w.clock.now - timedelta(minutes=3))])  # 9 km in 3 min
    w.clock.advance(minutes=1)  # 9.1 km less 10 m of accuracies in 4 min: about 136 km/h
    check_in(w.ctx, w.user("officer"), case.id, _near(10.0), 5.0, None)
    assert w.incident(case.id).status == Status.ON_SITE


def test_restore_and_resolve_keep_their_device_time_and_count_at_the_servers(w: World) -> None:
    case = _case(w)
    check_in(w.ctx, w.user("officer"), case.id, _near(10.0), 5.0, None)
    w.clock.advance(minutes=10)
    sent = w.clock.now - timedelta(minutes=3)
    restore(w.ctx, w.user("officer"), case.id, "通电了", sent)
    w.clock.advance(minutes=10)
    resolve(w.ctx, w.user("officer"), case.id, "换线", w.clock.now - timedelta(seconds=60))
    stored = w.incident(case.id)
    assert (stored.restored_at, stored.restore_device_time, stored.restore_sent_late) == (
        w.clock.now - timedelta(minutes=10), sent, True)
    assert (stored.resolved_at, stored.resolve_sent_late) == (w.clock.now, False)
    restored = next(e for e in w.events(case.id) if e.type == "restored")
    assert (restored.data["device_time"], restored.data["sent_late"]) == (
        "2026-11-27T02:07:00Z", True)


def test_a_restore_with_a_device_time_out_of_the_window_is_refused(w: World) -> None:
    case = _case(w)
    check_in(w.ctx, w.user("officer"), case.id, _near(10.0), 5.0, None)
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        restore(w.ctx, w.user("officer"), case.id, "ok", w.clock.now - timedelta(hours=25))
    assert refused.value.errors[0].field == "recorded_at" and w.db.state == before


def test_a_fix_too_fast_is_stored_flagged_and_never_becomes_the_latest(w: World) -> None:
    officer = w.user("officer")
    record_positions(w.ctx, officer, [(IN_WEST, 5.0, w.clock.now - timedelta(minutes=2))])
    record_positions(w.ctx, officer, [(IN_EAST, 5.0, w.clock.now - timedelta(minutes=1))],
                     mock=[True])
    stored = {p.recorded_at: p for p in w.db.state.positions}
    jump = stored[w.clock.now - timedelta(minutes=1)]
    assert jump.flagged_speed_kmh == pytest.approx(546.5, abs=1.0) and jump.mock_location
    assert w.db.state.last_positions[officer.id].location.equals(IN_WEST)
    _, pushed = w.rec.pushed[-1]
    assert pushed["flagged_speed_kmh"] == jump.flagged_speed_kmh
    assert pushed["mock_location"] is True
    # The next honest fix near the first is judged from it, not from the flagged one.
    record_positions(w.ctx, officer, [(_near(100.0), 5.0, w.clock.now)])
    assert w.db.state.last_positions[officer.id].location.equals(_near(100.0))
    assert all(p.flagged_speed_kmh is None for p in w.db.state.positions
               if p.recorded_at == w.clock.now)


def test_command_sees_every_officer_and_a_dispatcher_its_units(w: World) -> None:
    case = _case(w)
    record_positions(w.ctx, w.user("officer"), [(_near(30.0), 7.0, w.clock.now)], mock=[False])
    check_in(w.ctx, w.user("officer"), case.id, _near(10.0), 5.0, None)
    everyone = list_officers(w.ctx, w.user("commander"))
    assert {o.unit_code for o in everyone} == {WEST, EAST, POWER}
    [me] = [o for o in everyone if o.username == "officer"]
    assert (me.last_seen_at, me.accuracy_m, me.mock_location) == (w.clock.now, 7.0, False)
    assert me.case is not None and me.case.case_number == case.case_number
    [other] = [o for o in everyone if o.username == "officer2"]
    assert (other.last_seen_at, other.lat, other.case) == (None, None, None)
    assert {o.username for o in list_officers(w.ctx, w.user("dispatcher"))} == {
        "officer", "officer2"}
    for who in ("officer", "reporter", "admin"):
        with pytest.raises(Forbidden):
            list_officers(w.ctx, w.user(who))
