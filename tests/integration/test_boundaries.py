"""Boundary sets: import (any datum), validate, version, activate; Shapely and PostGIS agree."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.affinity import translate

from dispatch.boundary_admin import import_boundary_set
from geo.boundaries import Territory, to_feature_collection
from geo.crs import transform_geometry
from geo.jiyuan import load_demo_territories
from geo.locate import TerritoryIndex
from tests.helpers import ZHICHENG, report, seat


def test_boundaries_are_geojson_labelled_demo(client, login):
    r = client.get("/api/v1/units/boundaries", headers=login("demo-reporter"))
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    fc = r.get_json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 16
    assert fc["label"] == "demo boundaries, not official"
    assert all(f["properties"]["label"] == "demo boundaries, not official" for f in fc["features"])
    assert client.get("/api/v1/units/boundaries").status_code == 401


def test_units_lists_territories_departments_and_routing(client, login):
    body = client.get("/api/v1/units", headers=login(f"officer-{ZHICHENG}")).get_json()
    kinds = {u["code"]: u["kind"] for u in body["items"]}
    assert sum(k == "territory" for k in kinds.values()) == 16
    assert kinds["power_supply"] == "department"
    assert body["routing"]["road_blocked"] == ["public_security", "traffic_police"]


def test_old_incidents_keep_their_territory_when_a_newer_set_is_activated(client, login, ctx):
    reporter = login("demo-reporter")
    before = report(client, reporter).get_json()
    assert before["territory"]["code"] == ZHICHENG
    # A new set in which the whole city belongs to one unit named after Kejing.
    city = shapely.union_all([t.geometry for t in load_demo_territories()])
    one = [Territory("419001100", "克井镇", shapely.MultiPolygon([city]) if city.geom_type ==
                     "Polygon" else city)]
    set_id, report_ = import_boundary_set(ctx, one, "one-unit", "test", activate=True)
    assert report_.ok
    after = report(client, reporter).get_json()
    assert after["territory"]["code"] == "419001100"
    assert after["boundary_set_id"] == set_id
    again = client.get(f"/api/v1/incidents/{before['id']}", headers=reporter).get_json()
    assert again["territory"]["code"] == ZHICHENG
    assert again["boundary_set_id"] == before["boundary_set_id"]


def test_cli_imports_gcj02_geojson_and_activates_it(app, tmp_path, client, login):
    territories = load_demo_territories()
    shifted = [Territory(t.code, t.name, transform_geometry(t.geometry, "wgs84", "gcj02"))
               for t in territories]
    path = tmp_path / "gcj.geojson"
    path.write_text(json.dumps(to_feature_collection(shifted)), encoding="utf-8")
    runner = app.test_cli_runner()
    out = runner.invoke(args=["import-boundaries", str(path), "--crs", "gcj02", "--name",
                              "from-amap"])
    assert out.exit_code == 0, out.output
    assert "activate-boundaries" in out.output
    set_id = int(out.output.split("boundary set ")[1].split(";")[0])
    out = runner.invoke(args=["activate-boundaries", str(set_id)])
    assert out.exit_code == 0, out.output
    # Converted back to WGS-84 on import, so the seat still lands in its own unit.
    inc = report(client, login("demo-reporter")).get_json()
    assert inc["territory"]["code"] == ZHICHENG and inc["boundary_set_id"] == set_id


def test_cli_reports_overlaps_and_refuses_bad_files(app, tmp_path):
    a = shapely.box(112.5, 35.0, 112.6, 35.1)
    b = translate(a, 0.05)
    fc = to_feature_collection([Territory("A", "a", shapely.MultiPolygon([a])),
                                Territory("B", "b", shapely.MultiPolygon([b]))])
    path = tmp_path / "overlap.geojson"
    path.write_text(json.dumps(fc))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["import-boundaries", str(path), "--name", "overlapping"])
    assert out.exit_code == 0 and "overlap A / B" in out.output
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "no code"},
         "geometry": a.__geo_interface__}]}))
    out = runner.invoke(args=["import-boundaries", str(bad), "--name", "bad"])
    assert out.exit_code != 0 and "code" in out.output


@pytest.mark.parametrize("backend", ["postgis"], indirect=True)
def test_postgis_st_covers_agrees_with_shapely_on_thousands_of_points(ctx, backend):
    with ctx.uow() as uow:
        active = uow.boundaries.active_set()
        rows = uow.boundaries.territories(active.id)
    index = TerritoryIndex([(code, geom) for code, _, geom in rows])
    rng = np.random.default_rng(311)
    minx, miny, maxx, maxy = shapely.union_all([g for _, _, g in rows]).bounds
    lons = rng.uniform(minx - 0.02, maxx + 0.02, 2500)
    lats = rng.uniform(miny - 0.02, maxy + 0.02, 2500)
    # Add points exactly on shared borders and vertices, where the tie rule decides.
    vertices = np.unique(np.concatenate([shapely.get_coordinates(g) for _, _, g in rows]), axis=0)
    pick = vertices[rng.choice(len(vertices), 300, replace=False)]
    lons, lats = np.concatenate([lons, pick[:, 0]]), np.concatenate([lats, pick[:, 1]])
    ours = index.locate_many(lons, lats)
    with ctx.uow() as uow:
        theirs = [uow.boundaries.locate_in_database(active.id, float(x), float(y))
                  for x, y in zip(lons, lats, strict=True)]
    rows_ = zip(lons, lats, ours, theirs, strict=True)
    disagreements = [(x, y, a, b) for x, y, a, b in rows_ if a != b]
    assert not disagreements, disagreements[:5]
    assert sum(code is None for code in ours) > 50  # the sample does cover the outside too
    assert index.locate(*seat()) == ZHICHENG
