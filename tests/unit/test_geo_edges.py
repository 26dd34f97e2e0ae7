"""Geometry at its edges: polygons nested in collections, areas of mixed collections, Z values
kept through a reprojection, datum conversions returning the kind they were given, and who hears
which rooms and where photos land."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from dispatch.access import rooms_for
from dispatch.model import Role, User
from dispatch.photos import PhotoUpload, save
from geo.crs import from_wgs84, to_wgs84
from geo.distance import geodesic_area_m2
from geo.reproject import geometry_to_wgs84
from geo.shapes import polygonal_part

A = box(112.50, 35.00, 112.51, 35.01)
B = box(112.60, 35.00, 112.61, 35.01)
C = box(112.70, 35.00, 112.71, 35.01)


def test_the_polygonal_part_finds_polygons_in_multipolygons_and_nested_collections() -> None:
    geom = GeometryCollection([MultiPolygon([A, B]), GeometryCollection([C, Point(1, 1)]),
                               LineString([(0, 0), (1, 1)])])
    part = polygonal_part(geom)
    assert isinstance(part, MultiPolygon)
    assert sorted(p.bounds for p in part.geoms) == sorted(p.bounds for p in (A, B, C))


def test_the_polygonal_part_drops_empty_polygons_of_a_multipolygon() -> None:
    geom = shapely.from_wkt(
        "GEOMETRYCOLLECTION (MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), EMPTY), POINT (5 5))")
    part = polygonal_part(geom)
    assert [p.area for p in part.geoms] == [0.5]


def test_the_area_of_a_collection_counts_every_polygon_at_any_depth_and_nothing_else() -> None:
    a, b, c = (geodesic_area_m2(g) for g in (A, B, C))
    geom = GeometryCollection([A, GeometryCollection([MultiPolygon([B, C])]),
                               LineString([(0, 0), (1, 1)]), Point(3, 3)])
    assert geodesic_area_m2(geom) == pytest.approx(a + b + c)
    assert geodesic_area_m2(GeometryCollection([A, GeometryCollection([B])])) == pytest.approx(
        a + b)


def test_a_hole_subtracts_from_the_area_whatever_the_rings_orientation() -> None:
    shell = [(112.5, 35.0), (112.52, 35.0), (112.52, 35.02), (112.5, 35.02)]
    hole = [(112.505, 35.005), (112.515, 35.005), (112.515, 35.015), (112.505, 35.015)]
    full = geodesic_area_m2(Polygon(shell))
    inner = geodesic_area_m2(Polygon(hole))
    for ring in (shell, shell[::-1]):
        for h in (hole, hole[::-1]):
            assert geodesic_area_m2(Polygon(ring, [h])) == pytest.approx(full - inner)


def test_a_reprojection_through_proj_keeps_z_values() -> None:
    poly = Polygon([(112.5, 35.0, 7.0), (112.51, 35.0, 7.0), (112.51, 35.01, 7.0)])
    out = geometry_to_wgs84(poly, "EPSG:4490")
    assert out.has_z
    assert [c[2] for c in out.exterior.coords] == [7.0] * 4


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_a_datum_conversion_of_floats_returns_floats(crs: str) -> None:
    lon, lat = from_wgs84(112.6, 35.0, crs)
    assert type(lon) is float and type(lat) is float
    back = to_wgs84(lon, lat, crs)
    assert all(type(v) is float for v in back)
    assert back == pytest.approx((112.6, 35.0), abs=1e-9)


def _user(role: Role, unit: str | None) -> User:
    return User(username="u", password_hash="h", role=role, unit_code=unit, display_name="u",
                id="u1")


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.ADMIN, Role.REPORTER])
def test_a_unit_code_gives_no_unit_room_to_a_role_that_is_not_of_a_unit(role: Role) -> None:
    rooms = rooms_for(_user(role, "west"))
    assert not [r for r in rooms if r.startswith(("unit:", "dispatch:"))]


def test_a_photo_is_saved_under_a_root_that_did_not_exist_yet(tmp_path: Path) -> None:
    root = tmp_path / "photos" / "not-yet"
    at = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    photo = save(root, "inc-1", PhotoUpload(b"\xff\xd8jpeg", "image/jpeg"), at)
    assert photo.path == f"inc-1/{photo.id}.jpg"
    assert (root / photo.path).read_bytes() == b"\xff\xd8jpeg"
    assert [p.name for p in (root / "inc-1").iterdir()] == [f"{photo.id}.jpg"]


def test_refusals_name_the_allowed_roles_and_the_incident() -> None:
    from dispatch.access import acting_unit, require_role, visible
    from dispatch.errors import Forbidden, NotFound
    from tests.unit.test_domain import _incident

    reporter = _user(Role.REPORTER, None)
    with pytest.raises(Forbidden) as caught:
        require_role(reporter, Role.OFFICER, Role.DISPATCHER)
    assert caught.value.detail == (
        "this action is for the roles officer, dispatcher; you are reporter")
    with pytest.raises(NotFound) as missing:
        visible(reporter, None, "inc-9")
    assert missing.value.detail == "no incident inc-9 that you may see"
    inc = _incident()
    with pytest.raises(NotFound) as other:
        acting_unit(_user(Role.OFFICER, "east"), inc, Role.OFFICER)
    assert other.value.detail == f"no incident {inc.id} that you may see"


def test_locating_with_no_active_boundary_set_says_what_to_do() -> None:
    from dispatch.errors import ServiceUnavailable
    from dispatch.locator import TerritoryLocator
    from tests.unit.fakes import FakeDatabase

    with FakeDatabase().uow() as uow, pytest.raises(ServiceUnavailable) as caught:
        TerritoryLocator().locate(uow, 112.6, 35.0)
    assert caught.value.detail == "no boundary set is active: import and activate one"
