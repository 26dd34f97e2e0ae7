"""The speed a fix implies from the previous one (`dispatch.offline.implied_speed_kmh`) at its
edges: an accuracy not given or zero takes nothing off the distance, a fix taken at the same
instant or before is infinitely fast when it moved and still when it did not, and a fraction
of a second is a real duration. And who oversees officers: a commander every unit's, even one
whose account names a unit. And a batch's flags: judged with each fix's own accuracy, the
speed kept to one decimal."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.offline import OfflineRules, TrailFix, flag_batch, implied_speed_kmh
from dispatch.officers import list_officers
from geo.distance import geodesic_distance_m, offset_point
from tests.unit.fakes import EAST, POWER, WEST, new_world

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
LON, LAT = 112.5, 35.1
THERE = offset_point(LON, LAT, 90.0, 1000.0)
METRES = geodesic_distance_m(LON, LAT, *THERE)


@pytest.mark.parametrize("accuracy", [None, 0.0, -5.0])
def test_an_accuracy_not_given_zero_or_negative_takes_nothing_off(accuracy: float | None) -> None:
    start = TrailFix(AT, LON, LAT, accuracy)
    speed = implied_speed_kmh(start, *THERE, accuracy, AT + timedelta(seconds=10), 100.0)
    assert speed == pytest.approx(METRES / 10 * 3.6, rel=1e-12)


def test_a_move_with_no_time_between_is_infinitely_fast_and_no_move_is_still() -> None:
    start = TrailFix(AT, LON, LAT, 5.0)
    assert implied_speed_kmh(start, *THERE, 5.0, AT, 100.0) == math.inf
    assert implied_speed_kmh(start, *THERE, 5.0, AT - timedelta(seconds=1), 100.0) == math.inf
    assert implied_speed_kmh(start, LON, LAT, 5.0, AT, 100.0) == 0.0
    assert implied_speed_kmh(start, LON, LAT, 5.0, AT - timedelta(seconds=1), 100.0) == 0.0


def test_a_fraction_of_a_second_is_a_duration() -> None:
    start = TrailFix(AT, LON, LAT, None)
    speed = implied_speed_kmh(start, *THERE, None, AT + timedelta(milliseconds=500), 100.0)
    assert speed == pytest.approx(METRES / 0.5 * 3.6, rel=1e-12)


def test_a_commander_sees_every_unit_s_officers_even_with_a_unit_on_record() -> None:
    w = new_world()
    commander = replace(w.user("commander"), unit_code=WEST)
    assert {o.unit_code for o in list_officers(w.ctx, commander)} == {WEST, EAST, POWER}


def test_a_batch_judges_each_fix_with_its_accuracy_and_keeps_one_decimal() -> None:
    home = TrailFix(AT, LON, LAT, 50.0)
    seconds = (METRES - 100.0) / 199.0 * 3.6  # 199 km/h, less both accuracies
    at = AT + timedelta(seconds=seconds)
    within = TrailFix(at, *THERE, 50.0)
    assert flag_batch([home], [within], 100.0, OfflineRules()) == {}
    unsure = TrailFix(at, *THERE, None)  # no accuracy given: only the stored fix's 50 m
    [speed] = flag_batch([home], [unsure], 100.0, OfflineRules()).values()
    expected = (METRES - 50.0) / seconds * 3.6
    assert speed == round(expected, 1) and speed != round(expected, 2)
