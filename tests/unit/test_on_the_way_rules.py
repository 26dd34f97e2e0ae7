"""Who is on the way (`dispatch.ontheway`) and an officer's trail (`dispatch.officers`), on the
fake: the distance and rough time the command page words, and who may read a trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from shapely.geometry import Point

from dispatch.errors import Forbidden, NotFound
from dispatch.field_ports import AcceptedCase, OfficerStatus
from dispatch.officers import officer_trail, way_to_case
from dispatch.ontheway import OnTheWay, on_the_way, trail_start
from dispatch.positions import record_positions
from geo.distance import geodesic_distance_m
from tests.unit.fakes import T0, World, new_world

SITE = (112.60, 35.05)
KM_EAST = (112.60 + 1 / 91.2, 35.05)  # about 1 km east at this latitude
CASE = AcceptedCase("c1", "JY311-20261127-0001", "dispatched", *SITE)


def test_the_distance_is_the_straight_line_and_the_time_is_at_the_set_speed() -> None:
    metres = geodesic_distance_m(*KM_EAST, *SITE)
    way = on_the_way(*KM_EAST, *SITE, 30.0)
    assert way == OnTheWay(round(metres), round(metres / (30.0 / 3.6)))
    assert 990 < way.distance_m < 1010 and 118 < way.eta_s < 122  # 1 km at 30 km/h: 2 minutes
    assert on_the_way(*KM_EAST, *SITE, 60.0).eta_s == round(metres / (60.0 / 3.6))


def test_at_the_site_the_distance_and_the_time_are_zero() -> None:
    assert on_the_way(*SITE, *SITE, 30.0) == OnTheWay(0, 0)


def test_the_trail_starts_the_given_minutes_before_now() -> None:
    assert trail_start(T0, 30) == T0 - timedelta(minutes=30)
    assert trail_start(T0, 1) == T0 - timedelta(minutes=1)


def _status(lon: float | None = KM_EAST[0], lat: float | None = KM_EAST[1],
            case: AcceptedCase | None = CASE) -> OfficerStatus:
    return OfficerStatus("o1", "officer", "Officer", "west", "West", lon, lat, 5.0, T0, T0,
                         None, case)


def test_way_to_case_uses_the_officers_fix_the_site_and_the_speed_setting() -> None:
    w = new_world(travel_speed_kmh=15.0)
    assert way_to_case(w.ctx, _status()) == on_the_way(*KM_EAST, *SITE, 15.0)


@pytest.mark.parametrize("status", [
    _status(case=None), _status(lon=None), _status(lat=None),
    _status(case=AcceptedCase("c1", "n", "dispatched", None, SITE[1])),
    _status(case=AcceptedCase("c1", "n", "dispatched", SITE[0], None)),
])
def test_no_way_without_a_fix_a_case_or_its_site(status: OfficerStatus) -> None:
    assert way_to_case(new_world().ctx, status) is None


@pytest.fixture
def w() -> World:
    world = new_world(trail_minutes=30)
    officer = world.user("officer")
    fixes = [(Point(112.55, 35.05 + i / 10_000), 5.0, T0 - timedelta(minutes=m))
             for i, m in enumerate([45, 31, 30, 10, 1])]
    record_positions(world.ctx, officer, fixes)
    return world


def _minutes(w: World, user: str, minutes: int | None = None) -> list[float]:
    start, fixes = officer_trail(w.ctx, w.user(user), w.user("officer").id, minutes)
    assert start == T0 - timedelta(minutes=minutes or 30)
    return [(T0 - f.at).total_seconds() / 60 for f in fixes]


def test_the_trail_is_the_last_minutes_oldest_first_its_first_instant_included(w: World) -> None:
    assert _minutes(w, "commander") == [30, 10, 1]
    assert _minutes(w, "commander", 10) == [10, 1]
    assert _minutes(w, "commander", 31) == [31, 30, 10, 1]


def test_the_officers_own_dispatcher_reads_the_trail_another_units_does_not(w: World) -> None:
    assert _minutes(w, "dispatcher") == [30, 10, 1]
    with pytest.raises(NotFound):
        officer_trail(w.ctx, w.user("dispatcher_power"), w.user("officer").id)


@pytest.mark.parametrize("who", ["officer", "officer2", "reporter", "admin"])
def test_nobody_else_reads_a_trail(w: World, who: str) -> None:
    with pytest.raises(Forbidden):
        officer_trail(w.ctx, w.user(who), w.user("officer").id)


def test_a_trail_is_only_an_officers(w: World) -> None:
    for target in ["dispatcher", "commander"]:
        with pytest.raises(NotFound):
            officer_trail(w.ctx, w.user("commander"), w.user(target).id)
    with pytest.raises(NotFound):
        officer_trail(w.ctx, w.user("commander"), "no-such-id")


def test_a_dispatcher_of_the_same_unit_code_is_the_officers_own(w: World) -> None:
    other = replace(w.user("dispatcher_power"), unit_code="west")
    assert officer_trail(w.ctx, other, w.user("officer").id)[1]
