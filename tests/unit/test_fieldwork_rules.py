"""Field work, value by value: the case is read under its lock, the messages a refused officer
reads, what a check-in's Idempotency-Key keeps, and the resolve's note and overdue records."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from shapely.geometry import Point

from dispatch.errors import NotFound, TooFarFromSite
from dispatch.fieldwork import accept, check_in, resolve, restore
from dispatch.idempotency import request_fingerprint
from dispatch.model import Incident, Status
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import OverdueRecord
from geo.distance import offset_point
from tests.unit.fakes import (
    IN_WEST, POWER, T0, WEST, FakeDatabase, FakeIncidents, FakeUnitOfWork, World, new_world,
)


@pytest.fixture
def w() -> World:
    return new_world()


def _case(w: World) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="no power", location=IN_WEST))
    return incident


def _restored(w: World) -> Incident:
    incident = _case(w)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None)
    restore(w.ctx, w.user("officer"), incident.id, "power back")
    return incident


# -- the case's lock ----------------------------------------------------------------------------

class _LockingIncidents(FakeIncidents):
    reads: list[tuple[str, bool]] = []

    def get(self, incident_id: str, for_update: bool = False) -> Incident | None:
        self.reads.append((incident_id, for_update))
        return super().get(incident_id, for_update)


def _locking_uow(db: FakeDatabase) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(db)
    uow.incidents = _LockingIncidents(uow)
    return uow


@pytest.mark.parametrize("act", ["accept", "check_in", "restore", "resolve"])
def test_every_change_to_a_case_reads_it_under_its_lock(act: str) -> None:
    w = new_world()
    incident = _restored(w) if act == "resolve" else _case(w)
    if act == "restore":
        check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None)
    ctx = replace(w.ctx, uow=partial(_locking_uow, w.db))
    _LockingIncidents.reads = []
    calls: dict[str, Any] = {
        "accept": lambda: accept(ctx, w.user("officer"), incident.id),
        "check_in": lambda: check_in(ctx, w.user("officer"), incident.id, IN_WEST, None, None),
        "restore": lambda: restore(ctx, w.user("officer"), incident.id, "ok"),
        "resolve": lambda: resolve(ctx, w.user("officer"), incident.id, "ok"),
    }
    calls[act]()
    assert _LockingIncidents.reads == [(incident.id, True)]


# -- what a refused officer reads ---------------------------------------------------------------

@pytest.mark.parametrize("act", ["accept", "check_in", "restore", "resolve"])
def test_a_case_out_of_sight_is_not_found_by_its_id(w: World, act: str) -> None:
    incident = _case(w)
    east = w.user("officer_east")
    calls: dict[str, Any] = {
        "accept": lambda: accept(w.ctx, east, incident.id),
        "check_in": lambda: check_in(w.ctx, east, incident.id, IN_WEST, None, None),
        "restore": lambda: restore(w.ctx, east, incident.id, "ok"),
        "resolve": lambda: resolve(w.ctx, east, incident.id, "ok"),
    }
    with pytest.raises(NotFound) as refused:
        calls[act]()
    assert refused.value.detail == f"no incident {incident.id} that you may see"


def test_a_replayed_check_in_out_of_sight_is_not_found_by_its_id(w: World) -> None:
    incident = _case(w)
    officer = w.user("officer")
    check_in(w.ctx, officer, incident.id, IN_WEST, None, None, idempotency_key="k")
    with pytest.raises(NotFound) as refused:
        check_in(w.ctx, replace(officer, unit_code="east"), incident.id, IN_WEST, None, None,
                 idempotency_key="k")
    assert refused.value.detail == f"no incident {incident.id} that you may see"


def test_too_far_tells_the_officer_the_distance_and_the_limit(w: World) -> None:
    incident = _case(w)
    far = Point(*offset_point(IN_WEST.x, IN_WEST.y, 90.0, 1234.0))
    with pytest.raises(TooFarFromSite) as refused:
        check_in(w.ctx, w.user("officer"), incident.id, far, 40.0, None)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("location", "you are 1234 m from the site; a check-in must be within 240 m")]


# -- a check-in's Idempotency-Key -----------------------------------------------------------------

def test_the_key_of_a_check_in_keeps_its_scope_case_time_and_request(w: World) -> None:
    incident = _case(w)
    w.clock.advance(minutes=4)
    fix = Point(*offset_point(IN_WEST.x, IN_WEST.y, 10.0, 12.0))
    officer = w.user("officer")
    device = w.clock.now - timedelta(seconds=30)
    check_in(w.ctx, officer, incident.id, fix, 6.0, device, idempotency_key="ci")
    held = w.db.state.idempotency[(officer.id, "ci")]
    assert (held.user_id, held.scope, held.resource_id, held.created_at) == (
        officer.id, "incidents.check-in", incident.id, w.clock.now)
    assert held.request_hash == request_fingerprint("incidents.check-in", [
        incident.id, round(fix.x, 7), round(fix.y, 7), 6.0, device])


@pytest.mark.parametrize("dx, dy", [(1e-6, 0.0), (0.0, 1e-6)])
def test_a_key_reused_for_a_fix_moved_along_one_axis_is_refused(w: World, dx: float,
                                                                 dy: float) -> None:
    incident = _case(w)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None, idempotency_key="k")
    moved = Point(IN_WEST.x + dx, IN_WEST.y + dy)
    with pytest.raises(Exception) as refused:
        check_in(w.ctx, w.user("officer"), incident.id, moved, None, None, idempotency_key="k")
    assert refused.value.errors[0].field == "Idempotency-Key"  # type: ignore[attr-defined]


def test_a_fix_differing_past_the_seventh_decimal_is_the_same_check_in(w: World) -> None:
    incident = _case(w)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None, idempotency_key="k")
    written = len(w.db.state.log)
    again = check_in(w.ctx, w.user("officer"), incident.id,
                     Point(IN_WEST.x + 1e-9, IN_WEST.y - 1e-9), None, None, idempotency_key="k")
    assert again.status == Status.ON_SITE and len(w.db.state.log) == written


def test_check_in_keys_are_per_officer(w: World) -> None:
    incident = _case(w)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, None, None, idempotency_key="k")
    check_in(w.ctx, w.user("officer_power"), incident.id, IN_WEST, None, None,
             idempotency_key="k")
    stored = w.incident(incident.id)
    assert [(a.unit_code, a.arrived_at is not None) for a in stored.assignments] == [
        (WEST, True), (POWER, True)]


# -- resolve ---------------------------------------------------------------------------------

def test_resolve_keeps_its_note_and_announces_it(w: World) -> None:
    incident = _restored(w)
    resolve(w.ctx, w.user("dispatcher"), incident.id, "cable replaced")
    assert w.incident(incident.id).resolve_note == "cable replaced"
    resolved = [e for e in w.events(incident.id) if e.type == "resolved"]
    assert [e.data["note"] for e in resolved] == ["cable replaced"]


def test_resolve_meets_every_units_overdue_resolve_record(w: World) -> None:
    incident = _restored(w)
    due = incident.resolve_due
    with w.db.uow() as uow:
        for unit in (WEST, POWER):
            uow.accountability.add_once(OverdueRecord(incident.id, unit, "resolve", due, due))
        uow.accountability.add_once(OverdueRecord(incident.id, WEST, "arrival", T0, T0))
        uow.commit()
    w.clock.now = due + timedelta(seconds=12)
    resolve(w.ctx, w.user("officer"), incident.id, "done")
    with w.db.uow() as uow:
        records = uow.accountability.for_incident(incident.id)
    assert [(r.unit_code, r.milestone, r.met_at, r.late_by_seconds) for r in records] == [
        (WEST, "resolve", w.clock.now, 12.0), (POWER, "resolve", w.clock.now, 12.0),
        (WEST, "arrival", None, None)]


def test_the_arrival_keeps_the_fix_it_was_made_from(w: World) -> None:
    incident = _case(w)
    fix = Point(*offset_point(IN_WEST.x, IN_WEST.y, 45.0, 30.0))
    check_in(w.ctx, w.user("officer"), incident.id, fix, None, None)
    a = w.incident(incident.id).assignment(WEST)
    assert a is not None and a.arrival_location is not None and a.arrival_location.equals(fix)
