"""Reading cases (who sees what), sites, officers' positions, accounts and boundary sets, on the
fake unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import Point, box

from dispatch.boundary_admin import activate_boundary_set, import_boundary_set
from dispatch.errors import (
    Forbidden, NotFound, OutsideTerritory, Unauthorized, ValidationFailed,
)
from dispatch.identity import (
    authenticate, deactivate_user, load_user, load_users, revoke_tokens,
)
from dispatch.model import Incident, Status
from dispatch.positions import record_positions
from dispatch.queries import IncidentFilters, get_incident, list_incidents
from dispatch.reporting import NewReport, report_incident
from dispatch.sites import list_sites, register_site
from geo.boundaries import Territory
from tests.unit.fakes import (
    IN_EAST, IN_WEST, OUTSIDE, POWER, REFORM, T0, WATER, WEST, World, new_world,
)


@pytest.fixture
def w() -> World:
    return new_world()


def _case(w: World, reporter: str = "reporter", category: str = "power_cut",
          at: Point = IN_WEST) -> Incident:
    incident, _ = report_incident(w.ctx, w.user(reporter), NewReport(
        category=category, description="d", location=at))
    return incident


# -- who sees which case --------------------------------------------------------------------

def test_each_role_lists_the_cases_in_its_scope(w: World) -> None:
    west_power = _case(w)
    east_other = _case(w, "reporter2", "other", IN_EAST)
    west_water = _case(w, "reporter2", "water_cut")

    def ids(who: str, **f: object) -> set[str]:
        found, total = list_incidents(w.ctx, w.user(who), IncidentFilters(**f))  # type: ignore[arg-type]
        assert total == len(found)
        return {i.id for i in found}

    assert ids("reporter") == {west_power.id}
    assert ids("reporter2") == {east_other.id, west_water.id}
    assert ids("officer") == ids("dispatcher") == {west_power.id, west_water.id}
    assert ids("officer_east") == {east_other.id}
    assert ids("officer_power") == ids("dispatcher_power") == {west_power.id}
    assert ids("commander") == ids("admin") == {west_power.id, east_other.id, west_water.id}
    assert ids("commander", unit=WATER) == {west_water.id}
    assert ids("commander", category="other") == {east_other.id}
    assert ids("officer", unit=WATER) == {west_water.id}


def test_the_overdue_filter_finds_a_case_past_a_missed_deadline(w: World) -> None:
    late = _case(w)
    w.clock.now = late.arrival_due + timedelta(minutes=1)
    fresh = _case(w)
    found, _ = list_incidents(w.ctx, w.user("commander"), IncidentFilters(overdue=True))
    assert [i.id for i in found] == [late.id]
    everything, total = list_incidents(w.ctx, w.user("commander"), IncidentFilters())
    assert [i.id for i in everything] == [fresh.id, late.id] and total == 2  # newest first


def test_pages(w: World) -> None:
    made = [_case(w) for _ in range(3)]
    w.clock.advance(seconds=1)
    page, total = list_incidents(w.ctx, w.user("commander"), IncidentFilters(page=2, per_page=2))
    assert total == 3 and len(page) == 1
    assert page[0].id == sorted(i.id for i in made)[2]  # same time: by id


@pytest.mark.parametrize("who", ["reporter2", "officer_east"])
def test_a_case_out_of_scope_is_not_found_to_read(w: World, who: str) -> None:
    incident = _case(w)
    with pytest.raises(NotFound):
        get_incident(w.ctx, w.user(who), incident.id)


def test_a_timeline_shows_each_reader_only_the_events_of_its_rooms(w: World) -> None:
    incident = _case(w)

    def types(who: str) -> list[tuple[str, object]]:
        _, events = get_incident(w.ctx, w.user(who), incident.id)
        return [(e.type, e.data.get("unit")) for e in events]

    everything = [("reported", None), ("dispatched", None), ("offered", WEST),
                  ("offered", POWER)]
    assert types("commander") == types("admin") == everything
    assert types("reporter") == [("reported", None), ("dispatched", None)]
    # "reported" was written before the case had units: its audience is the reporter and command.
    assert types("officer") == types("dispatcher") == [("offered", WEST)]
    assert types("officer_power") == [("offered", POWER)]


# -- sites ----------------------------------------------------------------------------------

def test_a_reporter_registers_its_own_site(w: World) -> None:
    site = register_site(w.ctx, w.user("reporter"), "plant", IN_WEST, "addr", False, None)
    assert (site.owner_id, site.created_at) == (w.user("reporter").id, T0)
    assert [s.id for s in list_sites(w.ctx, w.user("reporter"))] == [site.id]
    assert list_sites(w.ctx, w.user("reporter2")) == []
    assert [s.id for s in list_sites(w.ctx, w.user("commander"))] == [site.id]


@pytest.mark.parametrize("green, lead, owner", [
    (True, None, None), (False, REFORM, None), (False, None, "reporter2")])
def test_a_reporter_may_not_register_green_channel_or_for_others(
        w: World, green: bool, lead: str | None, owner: str | None) -> None:
    before = w.db.snapshot()
    with pytest.raises(Forbidden):
        register_site(w.ctx, w.user("reporter"), "p", IN_WEST, None, green, lead,
                      owner_id=None if owner is None else w.user(owner).id)
    assert w.db.state == before


@pytest.mark.parametrize("who", ["officer", "dispatcher", "commander"])
def test_only_reporters_and_admins_register_sites(w: World, who: str) -> None:
    with pytest.raises(Forbidden):
        register_site(w.ctx, w.user(who), "p", IN_WEST, None, False, None)


@pytest.mark.parametrize("who", ["officer", "dispatcher"])
def test_field_roles_do_not_list_sites(w: World, who: str) -> None:
    with pytest.raises(Forbidden):
        list_sites(w.ctx, w.user(who))


def test_an_admin_registers_a_green_channel_project_with_the_default_lead(w: World) -> None:
    site = register_site(w.ctx, w.user("admin"), "project", IN_EAST, None, True, None,
                         owner_id=w.user("reporter").id)
    assert (site.green_channel, site.lead_department) == (True, REFORM)


@pytest.mark.parametrize("owner, lead, location, field", [
    (None, None, IN_WEST, "owner_id"),
    ("officer", None, IN_WEST, "owner_id"),
    ("reporter", WEST, IN_WEST, "lead_department"),  # a territory, not a department
    ("reporter", "nope", IN_WEST, "lead_department"),
    ("reporter", None, OUTSIDE, "location"),
])
def test_an_admins_site_is_checked_and_a_refusal_writes_nothing(
        w: World, owner: str | None, lead: str | None, location: Point, field: str) -> None:
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        register_site(w.ctx, w.user("admin"), "p", location, None, False, lead,
                      owner_id=None if owner is None else w.user(owner).id)
    assert refused.value.errors[0].field == field
    if field == "location":
        assert isinstance(refused.value, OutsideTerritory)
    assert w.db.state == before


# -- positions ------------------------------------------------------------------------------

def test_an_officer_records_a_batch_once_and_the_newest_fix_is_pushed(w: World) -> None:
    officer = w.user("officer")
    # 9.1 km in 3 hours: plausible (a jump in one minute would be flagged, issue 16).
    fixes = [(IN_WEST, 5.0, T0 - timedelta(hours=3)), (IN_EAST, 8.0, T0 - timedelta(minutes=1))]
    assert record_positions(w.ctx, officer, fixes) == 2
    assert record_positions(w.ctx, officer, fixes) == 0  # a phone's retry stores nothing new
    assert len(w.db.state.positions) == 2
    user, fix = w.rec.pushed[-1]
    assert user is officer and (fix["lon"], fix["lat"], fix["accuracy_m"]) == (
        IN_EAST.x, IN_EAST.y, 8.0)
    assert w.db.state.last_positions[officer.id].location.equals(IN_EAST)


@pytest.mark.parametrize("who", ["reporter", "dispatcher", "commander", "admin"])
def test_only_officers_send_positions(w: World, who: str) -> None:
    with pytest.raises(Forbidden):
        record_positions(w.ctx, w.user(who), [(IN_WEST, None, T0)])
    assert w.db.state.positions == []


def test_device_times_at_the_window_edges_are_stored(w: World) -> None:
    window = w.ctx.settings.device_time
    fixes = [(IN_WEST, None, T0 + window.ahead), (IN_WEST, None, T0 - window.max_age)]
    assert record_positions(w.ctx, w.user("officer"), fixes) == 2


@pytest.mark.parametrize("bad", [0, 1])
def test_one_fix_a_second_outside_the_window_refuses_the_whole_batch(w: World,
                                                                     bad: int) -> None:
    window = w.ctx.settings.device_time
    step = timedelta(seconds=1)
    times = [T0 + window.ahead + step, T0 - window.max_age - step]
    fixes = [(IN_WEST, None, T0), (IN_WEST, None, times[bad])]
    before = w.db.snapshot()
    with pytest.raises(ValidationFailed) as refused:
        record_positions(w.ctx, w.user("officer"), fixes)
    assert [e.field for e in refused.value.errors] == ["positions.1.recorded_at"]
    assert w.db.state == before and w.rec.pushed == []


# -- accounts -------------------------------------------------------------------------------

def test_sign_in(w: World) -> None:
    assert authenticate(w.ctx, "officer", "officer").id == w.user("officer").id
    for name, password in [("officer", "wrong"), ("nobody", "x")]:
        with pytest.raises(Unauthorized):
            authenticate(w.ctx, name, password)


def test_a_stale_hash_is_replaced_at_sign_in(w: World) -> None:
    with w.db.uow() as uow:
        user = uow.users.by_username("officer")
        assert user is not None
        user.password_hash = "old:pw"
        uow.commit()
    authenticate(w.ctx, "officer", "pw")
    assert w.db.state.users[w.user("officer").id].password_hash == "hash:pw"


def test_a_disabled_account_cannot_sign_in_and_its_tokens_are_revoked(w: World) -> None:
    officer = w.user("officer")
    deactivate_user(w.ctx, "officer")
    stored = w.db.state.users[officer.id]
    assert (stored.active, stored.token_version) == (False, officer.token_version + 1)
    with pytest.raises(Unauthorized):
        authenticate(w.ctx, "officer", "officer")
    assert load_user(w.ctx, officer.id) is None
    assert set(load_users(w.ctx, [officer.id, w.user("officer2").id])) == {
        w.user("officer2").id}
    with pytest.raises(NotFound):
        deactivate_user(w.ctx, "nobody")


def test_revoking_tokens_raises_the_version(w: World) -> None:
    revoke_tokens(w.ctx, w.user("admin").id)
    revoke_tokens(w.ctx, w.user("admin").id)
    assert w.db.state.users[w.user("admin").id].token_version == 2
    with pytest.raises(NotFound):
        revoke_tokens(w.ctx, "nobody")


# -- boundary sets --------------------------------------------------------------------------

def test_a_new_boundary_set_places_reports_once_activated(w: World) -> None:
    whole = Territory("whole", "Whole", box(112.4, 34.9, 112.8, 35.2))
    set_id, _ = import_boundary_set(w.ctx, [whole], "one")
    assert _case(w).territory_code == WEST  # imported, not active yet
    activate_boundary_set(w.ctx, set_id)
    incident = _case(w)
    assert (incident.territory_code, incident.boundary_set_id) == ("whole", set_id)
    assert w.db.state.units["whole"].kind == "territory"
    with pytest.raises(NotFound):
        activate_boundary_set(w.ctx, 999)


def test_an_incident_keeps_its_status_through_listing(w: World) -> None:
    incident = _case(w)
    found, _ = list_incidents(w.ctx, w.user("officer"),
                              IncidentFilters(status=(Status.DISPATCHED,)))
    assert [i.id for i in found] == [incident.id]
    found, _ = list_incidents(w.ctx, w.user("officer"), IncidentFilters(status=(Status.ON_SITE,)))
    assert found == []
