"""Reading cases: each role's scope, every filter of the list and its pages, the timeline each
reader may see, and a case's photos."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from shapely.geometry import Point

from dispatch.errors import NotFound
from dispatch.model import Incident, Photo, Status
from dispatch.queries import IncidentFilters, get_incident, get_photo, list_incidents
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import EAST, IN_EAST, IN_WEST, POWER, T0, WEST, World, new_world


@pytest.fixture
def w() -> World:
    return new_world(photo_dir=Path("/srv/photos"))


def _case(w: World, reporter: str = "reporter", category: str = "power_cut",
          at: Point = IN_WEST) -> Incident:
    incident, _ = report_incident(w.ctx, w.user(reporter), NewReport(
        category=category, description="d", location=at))
    return incident


def _ids(w: World, who: str, f: IncidentFilters) -> list[str]:
    found, _ = list_incidents(w.ctx, w.user(who), f)
    return [i.id for i in found]


# -- scope ----------------------------------------------------------------------------------

def test_a_reporter_lists_only_its_own_cases_whatever_it_filters_on(w: World) -> None:
    mine = _case(w)
    _case(w, "reporter2")
    assert _ids(w, "reporter", IncidentFilters()) == [mine.id]
    assert _ids(w, "reporter", IncidentFilters(unit=WEST)) == [mine.id]
    assert list_incidents(w.ctx, w.user("reporter"), IncidentFilters())[1] == 1


@pytest.mark.parametrize("who, unit", [("officer", WEST), ("dispatcher", WEST),
                                       ("officer_east", EAST), ("officer_power", POWER),
                                       ("dispatcher_power", POWER)])
def test_field_roles_list_only_their_units_cases(w: World, who: str, unit: str) -> None:
    cases = [_case(w), _case(w, "reporter2", "other", IN_EAST)]
    expected = {i.id for i in cases if unit in i.unit_codes()}
    found, total = list_incidents(w.ctx, w.user(who), IncidentFilters())
    assert {i.id for i in found} == expected and total == len(expected) == 1


@pytest.mark.parametrize("who", ["commander", "admin"])
def test_command_lists_every_case(w: World, who: str) -> None:
    cases = {_case(w).id, _case(w, "reporter2", "other", IN_EAST).id}
    found, total = list_incidents(w.ctx, w.user(who), IncidentFilters())
    assert {i.id for i in found} == cases and total == 2


# -- filters --------------------------------------------------------------------------------

def test_the_status_filter_keeps_only_the_statuses_named(w: World) -> None:
    a, b = _case(w), _case(w)
    w.db.state.incidents[b.id].status = Status.ON_SITE
    assert _ids(w, "commander", IncidentFilters(status=("on_site",))) == [b.id]
    assert set(_ids(w, "commander", IncidentFilters(status=("dispatched", "on_site")))) == {
        a.id, b.id}
    assert _ids(w, "commander", IncidentFilters(status=("resolved",))) == []
    assert len(_ids(w, "commander", IncidentFilters(status=()))) == 2  # no filter


def test_the_unit_and_category_filters(w: World) -> None:
    west_power = _case(w)
    east_other = _case(w, "reporter2", "other", IN_EAST)
    assert _ids(w, "commander", IncidentFilters(unit=EAST)) == [east_other.id]
    assert _ids(w, "commander", IncidentFilters(unit=POWER)) == [west_power.id]
    assert _ids(w, "commander", IncidentFilters(category="power_cut")) == [west_power.id]
    assert _ids(w, "commander", IncidentFilters(category="nothing")) == []


def test_the_map_box_keeps_the_cases_inside_it(w: World) -> None:
    west = _case(w)
    _case(w, "reporter2", "other", IN_EAST)
    around_west = (IN_WEST.x - 0.01, IN_WEST.y - 0.01, IN_WEST.x + 0.01, IN_WEST.y + 0.01)
    assert _ids(w, "commander", IncidentFilters(bbox=around_west)) == [west.id]


def test_the_since_filter_keeps_cases_received_at_or_after_it(w: World) -> None:
    old = _case(w)
    w.clock.advance(minutes=10)
    new = _case(w)
    assert _ids(w, "commander", IncidentFilters(since=w.clock.now)) == [new.id]
    assert _ids(w, "commander", IncidentFilters(since=T0)) == [new.id, old.id]


def test_the_overdue_filter_judges_at_the_clocks_time(w: World) -> None:
    incident = _case(w)
    assert _ids(w, "commander", IncidentFilters(overdue=True)) == []
    w.clock.now = incident.arrival_due + timedelta(seconds=1)
    assert _ids(w, "commander", IncidentFilters(overdue=True)) == [incident.id]
    assert _ids(w, "commander", IncidentFilters(overdue=False)) == [incident.id]


def test_pages_cut_the_list_at_per_page_and_count_everything(w: World) -> None:
    made = []
    for _ in range(5):
        made.append(_case(w).id)
        w.clock.advance(seconds=1)
    newest_first = made[::-1]
    pages = [list_incidents(w.ctx, w.user("commander"), IncidentFilters(page=p, per_page=2))
             for p in (1, 2, 3, 4)]
    assert [[i.id for i in found] for found, _ in pages] == [
        newest_first[0:2], newest_first[2:4], newest_first[4:5], []]
    assert {total for _, total in pages} == {5}
    assert _ids(w, "commander", IncidentFilters(page=1, per_page=5)) == newest_first
    assert _ids(w, "commander", IncidentFilters(page=2, per_page=3)) == newest_first[3:]


def test_fifty_cases_a_page_by_default(w: World) -> None:
    for _ in range(51):
        _case(w)
    found, total = list_incidents(w.ctx, w.user("commander"), IncidentFilters())
    assert (len(found), total) == (50, 51)
    second, _ = list_incidents(w.ctx, w.user("commander"), IncidentFilters(page=2))
    assert len(second) == 1


# -- one case -------------------------------------------------------------------------------

def test_the_reporter_reads_its_case_with_the_events_addressed_to_it(w: World) -> None:
    incident = _case(w)
    found, events = get_incident(w.ctx, w.user("reporter"), incident.id)
    assert found.id == incident.id
    assert [e.type for e in events] == ["reported", "dispatched"]


def test_a_dispatcher_sees_the_events_of_its_dispatch_room(w: World) -> None:
    incident = _case(w)
    with w.db.uow() as uow:
        case = uow.incidents.get(incident.id, for_update=True)
        assert case is not None
        case.events.append(type(case.events[0])(
            type="offer_unanswered", at=T0, actor_id=None, data={"unit": WEST},
            audience=[f"dispatch:{WEST}"], incident_id=incident.id))
        uow.commit()
    _, dispatcher = get_incident(w.ctx, w.user("dispatcher"), incident.id)
    _, officer = get_incident(w.ctx, w.user("officer"), incident.id)
    _, commander = get_incident(w.ctx, w.user("commander"), incident.id)
    assert [e.type for e in dispatcher] == ["offered", "offer_unanswered"]
    assert [e.type for e in officer] == ["offered"]
    assert [e.type for e in commander][-1] == "offer_unanswered"  # command hears every event


def test_an_unknown_case_is_not_found(w: World) -> None:
    with pytest.raises(NotFound, match="no incident nope that you may see"):
        get_incident(w.ctx, w.user("commander"), "nope")


# -- photos ---------------------------------------------------------------------------------

def _with_photo(w: World) -> tuple[Incident, Photo]:
    incident = _case(w)
    photo = Photo(content_type="image/png", size=3, sha256="x", path="ab/cd.png",
                  created_at=T0, id="ph-1")
    w.db.state.incidents[incident.id].photos.append(photo)
    return incident, photo


def test_a_photo_is_found_under_the_photo_folder_with_its_type(w: World) -> None:
    incident, photo = _with_photo(w)
    assert get_photo(w.ctx, w.user("reporter"), incident.id, "ph-1") == (
        Path("/srv/photos/ab/cd.png"), "image/png")


def test_a_photo_not_on_the_case_is_not_found(w: World) -> None:
    incident, _ = _with_photo(w)
    with pytest.raises(NotFound) as refused:
        get_photo(w.ctx, w.user("reporter"), incident.id, "ph-2")
    assert str(refused.value) == f"no photo ph-2 on incident {incident.id}"


def test_a_photo_of_a_case_out_of_scope_is_not_found(w: World) -> None:
    incident, _ = _with_photo(w)
    with pytest.raises(NotFound) as refused:
        get_photo(w.ctx, w.user("reporter2"), incident.id, "ph-1")
    assert str(refused.value) == f"no incident {incident.id} that you may see"
