"""Accept, check in, restore, resolve on the fake unit of work: every role, the visibility of
another unit's case, the check-in radius and the deadlines exactly at their bounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from shapely.geometry import Point

from dispatch.errors import Conflict, Forbidden, NotFound, TooFarFromSite, ValidationFailed
from dispatch.fieldwork import accept, check_in, check_in_limit_m, resolve, restore
from dispatch.model import Incident, Status
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import OverdueRecord
from geo.distance import geodesic_distance_m, offset_point
from tests.unit.fakes import EAST, IN_WEST, POWER, T0, WEST, World, new_world

def _case(w: World) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="no power", location=IN_WEST))
    w.rec.published.clear()
    return incident


@pytest.fixture
def w() -> World:
    return new_world()


def _at(distance_m: float, azimuth: float = 37.0) -> Point:
    return Point(*offset_point(IN_WEST.x, IN_WEST.y, azimuth, distance_m))


def _on_site(w: World, incident: Incident, who: str = "officer") -> None:
    check_in(w.ctx, w.user(who), incident.id, IN_WEST, 5.0, None)


# -- accept ---------------------------------------------------------------------------------

def test_an_officer_of_a_responsible_unit_accepts_for_the_unit_once(w: World) -> None:
    incident = _case(w)
    w.clock.advance(minutes=1)
    accept(w.ctx, w.user("officer"), incident.id)
    accept(w.ctx, w.user("officer2"), incident.id)  # the unit's task is taken: unchanged
    stored = w.incident(incident.id)
    a = stored.assignment(WEST)
    assert a is not None and (a.accepted_at, a.accepted_by) == (w.clock.now, w.user("officer").id)
    assert [e.type for e in w.events(incident.id)].count("accepted") == 1
    assert [e.type for e in w.rec.published] == ["accepted"]


@pytest.mark.parametrize("who, error", [
    ("reporter", Forbidden), ("dispatcher", Forbidden), ("dispatcher_power", Forbidden),
    ("commander", Forbidden), ("admin", Forbidden),
    ("reporter2", NotFound), ("officer_east", NotFound),
])
def test_who_may_not_accept(w: World, who: str, error: type[Exception]) -> None:
    incident = _case(w)
    before = w.db.snapshot()
    with pytest.raises(error):
        accept(w.ctx, w.user(who), incident.id)
    assert w.db.state == before


def test_an_unknown_case_is_not_found(w: World) -> None:
    with pytest.raises(NotFound):
        accept(w.ctx, w.user("officer"), "nope")


# -- check in: the radius -------------------------------------------------------------------

def _exactly(w: World, distance_m: float) -> tuple[Point, float]:
    """A fix about `distance_m` away, and its distance exactly as the rule measures it."""
    fix = _at(distance_m)
    return fix, geodesic_distance_m(fix.x, fix.y, IN_WEST.x, IN_WEST.y)


@pytest.mark.parametrize("accuracy, allowance", [
    (None, 0.0), (0.0, 0.0), (-30.0, 0.0), (50.0, 50.0), (100.0, 100.0), (150.0, 100.0)])
def test_a_check_in_exactly_at_the_limit_arrives(accuracy: float | None,
                                                 allowance: float) -> None:
    """The limit is the radius plus the fix's accuracy, capped; exactly at it counts."""
    probe = new_world()
    fix, d = _exactly(probe, 200.0 + allowance)
    w = new_world(checkin_radius_m=d - allowance)
    assert check_in_limit_m(w.ctx, accuracy) == d
    incident = _case(w)
    check_in(w.ctx, w.user("officer"), incident.id, fix, accuracy, None)
    a = w.incident(incident.id).assignment(WEST)
    assert a is not None and a.arrived_at == T0 and a.arrival_distance_m == round(d, 1)


@pytest.mark.parametrize("accuracy, allowance", [
    (None, 0.0), (0.0, 0.0), (-30.0, 0.0), (50.0, 50.0), (100.0, 100.0), (150.0, 100.0),
    (10_000.0, 100.0)])
def test_a_check_in_one_metre_past_the_limit_is_refused_and_writes_nothing(
        w: World, accuracy: float | None, allowance: float) -> None:
    """With the rule's defaults: 200 m, plus the accuracy up to 100 m."""
    assert (w.ctx.settings.checkin_radius_m, w.ctx.settings.checkin_accuracy_cap_m) == (200, 100)
    incident = _case(w)
    before = w.db.snapshot()
    with pytest.raises(TooFarFromSite) as refused:
        check_in(w.ctx, w.user("officer"), incident.id, _at(200.0 + allowance + 1.0), accuracy,
                 None)
    assert refused.value.errors[0].field == "location"
    assert w.db.state == before
    # A metre inside, with the same accuracy, arrives.
    check_in(w.ctx, w.user("officer"), incident.id, _at(200.0 + allowance - 1.0), accuracy, None)
    assert w.incident(incident.id).status == Status.ON_SITE


def test_the_arrival_is_the_servers_time_and_the_case_goes_on_site(w: World) -> None:
    incident = _case(w)
    w.clock.advance(minutes=7)
    device = w.clock.now - timedelta(minutes=2)
    check_in(w.ctx, w.user("officer"), incident.id, _at(10.0), 5.0, device)
    stored = w.incident(incident.id)
    a = stored.assignment(WEST)
    assert a is not None
    assert (a.arrived_at, a.arrival_device_time, a.accepted_at) == (w.clock.now, device,
                                                                    w.clock.now)
    assert stored.status == Status.ON_SITE
    assert [e.type for e in w.rec.published] == ["arrived"]


@pytest.mark.parametrize("late, on_time", [(timedelta(0), True), (timedelta(seconds=1), False)])
def test_arrival_on_time_at_the_deadline_and_late_one_second_after(
        w: World, late: timedelta, on_time: bool) -> None:
    incident = _case(w)
    w.clock.now = incident.arrival_due + late
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None)
    arrived = [e for e in w.events(incident.id) if e.type == "arrived"]
    assert [e.data["on_time"] for e in arrived] == [on_time]


def test_a_late_arrival_meets_the_units_overdue_record(w: World) -> None:
    incident = _case(w)
    due = incident.arrival_due
    with w.db.uow() as uow:
        uow.accountability.add_once(OverdueRecord(incident.id, WEST, "arrival", due, due))
        uow.accountability.add_once(OverdueRecord(incident.id, POWER, "arrival", due, due))
        uow.commit()
    w.clock.now = due + timedelta(seconds=90)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None)
    with w.db.uow() as uow:
        records = {r.unit_code: r for r in uow.accountability.for_incident(incident.id)}
    assert (records[WEST].met_at, records[WEST].late_by_seconds) == (w.clock.now, 90.0)
    assert records[POWER].met_at is None  # the other unit has not arrived


def test_a_second_check_in_of_the_unit_changes_nothing(w: World) -> None:
    incident = _case(w)
    _on_site(w, incident)
    w.clock.advance(minutes=1)
    w.rec.published.clear()
    check_in(w.ctx, w.user("officer2"), incident.id, IN_WEST, None, None)
    a = w.incident(incident.id).assignment(WEST)
    assert a is not None and (a.arrived_at, a.arrived_by) == (T0, w.user("officer").id)
    assert w.rec.published == []


@pytest.mark.parametrize("who, error", [
    ("reporter", Forbidden), ("dispatcher", Forbidden), ("commander", Forbidden),
    ("admin", Forbidden), ("reporter2", NotFound), ("officer_east", NotFound)])
def test_who_may_not_check_in(w: World, who: str, error: type[Exception]) -> None:
    incident = _case(w)
    before = w.db.snapshot()
    with pytest.raises(error):
        check_in(w.ctx, w.user(who), incident.id, IN_WEST, None, None)
    assert w.db.state == before


def test_another_units_officer_cannot_learn_of_the_case_even_from_afar(w: World) -> None:
    """Visibility first: a case out of scope is NotFound, never 'too far'."""
    incident = _case(w)
    with pytest.raises(NotFound):
        check_in(w.ctx, w.user("officer_east"), incident.id, _at(5000.0), None, None)


# -- check in: the device's time --------------------------------------------------------------

def _device_bounds(w: World) -> tuple[datetime, datetime]:
    window = w.ctx.settings.device_time
    return w.clock.now + window.ahead, w.clock.now - window.max_age


@pytest.mark.parametrize("edge", [0, 1])
def test_a_device_time_at_the_window_edges_is_believed(w: World, edge: int) -> None:
    incident = _case(w)
    device = _device_bounds(w)[edge]
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, device)
    a = w.incident(incident.id).assignment(WEST)
    assert a is not None and a.arrival_device_time == device


@pytest.mark.parametrize("edge, step", [(0, timedelta(seconds=1)), (1, -timedelta(seconds=1))])
def test_a_device_time_one_second_outside_the_window_is_refused(
        w: World, edge: int, step: timedelta) -> None:
    incident = _case(w)
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None,
                 _device_bounds(w)[edge] + step, idempotency_key="k")
    assert refused.value.errors[0].field == "recorded_at"
    assert w.db.state == before


# -- check in: idempotency ------------------------------------------------------------------

def test_a_retried_check_in_is_replayed_even_once_its_device_time_is_old(w: World) -> None:
    incident = _case(w)
    device = w.clock.now
    check_in(w.ctx, w.user("officer"), incident.id, _at(20.0), 8.0, device,
             idempotency_key="ci")
    written = len(w.db.state.log)
    w.clock.now = device + w.ctx.settings.device_time.max_age + timedelta(hours=1)
    replayed = check_in(w.ctx, w.user("officer"), incident.id, _at(20.0), 8.0, device,
                        idempotency_key="ci")
    assert replayed.status == Status.ON_SITE and len(w.db.state.log) == written


def test_a_check_in_key_reused_for_another_fix_is_refused(w: World) -> None:
    incident = _case(w)
    check_in(w.ctx, w.user("officer"), incident.id, _at(20.0), 8.0, None, idempotency_key="ci")
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        check_in(w.ctx, w.user("officer"), incident.id, _at(30.0), 8.0, None,
                 idempotency_key="ci")
    assert refused.value.errors[0].field == "Idempotency-Key"
    assert w.db.state == before


def test_a_replayed_check_in_still_checks_visibility(w: World) -> None:
    """An officer moved to another unit since: the replay does not show the old unit's case."""
    incident = _case(w)
    officer = w.user("officer")
    check_in(w.ctx, officer, incident.id, IN_WEST, None, None, idempotency_key="k")
    moved = replace(officer, unit_code=EAST)
    with pytest.raises(NotFound):
        check_in(w.ctx, moved, incident.id, IN_WEST, None, None, idempotency_key="k")


# -- restore --------------------------------------------------------------------------------

@pytest.mark.parametrize("late, on_time", [(timedelta(0), True), (timedelta(seconds=1), False)])
def test_restore_on_time_at_the_deadline_and_late_one_second_after(
        w: World, late: timedelta, on_time: bool) -> None:
    incident = _case(w)
    _on_site(w, incident)
    w.clock.now = incident.restore_due + late
    restore(w.ctx, w.user("officer"), incident.id, "power back")
    stored = w.incident(incident.id)
    assert (stored.status, stored.restored_at, stored.restore_note) == (
        Status.RESTORED, w.clock.now, "power back")
    assert [e.data["on_time"] for e in w.events(incident.id) if e.type == "restored"] == [
        on_time]


def test_restore_needs_a_unit_on_site(w: World) -> None:
    incident = _case(w)
    before = w.db.snapshot()
    with pytest.raises(Conflict):
        restore(w.ctx, w.user("officer"), incident.id, "power back")
    assert w.db.state == before


def test_any_officer_of_a_responsible_unit_restores_and_a_repeat_changes_nothing(
        w: World) -> None:
    incident = _case(w)
    _on_site(w, incident)  # the west unit arrived; the power department's officer restores
    restore(w.ctx, w.user("officer_power"), incident.id, "fixed")
    w.rec.published.clear()
    restore(w.ctx, w.user("officer_power"), incident.id, "fixed")
    assert w.rec.published == []
    with pytest.raises(Conflict):  # someone else, or another note: out of order
        restore(w.ctx, w.user("officer"), incident.id, "fixed")


def test_restore_meets_every_units_overdue_record(w: World) -> None:
    incident = _case(w)
    _on_site(w, incident)
    due = incident.restore_due
    with w.db.uow() as uow:
        for unit in (WEST, POWER):
            uow.accountability.add_once(OverdueRecord(incident.id, unit, "restore", due, due))
        uow.commit()
    w.clock.now = due + timedelta(seconds=5)
    restore(w.ctx, w.user("officer"), incident.id, "ok")
    with w.db.uow() as uow:
        assert [(r.met_at, r.late_by_seconds) for r in uow.accountability.for_incident(
            incident.id)] == [(w.clock.now, 5.0)] * 2


@pytest.mark.parametrize("who, error", [
    ("reporter", Forbidden), ("dispatcher", Forbidden), ("dispatcher_power", Forbidden),
    ("commander", Forbidden), ("admin", Forbidden), ("reporter2", NotFound),
    ("officer_east", NotFound)])
def test_only_an_officer_restores(w: World, who: str, error: type[Exception]) -> None:
    incident = _case(w)
    _on_site(w, incident)
    before = w.db.snapshot()
    with pytest.raises(error):
        restore(w.ctx, w.user(who), incident.id, "ok")
    assert w.db.state == before


# -- resolve --------------------------------------------------------------------------------

def _restored(w: World) -> Incident:
    incident = _case(w)
    _on_site(w, incident)
    restore(w.ctx, w.user("officer"), incident.id, "power back")
    return incident


@pytest.mark.parametrize("late, on_time", [(timedelta(0), True), (timedelta(seconds=1), False)])
def test_resolve_on_time_at_the_deadline_and_late_one_second_after(
        w: World, late: timedelta, on_time: bool) -> None:
    incident = _restored(w)
    w.clock.now = incident.resolve_due + late
    resolve(w.ctx, w.user("officer"), incident.id, "cable replaced")
    stored = w.incident(incident.id)
    assert (stored.status, stored.resolved_at) == (Status.RESOLVED, w.clock.now)
    assert [e.data["on_time"] for e in w.events(incident.id) if e.type == "resolved"] == [
        on_time]


@pytest.mark.parametrize("who", ["officer", "officer_power", "dispatcher", "dispatcher_power"])
def test_an_officer_or_a_dispatcher_of_a_responsible_unit_resolves(w: World, who: str) -> None:
    incident = _restored(w)
    resolve(w.ctx, w.user(who), incident.id, "done")
    assert w.incident(incident.id).resolved_by == w.user(who).id


@pytest.mark.parametrize("who, error", [
    ("reporter", Forbidden), ("commander", Forbidden), ("admin", Forbidden),
    ("reporter2", NotFound), ("officer_east", NotFound)])
def test_who_may_not_resolve(w: World, who: str, error: type[Exception]) -> None:
    incident = _restored(w)
    before = w.db.snapshot()
    with pytest.raises(error):
        resolve(w.ctx, w.user(who), incident.id, "done")
    assert w.db.state == before


def test_resolve_needs_order_restored_first(w: World) -> None:
    incident = _case(w)
    _on_site(w, incident)
    with pytest.raises(Conflict):
        resolve(w.ctx, w.user("dispatcher"), incident.id, "done")


def test_a_resolved_case_takes_no_more_check_ins_or_accepts(w: World) -> None:
    incident = _restored(w)
    resolve(w.ctx, w.user("officer"), incident.id, "done")
    for act in (lambda: accept(w.ctx, w.user("officer_power"), incident.id),
                lambda: check_in(w.ctx, w.user("officer_power"), incident.id, IN_WEST, None,
                                 None)):
        with pytest.raises(Conflict):
            act()

