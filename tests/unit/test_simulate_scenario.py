"""The simulated day's plan: reproducible from its seed, inside the territories, weighted to the
urban subdistricts, shaped by the hourly curves; and the officers' conduct and travel."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from shapely.geometry import Point

from geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from geo.jiyuan import DEMO_BOUNDARIES_PATH
from simulate import scenario
from simulate.scenario import Area


@pytest.fixture(scope="module")
def areas() -> list[Area]:
    return scenario.areas_from_geojson(json.loads(DEMO_BOUNDARIES_PATH.read_text()))


def test_the_16_territories_and_which_are_urban(areas: list[Area]) -> None:
    assert len(areas) == 16
    assert sorted(a.name for a in areas if a.urban) == sorted(
        ["沁园街道", "济水街道", "北海街道", "天坛街道", "玉泉街道"])
    assert all(a.weight == scenario.URBAN_WEIGHT for a in areas if a.urban)
    assert all(a.weight == 1.0 for a in areas if not a.urban)


def test_an_empty_collection_is_refused() -> None:
    with pytest.raises(ValueError, match="no territories"):
        scenario.areas_from_geojson({"type": "FeatureCollection", "features": []})


def test_the_same_seed_plans_the_same_day_and_another_seed_another(areas: list[Area]) -> None:
    one = scenario.plan_day(areas, seed=7)
    assert one == scenario.plan_day(areas, seed=7)
    assert one != scenario.plan_day(areas, seed=8)
    assert [r.index for r in one] == list(range(len(one)))
    assert [r.at_s for r in one] == sorted(r.at_s for r in one)


def test_every_report_lies_inside_its_territory_in_the_datum_it_is_sent_in(
        areas: list[Area]) -> None:
    by_code = {a.code: a.geometry for a in areas}
    plan = scenario.plan_day(areas, seed=11, per_day=400)
    assert len(plan) > 300
    for r in plan:
        assert by_code[r.territory_code].contains(Point(r.lon, r.lat)), r
        # What the server sees of a GCJ-02 report after converting it back lands there too.
        lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(r.lon, r.lat))
        assert by_code[r.territory_code].contains(Point(lon, lat)), r
    crs = Counter(r.crs for r in plan)
    assert set(crs) == {"wgs84", "gcj02"}
    assert 0.2 < crs["gcj02"] / len(plan) < 0.4
    assert {r.reporter for r in plan} == {0, 1}
    assert all(r.description in scenario.DESCRIPTIONS[r.category] for r in plan)


def test_the_urban_subdistricts_draw_three_times_a_towns_share(areas: list[Area]) -> None:
    plan = scenario.plan_day(areas, seed=5, per_day=8000)
    urban = {a.code for a in areas if a.urban}
    share = sum(r.territory_code in urban for r in plan) / len(plan)
    expected = 5 * 3 / (5 * 3 + 11)  # 57.7 %
    assert abs(share - expected) < 0.03, share
    per_town = Counter(r.territory_code for r in plan if r.territory_code not in urban)
    per_sub = Counter(r.territory_code for r in plan if r.territory_code in urban)
    assert 2.5 < np.mean(list(per_sub.values())) / np.mean(list(per_town.values())) < 3.5


def test_the_hourly_curve_sums_to_the_day_and_shapes_the_reports(areas: list[Area]) -> None:
    for category, share in scenario.MIX.items():
        day = sum(scenario.expected_per_hour(category, h, 48) for h in range(24))
        assert day == pytest.approx(48 * share)
    assert sum(scenario.MIX.values()) == pytest.approx(1.0)
    plan = scenario.plan_day(areas, seed=3, start_hour=0, hours=24, per_day=20000)
    hours = Counter((r.category, int(r.at_s // 3600)) for r in plan)
    # Gates are blocked when the working day starts, hardly at 3 in the night.
    assert hours["gate_blocked", 9] > 8 * hours["gate_blocked", 3]
    # Power cuts keep a floor of faults at night: a flatter curve.
    assert hours["power_cut", 3] > hours["power_cut", 10] / 4
    for (category, hour), n in hours.items():
        mean = scenario.expected_per_hour(category, hour, 20000)
        assert abs(n - mean) < 5 * np.sqrt(mean) + 1, (category, hour, n, mean)
    total = Counter(r.category for r in plan)
    for category, share in scenario.MIX.items():
        assert total[category] / len(plan) == pytest.approx(share, abs=0.02)


def test_the_period_starts_at_its_hour_and_ends_with_its_length(areas: list[Area]) -> None:
    hour = scenario.plan_day(areas, seed=1, start_hour=9, hours=1, per_day=2000)
    assert hour and all(0 <= r.at_s < 3600 for r in hour)
    half = scenario.plan_day(areas, seed=1, start_hour=9.5, hours=0.5, per_day=2000)
    assert half and all(0 <= r.at_s < 1800 for r in half)
    # Across midnight the next day's curve applies: 23:00-01:00 is quiet for gates.
    night = scenario.plan_day(areas, seed=1, start_hour=23, hours=2, per_day=2000)
    assert all(0 <= r.at_s < 7200 for r in night)
    gates = sum(r.category == "gate_blocked" for r in night)
    expected = scenario.expected_per_hour("gate_blocked", 23, 2000) + (
        scenario.expected_per_hour("gate_blocked", 0, 2000))
    assert abs(gates - expected) < 5 * np.sqrt(expected) + 1


def test_a_day_holds_per_day_reports_on_average(areas: list[Area]) -> None:
    counts = [len(scenario.plan_day(areas, seed=s, per_day=48)) for s in range(40)]
    assert 44 < np.mean(counts) < 52


def test_the_load_plan_runs_at_its_rate(areas: list[Area]) -> None:
    plan = scenario.plan_load(areas, seed=2, rate=20, seconds=100)
    assert plan == scenario.plan_load(areas, seed=2, rate=20, seconds=100)
    assert 1800 < len(plan) < 2200
    assert all(0 < r.at_s < 100 for r in plan)
    with pytest.raises(ValueError):
        scenario.plan_load(areas, seed=2, rate=0, seconds=100)


def test_conduct_is_drawn_per_case_and_unit_whatever_the_order() -> None:
    a = scenario.conduct(7, 3, "power_supply", 0.15)
    scenario.conduct(7, 4, "power_supply", 0.15)
    assert scenario.conduct(7, 3, "power_supply", 0.15) == a
    assert scenario.conduct(7, 3, "water_supply", 0.15) != a
    assert scenario.conduct(8, 3, "power_supply", 0.15) != a


def test_the_late_share_is_kept_at_its_bounds() -> None:
    def late(share: float) -> int:
        return sum(scenario.conduct(1, i, "419001102", share).late for i in range(2000))
    assert late(0.0) == 0
    assert late(1.0) == 2000
    assert 240 < late(0.15) < 360


def test_conduct_stays_within_its_ranges() -> None:
    for i in range(500):
        c = scenario.conduct(9, i, "traffic_police", 0.5)
        assert 20 <= c.accept_after_s <= 180 and 120 <= c.prepare_s <= 480
        assert 300 <= c.late_by_s <= 1200 and 480 <= c.restore_work_s <= 2100
        assert 900 <= c.resolve_after_s <= 5 * 86400
    assert replace(c, late=not c.late) != c


def test_road_speeds_and_the_path() -> None:
    assert scenario.travel_s(10_000, urban_destination=False) == pytest.approx(1040.0)
    assert scenario.travel_s(10_000, urban_destination=True) == pytest.approx(1872.0)
    assert scenario.travel_s(0, urban_destination=True) == 0
    start, end = (112.0, 35.0), (112.2, 35.1)
    assert scenario.along(start, end, 0) == start
    assert scenario.along(start, end, 1) == end
    assert scenario.along(start, end, 0.5) == pytest.approx((112.1, 35.05))
    assert scenario.along(start, end, -1) == start and scenario.along(start, end, 2) == end
