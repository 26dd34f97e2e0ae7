"""Conversions between WGS-84 and the Chinese map datums GCJ-02 and BD-09.

Why this exists: phones report WGS-84, but AMap/Tencent/WeChat return GCJ-02 and Baidu returns
BD-09; mixing them puts a point 300-700 m away from where it really is, more than a check-in
radius. The server stores WGS-84 only and converts at the edge with these functions.

GCJ-02 is a published closed-form obfuscation (forward formula only); its inverse has no closed
form, so we invert it by fixed-point iteration, which converges to well below a millimetre in a
handful of steps because the offset varies slowly with position. BD-09 is a closed-form
polar-coordinate tweak of GCJ-02; its usual closed-form inverse is approximate (~1 cm), so we
refine it with the same fixed-point iteration to make the round trip exact.

All functions take ``(lon, lat)`` in that order (the project-wide convention), accept Python
floats or numpy arrays, and return the same kind: floats in, floats out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

CRS_NAMES: tuple[str, str, str] = ("wgs84", "gcj02", "bd09")

FloatArray = npt.NDArray[np.float64]
#: A coordinate component: a scalar, or an array of them (returned as the same kind).
Coord = TypeVar("Coord", float, FloatArray)

# Krasovsky 1940 ellipsoid, which the GCJ-02 formula uses (not WGS-84's; that is part of the spec).
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323

# The "rough box" in which the GCJ-02 offset is applied; outside it the datum is WGS-84 itself.
_CHINA_LON_MIN, _CHINA_LON_MAX = 72.004, 137.8347
_CHINA_LAT_MIN, _CHINA_LAT_MAX = 0.8293, 55.8271

# BD-09 constants: Baidu's fixed shift and the "x_pi" rotation scale.
_BD_DLON = 0.0065
_BD_DLAT = 0.0060
_X_PI = math.pi * 3000.0 / 180.0

# Inverse iteration: stop when the forward image is within this many degrees of the target
# (1e-12 deg ~ 0.1 micrometre). Convergence is geometric with ratio ~1e-3, so 3-4 steps suffice;
# the cap only guards against pathological inputs (e.g. NaN).
_INVERSE_TOL_DEG = 1e-12
_INVERSE_MAX_ITER = 30


def _to_arrays(lon: Any, lat: Any) -> tuple[FloatArray, FloatArray, bool]:
    """Coerce inputs to float arrays and remember whether the caller passed scalars."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    scalar = lon_a.ndim == 0 and lat_a.ndim == 0
    lon_b, lat_b = np.broadcast_arrays(lon_a, lat_a)
    return lon_b.astype(np.float64), lat_b.astype(np.float64), scalar


def _from_arrays(lon: FloatArray, lat: FloatArray, scalar: bool) -> tuple[Any, Any]:
    """Return plain floats if the caller gave scalars, arrays otherwise."""
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def in_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    """True where the GCJ-02 offset applies (the customary rough bounding box of China)."""
    return (
        (lon >= _CHINA_LON_MIN)
        & (lon <= _CHINA_LON_MAX)
        & (lat >= _CHINA_LAT_MIN)
        & (lat <= _CHINA_LAT_MAX)
    )


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84, in degrees, evaluated at a WGS-84 position (zero outside China)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def _wgs_to_gcj_arr(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _gcj_to_bd_arr(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_rough(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The customary closed-form approximate inverse (~1e-7 deg); a starting guess."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _invert(
    forward: Forward, lon: FloatArray, lat: FloatArray, guess_lon: FloatArray, guess_lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(x) = target by fixed-point iteration x <- x - (forward(x) - target).

    Why this converges: both transforms are "identity plus a small, slowly varying shift", so the
    error shrinks by roughly the shift's derivative (~1e-3) each step.
    """
    x, y = guess_lon.copy(), guess_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if not np.any(np.maximum(np.abs(dx), np.abs(dy)) > _INVERSE_TOL_DEG):
            break
    return x, y


def _gcj_to_wgs_arr(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _invert(_wgs_to_gcj_arr, lon, lat, lon, lat)


def _bd_to_gcj_arr(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    guess_lon, guess_lat = _bd_to_gcj_rough(lon, lat)
    return _invert(_gcj_to_bd_arr, lon, lat, guess_lon, guess_lat)


def wgs84_to_gcj02(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """WGS-84 -> GCJ-02 (exact published formula; identity outside China's box)."""
    lon_a, lat_a, scalar = _to_arrays(lon, lat)
    return _from_arrays(*_wgs_to_gcj_arr(lon_a, lat_a), scalar)


def gcj02_to_wgs84(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """GCJ-02 -> WGS-84 by iteration; round-trip error is far below a millimetre."""
    lon_a, lat_a, scalar = _to_arrays(lon, lat)
    return _from_arrays(*_gcj_to_wgs_arr(lon_a, lat_a), scalar)


def gcj02_to_bd09(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """GCJ-02 -> BD-09 (Baidu's closed-form formula)."""
    lon_a, lat_a, scalar = _to_arrays(lon, lat)
    return _from_arrays(*_gcj_to_bd_arr(lon_a, lat_a), scalar)


def bd09_to_gcj02(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """BD-09 -> GCJ-02: closed-form guess refined by iteration, so it inverts gcj02_to_bd09."""
    lon_a, lat_a, scalar = _to_arrays(lon, lat)
    return _from_arrays(*_bd_to_gcj_arr(lon_a, lat_a), scalar)


def _check_crs(crs: str) -> str:
    if crs not in CRS_NAMES:
        raise ValueError(
            f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}"
        )
    return crs


def _to_wgs84_arr(lon: FloatArray, lat: FloatArray, crs: str) -> tuple[FloatArray, FloatArray]:
    if _check_crs(crs) == "gcj02":
        return _gcj_to_wgs_arr(lon, lat)
    if crs == "bd09":
        return _gcj_to_wgs_arr(*_bd_to_gcj_arr(lon, lat))
    return lon, lat


def _from_wgs84_arr(lon: FloatArray, lat: FloatArray, crs: str) -> tuple[FloatArray, FloatArray]:
    if _check_crs(crs) == "gcj02":
        return _wgs_to_gcj_arr(lon, lat)
    if crs == "bd09":
        return _gcj_to_bd_arr(*_wgs_to_gcj_arr(lon, lat))
    return lon, lat


def to_wgs84(lon: Coord, lat: Coord, crs: str) -> tuple[Coord, Coord]:
    """Convert from ``crs`` (one of CRS_NAMES) to WGS-84; raises ValueError for other names."""
    lon_a, lat_a, scalar = _to_arrays(lon, lat)
    return _from_arrays(*_to_wgs84_arr(lon_a, lat_a, crs), scalar)


def from_wgs84(lon: Coord, lat: Coord, crs: str) -> tuple[Coord, Coord]:
    """Convert from WGS-84 to ``crs`` (one of CRS_NAMES); raises ValueError for other names."""
    lon_a, lat_a, scalar = _to_arrays(lon, lat)
    return _from_arrays(*_from_wgs84_arr(lon_a, lat_a, crs), scalar)


def transform_geometry(geom: BaseGeometry, src: str, dst: str) -> BaseGeometry:
    """Re-express a shapely geometry from datum ``src`` to ``dst`` (both in CRS_NAMES).

    All coordinates go through numpy in one call per geometry (shapely.transform), not per
    vertex. Z values, if any, are kept unchanged.
    """
    _check_crs(src)
    _check_crs(dst)
    if src == dst:
        return geom

    def _convert(coords: FloatArray) -> FloatArray:
        out = np.array(coords, dtype=np.float64, copy=True)
        lon, lat = _to_wgs84_arr(out[:, 0], out[:, 1], src)
        out[:, 0], out[:, 1] = _from_wgs84_arr(lon, lat, dst)
        return out

    result: BaseGeometry = shapely.transform(geom, _convert, include_z=None)
    return result
