"""geo.crs against the independent prcoords implementation and basic invariants."""

from __future__ import annotations

import numpy as np
import prcoords
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geo.crs import (
    CRS_NAMES,
    bd09_to_gcj02,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    transform_geometry,
    wgs84_to_gcj02,
)
from geo.distance import geodesic_distance_m

N_POINTS = 300
DEG_TOL = 1e-9  # ~0.1 mm: both implement the same closed-form formulas


@pytest.fixture(scope="module")
def china_points() -> tuple[np.ndarray, np.ndarray]:
    """Random WGS-84 points well inside China's GCJ-02 box (fixed seed, reproducible)."""
    rng = np.random.default_rng(20240611)
    return rng.uniform(74.0, 134.0, N_POINTS), rng.uniform(19.0, 53.0, N_POINTS)


def test_crs_names() -> None:
    assert CRS_NAMES == ("wgs84", "gcj02", "bd09")


def test_wgs_to_gcj_matches_prcoords(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    lons, lats = china_points
    glon, glat = wgs84_to_gcj02(lons, lats)
    for lon, lat, gx, gy in zip(lons, lats, glon, glat, strict=True):
        ref = prcoords.wgs_gcj((lat, lon))
        assert gx == pytest.approx(ref.lon, abs=DEG_TOL)
        assert gy == pytest.approx(ref.lat, abs=DEG_TOL)


def test_gcj_to_wgs_matches_prcoords_bored(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    lons, lats = china_points
    wlon, wlat = gcj02_to_wgs84(lons, lats)
    for lon, lat, wx, wy in zip(lons, lats, wlon, wlat, strict=True):
        ref = prcoords.gcj_wgs_bored((lat, lon))
        # prcoords stops iterating at 1e-5 deg of residual; it is then within ~1e-7 deg.
        assert wx == pytest.approx(ref.lon, abs=1e-7)
        assert wy == pytest.approx(ref.lat, abs=1e-7)


def test_gcj_bd_matches_prcoords(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    lons, lats = china_points
    blon, blat = gcj02_to_bd09(lons, lats)
    back_lon, back_lat = bd09_to_gcj02(blon, blat)
    for i in range(N_POINTS):
        ref_bd = prcoords.gcj_bd((lats[i], lons[i]))
        assert blon[i] == pytest.approx(ref_bd.lon, abs=DEG_TOL)
        assert blat[i] == pytest.approx(ref_bd.lat, abs=DEG_TOL)
        # Our inverse refines the closed form by iteration, like prcoords' "bored" variant.
        ref_gcj = prcoords.bd_gcj_bored((blat[i], blon[i]))
        assert back_lon[i] == pytest.approx(ref_gcj.lon, abs=1e-7)
        assert back_lat[i] == pytest.approx(ref_gcj.lat, abs=1e-7)
        assert (back_lon[i], back_lat[i]) == pytest.approx((lons[i], lats[i]), abs=1e-10)


@pytest.mark.parametrize(
    ("wgs", "gcj", "tol"),
    [
        # Published in the test suites of wandergis/coordtransform (JS) and caijun/geoChina (R).
        ((116.404, 39.915), (116.41024449916938, 39.91640428150164), 1e-12),
        ((116.39089, 39.90734), (116.39713094, 39.90874107), 1e-8),
    ],
)
def test_reference_pairs(wgs: tuple[float, float], gcj: tuple[float, float], tol: float) -> None:
    lon, lat = wgs84_to_gcj02(*wgs)
    assert (lon, lat) == pytest.approx(gcj, abs=tol)
    back = gcj02_to_wgs84(lon, lat)
    assert geodesic_distance_m(*back, *wgs) < 0.001


def test_reference_pair_bd09() -> None:
    # wandergis/coordtransform: gcj02tobd09(116.404, 39.915)
    expected = (116.41036949371029, 39.92133699351021)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(expected, abs=1e-12)


def test_round_trips_within_a_metre(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    lons, lats = china_points
    worst = 0.0
    for crs in ("gcj02", "bd09"):
        blon, blat = to_wgs84(*from_wgs84(lons, lats, crs), crs)
        for a, b, c, d in zip(lons, lats, blon, blat, strict=True):
            worst = max(worst, geodesic_distance_m(a, b, c, d))
    assert worst < 0.01  # far better than the required metre


def test_floats_in_floats_out() -> None:
    lon, lat = wgs84_to_gcj02(112.6, 35.05)
    assert type(lon) is float and type(lat) is float
    for fn in (gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02):
        out = fn(112.6, 35.05)
        assert all(type(v) is float for v in out)
    arr = wgs84_to_gcj02(np.array([112.6]), np.array([35.05]))
    assert isinstance(arr[0], np.ndarray) and arr[0].shape == (1,)


@pytest.mark.parametrize(
    "point", [(2.3522, 48.8566), (-74.0, 40.7), (139.69, 35.69), (151.2, -33.9)]
)
def test_identity_outside_china(point: tuple[float, float]) -> None:
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_jiyuan_offset_is_several_hundred_metres() -> None:
    lon, lat = 112.6, 35.05
    offset = geodesic_distance_m(lon, lat, *wgs84_to_gcj02(lon, lat))
    assert 300.0 < offset < 700.0


def test_unknown_crs_names_allowed_values() -> None:
    with pytest.raises(ValueError, match="wgs84, gcj02, bd09"):
        to_wgs84(112.6, 35.05, "mars")
    with pytest.raises(ValueError, match="wgs84"):
        from_wgs84(112.6, 35.05, "EPSG:4326")


def test_wgs84_is_identity_for_dispatch() -> None:
    assert to_wgs84(112.6, 35.05, "wgs84") == (112.6, 35.05)
    assert from_wgs84(112.6, 35.05, "wgs84") == (112.6, 35.05)


def test_transform_geometry_matches_point_functions() -> None:
    poly = Polygon([(112.5, 35.0), (112.7, 35.0), (112.7, 35.1), (112.5, 35.0)])
    out = transform_geometry(poly, "gcj02", "wgs84")
    assert isinstance(out, Polygon)
    coords = np.asarray(out.exterior.coords)
    expected = np.column_stack(gcj02_to_wgs84(*np.asarray(poly.exterior.coords).T))
    np.testing.assert_allclose(coords, expected, atol=1e-12)
    back = transform_geometry(out, "wgs84", "gcj02")
    np.testing.assert_allclose(np.asarray(back.exterior.coords), poly.exterior.coords, atol=1e-10)


def test_transform_geometry_bd09_and_z() -> None:
    line = LineString([(112.6, 35.05, 100.0), (112.61, 35.06, 200.0)])
    out = transform_geometry(line, "wgs84", "bd09")
    assert shapely.has_z(out)
    np.testing.assert_allclose(np.asarray(out.coords)[:, 2], [100.0, 200.0])
    x, y = from_wgs84(112.6, 35.05, "bd09")
    assert np.asarray(out.coords)[0, :2] == pytest.approx((x, y), abs=1e-12)
    with pytest.raises(ValueError):
        transform_geometry(Point(1, 2), "wgs84", "utm")
