"""Small shapely helpers shared by the geo modules.

Why: GEOS operations (make_valid, intersection, clipping) may return GeometryCollections mixing
polygons with stray lines and points; territories are areas, so only the polygonal part matters
and everything downstream expects one uniform type, a MultiPolygon.
"""

from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


def polygonal_part(geom: BaseGeometry) -> MultiPolygon:
    """All polygons inside ``geom`` (recursing into collections) as one MultiPolygon."""
    polygons: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon):
            if not part.is_empty:
                polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
        elif part.geom_type == "GeometryCollection":
            polygons.extend(polygonal_part(part).geoms)
    return MultiPolygon(polygons)
