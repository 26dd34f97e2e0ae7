"""Geodesic measurements on the WGS-84 ellipsoid.

Why geodesic rather than planar/haversine: check-in radii and datum offsets are judged in metres,
and a single ellipsoidal implementation (pyproj's GeographicLib) avoids every caller picking its
own approximation. The Geod object is pure computation (no I/O), so a module-level one is shared.
"""

from __future__ import annotations

import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

WGS84_GEOD = Geod(ellps="WGS84")


def geodesic_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Shortest distance in metres between two WGS-84 points."""
    _, _, dist = WGS84_GEOD.inv(lon1, lat1, lon2, lat2)
    return float(dist)


def offset_point(
    lon: float, lat: float, azimuth_deg: float, distance_m: float
) -> tuple[float, float]:
    """The WGS-84 point ``distance_m`` metres from (lon, lat) along ``azimuth_deg`` (0 = north)."""
    lon2, lat2, _ = WGS84_GEOD.fwd(lon, lat, azimuth_deg, distance_m)
    return float(lon2), float(lat2)


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area in square metres of a WGS-84 (multi)polygon; non-polygonal parts count as zero.

    Why orient first: pyproj sums signed ring areas, so holes only subtract when their
    orientation is opposite to the shell's; we normalise to RFC 7946 orientation to be sure.
    """
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.geom_type in ("Polygon", "MultiPolygon") and not part.is_empty:
            oriented = shapely.orient_polygons(part, exterior_cw=False)
            area, _ = WGS84_GEOD.geometry_area_perimeter(oriented)
            total += abs(float(area))
        elif part.geom_type == "GeometryCollection":
            total += geodesic_area_m2(part)
    return total
