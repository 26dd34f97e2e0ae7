"""A geometry column that works on PostGIS and on plain SQLite.

GeoAlchemy2's `Geometry` makes SQLite call SpatiaLite functions, which the embedded default does not
have. This decorator keeps `Geometry` (SRID 4326) on PostgreSQL, so PostGIS does the spatial work
with GiST indexes, and stores WKB bytes on SQLite, where Shapely does the spatial work instead.
The Python side always sees Shapely geometries in WGS-84.
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2 import Geometry, WKBElement
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

SRID = 4326


class GeometryColumn(TypeDecorator[Any]):
    """Shapely geometry in EPSG:4326: PostGIS `geometry` on PostgreSQL, WKB bytes on SQLite."""

    impl = Geometry
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY", **kw: Any) -> None:
        super().__init__(geometry_type=geometry_type, srid=SRID, spatial_index=False, **kw)

    def load_dialect_impl(self, dialect: Dialect | None) -> Any:  # GeoAlchemy2 passes None
        if dialect is None or dialect.name == "postgresql":
            return self.impl
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return from_shape(value, srid=SRID)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, WKBElement):
            return to_shape(value)
        if isinstance(value, memoryview):
            value = bytes(value)
        return shapely.from_wkb(value)
