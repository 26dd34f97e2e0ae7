"""Jiyuan (济源市) demo territories shipped with the package.

Why a committed file: no official township boundaries are available offline, so
scripts/build_jiyuan_demo.py derives approximate cells (Voronoi of the 16 town seats, clipped to
the city outline) from the source data shipped in data/jiyuan/, and the app reads the result from
here without a build step. They are labelled "demo boundaries, not official" everywhere they appear.
"""

from __future__ import annotations

import pathlib

from geo.boundaries import Territory, load_feature_collection

DEMO_BOUNDARIES_PATH = pathlib.Path(__file__).parent / "data" / "jiyuan_demo_boundaries.geojson"
DEMO_LABEL = "demo boundaries, not official"


def load_demo_territories() -> list[Territory]:
    """The 16 demo territories (WGS-84), sorted by code."""
    return load_feature_collection(DEMO_BOUNDARIES_PATH)


def demo_seats() -> dict[str, tuple[float, float]]:
    """Code -> (lon, lat) of each town/subdistrict seat in WGS-84, from the file's properties."""
    return {
        t.code: (float(t.properties["seat_lon"]), float(t.properties["seat_lat"]))
        for t in load_demo_territories()
    }
