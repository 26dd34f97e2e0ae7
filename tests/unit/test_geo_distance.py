"""geo.distance: geodesic distance, forward offset and area on WGS-84."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from geo.distance import geodesic_area_m2, geodesic_distance_m, offset_point


def test_one_degree_of_latitude_at_equator() -> None:
    # WGS-84 meridian arc from 0 to 1 degree north is 110 574.4 m.
    assert geodesic_distance_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(110574.4, abs=0.5)


def test_offset_point_round_trips_distance() -> None:
    for azimuth in (0.0, 45.0, 137.0, 270.0):
        lon, lat = offset_point(112.6, 35.05, azimuth, 250.0)
        assert geodesic_distance_m(112.6, 35.05, lon, lat) == pytest.approx(250.0, abs=1e-6)
    north = offset_point(112.6, 35.05, 0.0, 1000.0)
    assert north[0] == pytest.approx(112.6, abs=1e-12) and north[1] > 35.05


def test_area_ignores_orientation_and_subtracts_holes() -> None:
    outer = box(112.0, 35.0, 112.1, 35.1)
    area = geodesic_area_m2(outer)
    assert 100_000_000 < area < 103_000_000  # ~9.1 km x 11.1 km
    assert geodesic_area_m2(Polygon(list(outer.exterior.coords)[::-1])) == pytest.approx(area)
    hole = box(112.02, 35.02, 112.04, 35.04)
    holed = Polygon(outer.exterior.coords, [hole.exterior.coords])
    expected = area - geodesic_area_m2(hole)
    assert geodesic_area_m2(holed) == pytest.approx(expected)
    assert geodesic_area_m2(MultiPolygon([holed, box(113, 35, 113.1, 35.1)])) > expected
