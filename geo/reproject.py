"""Bring a geometry from any supported coordinate system to WGS-84 longitude/latitude.

Why two mechanisms: GCJ-02 and BD-09 are not real CRSs (PROJ does not know them), so they go
through geo.crs; everything else (EPSG:4490 CGCS2000, UTM zones such as EPSG:32649, ...) is
handled by PROJ. ``always_xy=True`` keeps the project's (lon, lat) / (x, y) order regardless of
the axis order an EPSG definition declares.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from geo.crs import CRS_NAMES, transform_geometry


@lru_cache(maxsize=32)
def _transformer_to_wgs84(crs: str) -> Transformer:
    """Build (once per CRS string) a PROJ transformer to EPSG:4326 in lon/lat order."""
    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ValueError(
            f"unknown coordinate system {crs!r}: expected one of {', '.join(CRS_NAMES)} "
            "or a CRS string PROJ understands (e.g. 'EPSG:4490')"
        ) from exc
    return Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)


def geometry_to_wgs84(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """Return ``geom`` re-expressed in WGS-84 lon/lat; ``crs`` as in load_feature_collection."""
    if crs in CRS_NAMES:
        return transform_geometry(geom, crs, "wgs84")
    transformer = _transformer_to_wgs84(crs)

    def _convert(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = coords.copy()  # shapely's float64 array; the copy keeps any z
        out[:, 0], out[:, 1] = transformer.transform(coords[:, 0], coords[:, 1])
        return out

    result: BaseGeometry = shapely.transform(geom, _convert, include_z=None)
    return result
