"""geo.boundaries: loading from several coordinate systems, repair, validation, export."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping

from geo.boundaries import (
    BoundaryError,
    BoundaryReport,
    Territory,
    load_feature_collection,
    to_feature_collection,
    validate,
)
from geo.crs import transform_geometry
from geo.distance import geodesic_area_m2

# A small grid near Jiyuan, in WGS-84 degrees.
X0, Y0, STEP = 112.6, 35.05, 0.01


def _feature(code: Any, name: Any, geometry: Any, **props: Any) -> dict[str, Any]:
    geom = mapping(geometry) if hasattr(geometry, "geom_type") else geometry
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **props},
        "geometry": geom,
    }


def _fc(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _grid(k: int) -> tuple[float, float]:
    # Computed one way only, so neighbouring cells share bit-identical edges.
    return X0 + k * STEP, Y0 + k * STEP


def _cell(i: int, j: int) -> Polygon:
    return box(_grid(i)[0], _grid(j)[1], _grid(i + 1)[0], _grid(j + 1)[1])


def _territory(code: str, geom: Polygon) -> Territory:
    return Territory(code, f"t{code}", MultiPolygon([geom]), {})


def test_load_wgs84_normalises_to_multipolygon() -> None:
    [t] = load_feature_collection(_fc(_feature("A", "Alpha", _cell(0, 0), kind="town")))
    assert t.code == "A" and t.name == "Alpha"
    assert isinstance(t.geometry, MultiPolygon)
    assert t.geometry.equals(MultiPolygon([_cell(0, 0)]))
    assert t.properties == {"kind": "town"}
    assert t.repaired is False


def test_load_gcj02_lands_on_wgs84() -> None:
    truth = _cell(0, 0)
    gcj = transform_geometry(truth, "wgs84", "gcj02")
    assert gcj.centroid.distance(truth.centroid) > 0.003  # the datum shift is real
    [t] = load_feature_collection(_fc(_feature("A", "Alpha", gcj)), crs="gcj02")
    assert shapely.equals_exact(t.geometry, MultiPolygon([truth]), tolerance=1e-9)


def test_load_bd09() -> None:
    truth = _cell(1, 1)
    bd = transform_geometry(truth, "wgs84", "bd09")
    [t] = load_feature_collection(_fc(_feature("A", "Alpha", bd)), crs="bd09")
    assert shapely.equals_exact(t.geometry, MultiPolygon([truth]), tolerance=1e-9)


def test_load_projected_utm_crs() -> None:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    cx, cy = to_utm.transform(X0, Y0)
    square = box(cx - 500.0, cy - 500.0, cx + 500.0, cy + 500.0)
    [t] = load_feature_collection(_fc(_feature("U", "Utm", square)), crs="EPSG:32649")
    centroid = t.geometry.centroid
    assert centroid.x == pytest.approx(X0, abs=1e-5)
    assert centroid.y == pytest.approx(Y0, abs=1e-5)
    # 1 km x 1 km on the grid; UTM scale error here is well under 0.5 %.
    assert geodesic_area_m2(t.geometry) == pytest.approx(1.0e6, rel=5e-3)


def test_load_cgcs2000_geographic() -> None:
    [t] = load_feature_collection(_fc(_feature("C", "Cgcs", _cell(0, 0))), crs="EPSG:4490")
    assert shapely.equals_exact(t.geometry, MultiPolygon([_cell(0, 0)]), tolerance=1e-6)


def test_unknown_crs_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="EPSG:4490"):
        load_feature_collection(_fc(_feature("A", "Alpha", _cell(0, 0))), crs="not-a-crs")


def test_load_from_path_and_custom_properties(tmp_path: pathlib.Path) -> None:
    data = _fc(
        {
            "type": "Feature",
            "properties": {"adcode": 419001, "title": "济源市"},
            "geometry": mapping(_cell(0, 0)),
        }
    )
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for source in (path, str(path)):
        [t] = load_feature_collection(source, code_property="adcode", name_property="title")
        assert (t.code, t.name, t.properties) == ("419001", "济源市", {})


def test_bow_tie_is_repaired_and_reported() -> None:
    x1, y1 = X0 + STEP, Y0 + STEP
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[X0, Y0], [x1, y1], [x1, Y0], [X0, y1], [X0, Y0]]],
    }
    territories = load_feature_collection(
        _fc(_feature("B", "Bow", bow_tie), _feature("C", "Fine", _cell(5, 5)))
    )
    bow = territories[0]
    assert bow.repaired and bow.geometry.is_valid
    assert isinstance(bow.geometry, MultiPolygon) and len(bow.geometry.geoms) == 2
    assert bow.geometry.area == pytest.approx(STEP * STEP / 2)
    report = validate(territories)
    assert report.repaired == ["B"]
    assert report.ok  # a repair is reported but is not a tiling failure


def test_touching_cells_are_ok() -> None:
    cells = [_territory(f"{i}{j}", _cell(i, j)) for i in range(3) for j in range(3)]
    assert validate(cells) == BoundaryReport(repaired=[], overlaps=[], gaps=[])
    assert validate(cells).ok
    assert validate([]).ok


def test_overlap_is_reported_with_area() -> None:
    a = _territory("B", _cell(0, 0))
    b = _territory("A", box(X0 + 0.5 * STEP, Y0, X0 + 1.5 * STEP, Y0 + STEP))
    c = _territory("C", _cell(3, 0))
    report = validate([a, b, c])
    expected = geodesic_area_m2(box(X0 + 0.5 * STEP, Y0, X0 + STEP, Y0 + STEP))
    assert expected > 4.0e5
    assert len(report.overlaps) == 1
    code_a, code_b, area = report.overlaps[0]
    assert (code_a, code_b) == ("A", "B")
    assert area == pytest.approx(expected, rel=1e-9)
    assert not report.ok and report.gaps == []


def test_overlap_below_tolerance_is_ignored() -> None:
    sliver = 1e-9  # ~0.1 mm wide
    a = _territory("A", _cell(0, 0))
    b = _territory("B", box(X0 + STEP - sliver, Y0, X0 + 2 * STEP, Y0 + STEP))
    assert validate([a, b]).ok
    assert validate([a, b], tolerance_m2=0.0).overlaps  # but it is there


def test_gap_is_reported_with_area() -> None:
    # Eight cells around a missing centre cell (1, 1).
    ring = [
        _territory(f"{i}{j}", _cell(i, j)) for i in range(3) for j in range(3) if (i, j) != (1, 1)
    ]
    report = validate(ring)
    assert report.overlaps == []
    assert len(report.gaps) == 1
    assert report.gaps[0] == pytest.approx(geodesic_area_m2(_cell(1, 1)), rel=1e-9)
    assert not report.ok


def test_hole_filled_by_an_enclave_is_not_a_gap() -> None:
    outer = Polygon(
        box(X0, Y0, _grid(3)[0], _grid(3)[1]).exterior.coords, [_cell(1, 1).exterior.coords]
    )
    assert not validate([_territory("O", outer)]).ok
    assert validate([_territory("O", outer), _territory("E", _cell(1, 1))]).ok


def test_to_feature_collection_round_trips() -> None:
    originals = load_feature_collection(
        _fc(
            _feature("A", "Alpha", _cell(0, 0), kind="town"),
            _feature(
                "B", "Beta", Polygon(list(_cell(1, 0).exterior.coords)[::-1]), kind="subdistrict"
            ),
        )
    )
    fc = to_feature_collection(originals, extra_properties={"demo": True, "code": "ignored"})
    json.dumps(fc)  # plain JSON
    assert fc["type"] == "FeatureCollection"
    props = fc["features"][1]["properties"]
    assert list(props) == ["code", "name", "kind", "demo"]
    assert props == {"code": "B", "name": "Beta", "kind": "subdistrict", "demo": True}
    for feature in fc["features"]:
        assert feature["geometry"]["type"] == "MultiPolygon"
        shell = feature["geometry"]["coordinates"][0][0]
        assert shapely.is_ccw(shapely.linearrings(shell))  # RFC 7946 right-hand rule
    reloaded = load_feature_collection(fc)
    for before, after in zip(originals, reloaded, strict=True):
        assert (after.code, after.name) == (before.code, before.name)
        assert after.geometry.equals(before.geometry)
        assert after.properties == {**before.properties, "demo": True}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "Feature", "geometry": None, "properties": {}}, "FeatureCollection"),
        ({"type": "FeatureCollection"}, "FeatureCollection"),
        (_fc(_feature(None, "Alpha", _cell(0, 0))), "missing territory code"),
        (_fc(_feature("", "Alpha", _cell(0, 0))), "missing territory code"),
        (_fc(_feature("A", None, _cell(0, 0))), "missing territory name"),
        (_fc(_feature("A", "Alpha", Point(X0, Y0))), "Polygon or MultiPolygon"),
        (_fc(_feature("A", "Alpha", None)), "Polygon or MultiPolygon"),
        (
            _fc(_feature("A", "Alpha", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})),
            "malformed",
        ),
        (_fc(_feature("A", "Alpha", {"type": "Polygon", "coordinates": []})), "no area"),
        (
            _fc(_feature("A", "Alpha", _cell(0, 0)), _feature("A", "Again", _cell(1, 0))),
            "duplicate",
        ),
        (_fc(), "no territories"),
        (_fc({"type": "Nope"}), "not a GeoJSON Feature"),
    ],
)
def test_bad_input_raises_boundary_error(data: dict[str, Any], message: str) -> None:
    with pytest.raises(BoundaryError, match=message) as info:
        load_feature_collection(data)
    assert isinstance(info.value, ValueError)


def test_bad_files_raise_boundary_error(tmp_path: pathlib.Path) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(BoundaryError, match="not valid JSON"):
        load_feature_collection(broken)
    array = tmp_path / "array.geojson"
    array.write_text("[]", encoding="utf-8")
    with pytest.raises(BoundaryError, match="FeatureCollection"):
        load_feature_collection(array)
