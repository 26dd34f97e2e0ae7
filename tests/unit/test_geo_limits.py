"""geo at its limits: the China box is closed, tolerances are strict (an area equal to the
tolerance is noise), every part of a collection counts, BD-09's closed-form guess is already
close, and a refused boundary file says which feature and why."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, box

from geo import crs
from geo.boundaries import (
    BoundaryError,
    BoundaryReport,
    Territory,
    _gaps,
    _overlaps,
    load_feature_collection,
    to_feature_collection,
    validate,
)
from geo.distance import geodesic_area_m2
from geo.locate import TerritoryIndex

CELL = 1 / 64  # degrees (exact in binary, so neighbours share edges exactly); ~1.5 km


def _square(x: float, y: float, size: float = CELL) -> MultiPolygon:
    return MultiPolygon([box(x, y, x + size, y + size)])


def test_the_china_box_includes_its_edges() -> None:
    lons = np.array([crs._CHINA_LON_MIN, crs._CHINA_LON_MAX, 100.0, 100.0])
    lats = np.array([30.0, 30.0, crs._CHINA_LAT_MIN, crs._CHINA_LAT_MAX])
    assert crs.in_china(lons, lats).tolist() == [True, True, True, True]
    outside = crs.in_china(np.nextafter(lons, [0, 180, 100, 100]),
                           np.nextafter(lats, [30, 30, 0, 90]))
    assert outside.tolist() == [False, False, False, False]


def test_bd09_closed_form_guess_is_within_a_micro_degree() -> None:
    lon, lat = np.array([112.6, 113.3]), np.array([35.1, 23.1])
    bd_lon, bd_lat = crs._gcj_to_bd_arr(lon, lat)
    guess_lon, guess_lat = crs._bd_to_gcj_rough(bd_lon, bd_lat)
    assert np.max(np.abs(guess_lon - lon)) < 1e-6
    assert np.max(np.abs(guess_lat - lat)) < 1e-6


def test_scalar_in_scalar_out_and_arrays_stay_arrays() -> None:
    lon, lat = crs.to_wgs84(112.6, 35.1, "gcj02")
    assert isinstance(lon, float) and isinstance(lat, float)
    lon2, lat2 = crs.from_wgs84(lon, lat, "gcj02")
    assert isinstance(lon2, float) and abs(lon2 - 112.6) < 1e-9 and abs(lat2 - 35.1) < 1e-9
    arr_lon, _ = crs.to_wgs84(np.array([112.6]), np.array([35.1]), "gcj02")
    assert isinstance(arr_lon, np.ndarray) and arr_lon.shape == (1,)
    ints = crs.to_wgs84(112, 35, "bd09")
    assert isinstance(ints[0], float) and ints[0] != 112


def test_integer_coordinates_are_converted_not_truncated() -> None:
    geom = crs.transform_geometry(Point(112, 35), "wgs84", "gcj02")
    assert geom.x != 112 and geom.y != 35  # the GCJ-02 shift is kept, not cut to integers


def test_area_counts_every_part_of_a_collection_and_ignores_lines() -> None:
    one = geodesic_area_m2(box(112.0, 35.0, 112.01, 35.01))
    two = GeometryCollection([box(112.0, 35.0, 112.01, 35.01), box(113.0, 35.0, 113.01, 35.01),
                              Point(1, 1)])
    assert geodesic_area_m2(two) == pytest.approx(2 * one, rel=1e-3)
    nested = GeometryCollection([two, box(112.5, 35.0, 112.51, 35.01)])
    assert geodesic_area_m2(nested) == pytest.approx(3 * one, rel=1e-3)
    multi = MultiPolygon([box(112.0, 35.0, 112.01, 35.01), box(113.0, 35.0, 113.01, 35.01)])
    assert geodesic_area_m2(multi) == pytest.approx(2 * one, rel=1e-3)
    assert geodesic_area_m2(Polygon()) == 0.0


def test_a_hole_subtracts_whatever_the_ring_orientation() -> None:
    shell = [(112.0, 35.0), (112.02, 35.0), (112.02, 35.02), (112.0, 35.02)]
    hole = [(112.005, 35.005), (112.015, 35.005), (112.015, 35.015), (112.005, 35.015)]
    full = geodesic_area_m2(Polygon(shell))
    for ring in (hole, hole[::-1]):
        assert geodesic_area_m2(Polygon(shell, [ring])) == pytest.approx(full * 0.75, rel=1e-3)
    assert geodesic_area_m2(Polygon(shell[::-1], [hole])) == pytest.approx(full * 0.75, rel=1e-3)


def test_an_overlap_equal_to_the_tolerance_is_noise_and_larger_is_reported() -> None:
    a = Territory("a", "A", _square(112.0, 35.0))
    b = Territory("b", "B", _square(112.0 + CELL / 2, 35.0))
    c = Territory("c", "C", _square(113.0, 35.0))
    [(x, y, area)] = _overlaps([b, a, c], 0.0)
    assert (x, y) == ("a", "b") and area > 0
    assert _overlaps([a, b, c], area) == []
    assert _overlaps([a, b, c], np.nextafter(area, 0)) == [("a", "b", area)]


def test_gaps_are_largest_first_and_one_equal_to_the_tolerance_is_noise() -> None:
    ring = [Territory(f"t{i}", "T", _square(112.0 + x * CELL, 35.0 + y * CELL))
            for i, (x, y) in enumerate([(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (0, 2), (1, 2),
                                        (2, 2), (4, 0), (5, 0), (6, 0), (7, 0), (4, 1), (7, 1),
                                        (4, 2), (7, 2), (4, 3), (5, 3), (6, 3), (7, 3)])]
    gaps = _gaps(ring, 0.0)
    assert len(gaps) == 2 and gaps[0] > gaps[1] > 0  # a 2x2 hole, then a 1x1 hole
    assert _gaps(ring, gaps[1]) == [gaps[0]]
    report = validate(ring)
    assert report.gaps == gaps and report.overlaps == [] and not report.ok


def test_validating_nothing_reports_empty_lists() -> None:
    assert validate([]) == BoundaryReport(repaired=[], overlaps=[], gaps=[])


def _fc(*features: object) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(code: object, geometry: object, **props: object) -> dict[str, object]:
    return {"type": "Feature", "properties": {"code": code, "name": "N", **props},
            "geometry": geometry}


SQUARE = {"type": "Polygon", "coordinates": [[[112, 35], [112.01, 35], [112.01, 35.01],
                                              [112, 35.01], [112, 35]]]}


@pytest.mark.parametrize(("data", "message"), [
    ({"type": "Feature"}, "expected a GeoJSON FeatureCollection with a 'features' list, "
                          "got type 'Feature'"),
    (_fc(), "the FeatureCollection contains no territories"),
    (_fc({"type": "Feature", "properties": [1], "geometry": SQUARE}),
     "feature #0: properties must be an object"),
    (_fc(_feature("a", SQUARE), _feature("b", {"type": "Point", "coordinates": [1, 2]})),
     "feature #1 (code b): geometry must be a Polygon or MultiPolygon, got 'Point'"),
    (_fc(_feature("b", "Polygon")),
     "feature #0 (code b): geometry must be a Polygon or MultiPolygon, got 'Polygon'"),
    (_fc(_feature("b", {"type": "Polygon", "coordinates": [[1]]})),
     "feature #0 (code b): malformed Polygon coordinates"),
])
def test_a_refused_collection_says_which_feature_and_why(data: dict, message: str) -> None:
    with pytest.raises(BoundaryError) as caught:
        load_feature_collection(data)
    assert str(caught.value).startswith(message)


def test_a_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "b.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "name": "\xff", "features": []}')
    with pytest.raises(BoundaryError, match=r"b\.geojson: not UTF-8 text"):
        load_feature_collection(path)


def test_a_utf8_file_is_read_as_utf8_whatever_the_locale(tmp_path: pathlib.Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(_fc(_feature("a", SQUARE) | {"properties": {
        "code": "a", "name": "济源"}}), ensure_ascii=False), encoding="utf-8")
    import locale
    monkeypatch.setattr(locale, "getpreferredencoding", lambda *a: "latin-1")
    monkeypatch.setattr(pathlib, "_encoding_default", "latin-1", raising=False)
    [t] = load_feature_collection(path)
    assert t.name == "济源"


def test_default_input_is_wgs84_unchanged() -> None:
    [t] = load_feature_collection(_fc(_feature("a", SQUARE)))
    assert t.geometry.bounds == (112.0, 35.0, 112.01, 35.01)


def test_export_keeps_code_and_name_from_the_territory() -> None:
    t = Territory("a", "A", _square(112.0, 35.0), {"name": "spoof", "code": "x", "kind": "town"})
    [feature] = to_feature_collection([t], {"name": "also spoof", "demo": True})["features"]
    assert feature["properties"] == {"code": "a", "name": "A", "kind": "town", "demo": True}
    shell = feature["geometry"]["coordinates"][0][0]
    assert shapely.LinearRing(shell).is_ccw  # RFC 7946: counter-clockwise shells


def test_index_refuses_duplicate_codes_and_ranks_by_code() -> None:
    with pytest.raises(ValueError, match="^duplicate territory codes in TerritoryIndex$"):
        TerritoryIndex([("a", _square(112, 35)), ("a", _square(113, 35))])
    index = TerritoryIndex([("b", _square(112, 35)), ("a", _square(112, 35))])
    assert index.locate(112.005, 35.005) == "a"  # on a tie the smaller code wins
    assert index.locate_many([112.005, 0], [35.005, 0]) == ["a", None]
