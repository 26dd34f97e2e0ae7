"""Reporting a case, on the fake unit of work: placement, routing, deadlines, roles,
idempotency, and that a refused report writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import Point

from dispatch.clock import Policies, Policy
from dispatch.errors import (
    Forbidden, OutsideTerritory, ServiceUnavailable, ValidationFailed,
)
from dispatch.model import Role, Site, Status
from dispatch.positions import record_positions
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import (
    EAST, IN_EAST, IN_WEST, OUTSIDE, POWER, REFORM, T0, WEST, World, new_world,
)


@pytest.fixture
def w() -> World:
    return new_world()


def _report(category: str = "power_cut", location: Point | None = IN_WEST,
            **kw: object) -> NewReport:
    return NewReport(category=category, description="no power", location=location,
                     **kw)  # type: ignore[arg-type]


def test_a_report_is_placed_routed_clocked_and_announced(w: World) -> None:
    incident, created = report_incident(w.ctx, w.user("reporter"), _report())
    assert created
    stored = w.incident(incident.id)
    assert (stored.territory_code, stored.territory_name, stored.status) == (
        WEST, "West", Status.DISPATCHED)
    assert stored.unit_codes() == [WEST, POWER]  # the territory first, then the departments
    policy = Policy()
    assert (stored.arrival_due, stored.restore_due, stored.resolve_due) == (
        T0 + policy.arrival, T0 + policy.restore, T0 + policy.resolve)
    assert all(a.arrival_due == T0 + policy.arrival for a in stored.assignments)
    log = w.events(incident.id)
    assert [e.type for e in log] == ["reported", "dispatched", "offered", "offered"]
    assert [e.seq for e in log] == [1, 2, 3, 4]
    assert [e.data["unit"] for e in log[2:]] == [WEST, POWER]
    assert log[2].audience == [f"unit:{WEST}", "command"]
    # Published after commit, as written, in seq order.
    assert [e.seq for e in w.rec.published] == [1, 2, 3, 4]
    # Timers planned once, stored and handed to the scheduler.
    assert stored.timers_planned_at == T0
    assert w.rec.scheduled and len(w.db.state.timers) == len(w.rec.scheduled)


def test_the_east_square_routes_to_its_own_territory(w: World) -> None:
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report("other", IN_EAST))
    assert w.incident(incident.id).unit_codes() == [EAST]


def test_deadlines_follow_the_category_policy() -> None:
    w = new_world(policies=Policies(by_category={"water_cut": Policy(
        arrival=timedelta(minutes=10), restore=timedelta(minutes=20), resolve=timedelta(days=1))}))
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report("water_cut"))
    assert (incident.arrival_due - T0, incident.restore_due - T0, incident.resolve_due - T0) == (
        timedelta(minutes=10), timedelta(minutes=20), timedelta(days=1))


@pytest.mark.parametrize("role", ["officer", "dispatcher", "commander", "admin"])
def test_only_a_reporter_reports_and_a_refusal_writes_nothing(w: World, role: str) -> None:
    before = w.db.snapshot()
    with pytest.raises(Forbidden):
        report_incident(w.ctx, w.user(role), _report())
    assert w.db.state == before
    assert w.rec.published == [] and w.rec.scheduled == []


@pytest.mark.parametrize("report, error, field", [
    (_report(location=OUTSIDE), OutsideTerritory, "location"),
    (_report(location=None), ValidationFailed, "location"),
    (_report(site_id="no-such-site"), ValidationFailed, "site_id"),
])
def test_a_refused_report_writes_nothing(w: World, report: NewReport,
                                         error: type[Exception], field: str) -> None:
    before = w.db.snapshot()
    with pytest.raises(error) as refused:
        report_incident(w.ctx, w.user("reporter"), report, idempotency_key="k1")
    assert [e.field for e in refused.value.errors] == [field]  # type: ignore[attr-defined]
    assert w.db.state == before  # not even the idempotency key
    assert w.rec.published == []


def test_a_point_on_the_shared_border_goes_to_the_smallest_code(w: World) -> None:
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report("other",
                                                                      Point(112.60, 35.05)))
    assert incident.territory_code == EAST  # "east" < "west"


def test_routing_to_a_unit_that_does_not_exist_is_a_503_and_writes_nothing(w: World) -> None:
    with w.db.uow() as uow:
        uow.routing.set("gate_blocked", ["nobody"])
        uow.commit()
    before = w.db.snapshot()
    with pytest.raises(ServiceUnavailable):
        report_incident(w.ctx, w.user("reporter"), _report("gate_blocked"))
    assert w.db.state == before


def _site(w: World, owner: str, **kw: object) -> Site:
    site = Site(owner_id=w.user(owner).id, name="plant", location=IN_EAST, created_at=T0,
                **kw)  # type: ignore[arg-type]
    with w.db.uow() as uow:
        uow.sites.add(site)
        uow.commit()
    return site


def test_a_report_at_a_registered_site_takes_its_place_and_green_channel_lead(w: World) -> None:
    site = _site(w, "reporter", green_channel=True, lead_department=REFORM)
    incident, _ = report_incident(w.ctx, w.user("reporter"),
                                  _report(location=None, site_id=site.id))
    assert incident.location.equals(IN_EAST) and incident.green_channel
    assert incident.unit_codes() == [EAST, REFORM, POWER]  # departments by code


def test_another_reporters_site_is_refused(w: World) -> None:
    site = _site(w, "reporter2")
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        report_incident(w.ctx, w.user("reporter"), _report(location=None, site_id=site.id))
    assert refused.value.errors[0].field == "site_id"
    assert w.db.state == before


def test_an_idempotency_key_replays_the_first_report(w: World) -> None:
    first, created = report_incident(w.ctx, w.user("reporter"), _report(), idempotency_key="k")
    written = len(w.db.state.log)
    w.clock.advance(minutes=3)
    again, created_again = report_incident(w.ctx, w.user("reporter"), _report(),
                                           idempotency_key="k")
    assert (created, created_again) == (True, False)
    assert again.id == first.id and len(w.db.state.incidents) == 1
    assert len(w.db.state.log) == written


def test_a_key_reused_for_a_different_report_is_refused_and_writes_nothing(w: World) -> None:
    report_incident(w.ctx, w.user("reporter"), _report(), idempotency_key="k")
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        report_incident(w.ctx, w.user("reporter"), _report("water_cut"), idempotency_key="k")
    assert refused.value.errors[0].field == "Idempotency-Key"
    assert w.db.state == before


def test_keys_are_per_user(w: World) -> None:
    a, _ = report_incident(w.ctx, w.user("reporter"), _report(), idempotency_key="k")
    b, created = report_incident(w.ctx, w.user("reporter2"), _report(), idempotency_key="k")
    assert created and a.id != b.id


def test_offers_rank_the_units_on_duty_officers_nearest_first(w: World) -> None:
    """On duty: a fix no older than the window (the window's edge included)."""
    window = w.ctx.settings.on_duty_window
    near, edge = w.user("officer"), w.user("officer2")
    w.clock.now = T0 - window
    record_positions(w.ctx, edge, [(Point(112.56, 35.05), 5.0, T0 - window)])
    w.clock.now = T0 - window - timedelta(seconds=1)
    stale = w.user("officer_power")
    record_positions(w.ctx, stale, [(IN_WEST, 5.0, T0 - window - timedelta(seconds=1))])
    w.clock.now = T0
    record_positions(w.ctx, near, [(Point(112.551, 35.05), 5.0, T0)])
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report())
    offered = {e.data["unit"]: e.data["officers"] for e in w.events(incident.id)
               if e.type == "offered"}
    assert [o["officer_id"] for o in offered[WEST]] == [near.id, edge.id]
    assert offered[WEST][0]["distance_m"] == pytest.approx(91.2, abs=0.2)
    assert offered[POWER] == []  # its only officer's fix is one second too old


def test_a_reporter_is_the_only_role_that_may_report(w: World) -> None:
    for name in ("reporter", "reporter2"):
        assert w.user(name).role == Role.REPORTER
        report_incident(w.ctx, w.user(name), _report())
    assert len(w.db.state.incidents) == 2


def test_a_green_channel_case_is_warned_on_the_green_channel_s_clock() -> None:
    """Its deadline-near warnings come from the green channel's policy, not the category's."""
    w = new_world(green_channel_policies=Policies(default=Policy(
        arrival=timedelta(minutes=20), arrival_warning=timedelta(minutes=5))))
    site = _site(w, "reporter", green_channel=True, lead_department=REFORM)
    incident, _ = report_incident(w.ctx, w.user("reporter"),
                                  _report(location=None, site_id=site.id))
    warned = {x.due_at for x in w.db.state.timers
              if x.incident_id == incident.id and x.kind == "deadline_near"
              and x.milestone == "arrival"}
    assert incident.arrival_due == T0 + timedelta(minutes=20)
    assert warned == {T0 + timedelta(minutes=15)}
