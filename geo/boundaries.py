"""Territorial boundary sets: load, check and export the areas incidents are routed by.

Why this module is strict: dispatch answers "whose territory is this point in?", so a boundary
set with overlaps (two owners) or gaps (no owner) silently misroutes incidents. Loading therefore
normalises everything to one shape (WGS-84 MultiPolygons keyed by a unique code), repairs what can
be repaired while recording that it did, and rejects the rest with a BoundaryError that says
which feature is wrong. validate() then reports overlaps and gaps in square metres so operators
can judge them, rather than guessing from degrees.
"""

from __future__ import annotations

import itertools
import json
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from geo.distance import geodesic_area_m2
from geo.reproject import geometry_to_wgs84
from geo.shapes import polygonal_part

#: Overlaps and gaps smaller than this (m²) are floating-point noise, not data errors.
DEFAULT_TOLERANCE_M2 = 1.0


class BoundaryError(ValueError):
    """A boundary file or FeatureCollection that cannot be turned into territories."""


@dataclass(frozen=True)
class Territory:
    """One territory: a unique code, a display name and its WGS-84 area.

    ``properties`` holds the feature's other properties (e.g. ``kind``). ``repaired`` records
    that the source geometry was invalid and was fixed with shapely.make_valid on load; it is a
    field of its own so it never leaks into exported properties.
    """

    code: str
    name: str
    geometry: MultiPolygon
    properties: dict[str, Any] = field(default_factory=dict, hash=False)
    repaired: bool = False


@dataclass(frozen=True)
class BoundaryReport:
    """Result of validate(): what was repaired and where the set fails to tile."""

    repaired: list[str]
    overlaps: list[tuple[str, str, float]]
    gaps: list[float]

    @property
    def ok(self) -> bool:
        """True when territories neither overlap nor leave holes (repairs are not failures)."""
        return not self.overlaps and not self.gaps


def _read_source(source: Mapping[str, Any] | str | pathlib.Path) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    path = pathlib.Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BoundaryError(f"{path}: not valid JSON ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise BoundaryError(f"{path}: not UTF-8 text ({exc})") from exc
    if not isinstance(data, dict):
        raise BoundaryError(f"{path}: expected a GeoJSON FeatureCollection object")
    return data


def _property_text(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _feature_geometry(
    feature: Mapping[str, Any], where: str, crs: str
) -> tuple[MultiPolygon, bool]:
    """Parse, reproject and (if needed) repair one feature's geometry."""
    raw = feature.get("geometry")
    if not isinstance(raw, Mapping) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw.get("type") if isinstance(raw, Mapping) else raw
        raise BoundaryError(f"{where}: geometry must be a Polygon or MultiPolygon, got {kind!r}")
    try:
        geom: BaseGeometry = shape(raw)
    except (ValueError, TypeError, IndexError, AttributeError, GEOSException) as exc:
        raise BoundaryError(f"{where}: malformed {raw.get('type')} coordinates ({exc})") from exc
    geom = geometry_to_wgs84(geom, crs)
    repaired = not shapely.is_valid(geom)
    if repaired:
        geom = shapely.make_valid(geom)
    multi = polygonal_part(geom)
    if multi.is_empty:
        raise BoundaryError(f"{where}: geometry has no area")
    return multi, repaired


def load_feature_collection(
    source: Mapping[str, Any] | str | pathlib.Path,
    crs: str = "wgs84",
    code_property: str = "code",
    name_property: str = "name",
) -> list[Territory]:
    """Read a GeoJSON FeatureCollection (a dict or a file path) into WGS-84 territories.

    ``crs`` is the coordinate system of the input: "wgs84", "gcj02", "bd09", or any CRS string
    PROJ understands ("EPSG:4490", "EPSG:32649", ...). Polygons become MultiPolygons; invalid
    geometries are repaired with shapely.make_valid (polygonal part kept, ``repaired=True``).
    Raises BoundaryError for anything that would make routing ambiguous.
    """
    data = _read_source(source)
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise BoundaryError(
            "expected a GeoJSON FeatureCollection with a 'features' list, "
            f"got type {data.get('type')!r}"
        )
    territories: list[Territory] = []
    seen: set[str] = set()
    for index, feature in enumerate(data["features"]):
        where = f"feature #{index}"
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise BoundaryError(f"{where}: not a GeoJSON Feature")
        props = feature.get("properties") or {}
        if not isinstance(props, Mapping):
            raise BoundaryError(f"{where}: properties must be an object")
        code = _property_text(props, code_property)
        name = _property_text(props, name_property)
        if code is None:
            raise BoundaryError(f"{where}: missing territory code (property {code_property!r})")
        where = f"feature #{index} (code {code})"
        if name is None:
            raise BoundaryError(f"{where}: missing territory name (property {name_property!r})")
        if code in seen:
            raise BoundaryError(f"{where}: duplicate territory code {code!r}")
        seen.add(code)
        geometry, repaired = _feature_geometry(feature, where, crs)
        rest = {k: v for k, v in props.items() if k not in (code_property, name_property)}
        territories.append(Territory(code, name, geometry, rest, repaired=repaired))
    if not territories:
        raise BoundaryError("the FeatureCollection contains no territories")
    return territories


def _overlaps(
    territories: Sequence[Territory], tolerance_m2: float
) -> list[tuple[str, str, float]]:
    geoms = [t.geometry for t in territories]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    found: list[tuple[str, str, float]] = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        area = geodesic_area_m2(shapely.intersection(geoms[i], geoms[j]))
        if area > tolerance_m2:
            a, b = sorted((territories[i].code, territories[j].code))
            found.append((a, b, area))
    return sorted(found)


def _gaps(territories: Sequence[Territory], tolerance_m2: float) -> list[float]:
    union = polygonal_part(shapely.union_all([t.geometry for t in territories]))
    holes = (
        geodesic_area_m2(Polygon(ring)) for polygon in union.geoms for ring in polygon.interiors
    )
    return sorted((area for area in holes if area > tolerance_m2), reverse=True)


def validate(
    territories: Iterable[Territory], tolerance_m2: float = DEFAULT_TOLERANCE_M2
) -> BoundaryReport:
    """Report repaired codes, overlapping pairs (code_a < code_b, m²) and gaps (hole areas, m²).

    A gap is an interior ring of the union of all territories, i.e. an area enclosed by the
    set that nobody owns. Areas at or below ``tolerance_m2`` are ignored as numeric noise.
    """
    items = list(territories)
    if not items:
        return BoundaryReport(repaired=[], overlaps=[], gaps=[])
    return BoundaryReport(
        repaired=[t.code for t in items if t.repaired],
        overlaps=_overlaps(items, tolerance_m2),
        gaps=_gaps(items, tolerance_m2),
    )


def _geojson_geometry(geom: BaseGeometry) -> dict[str, Any]:
    """RFC 7946 geometry: counter-clockwise shells, clockwise holes, plain JSON lists."""
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    result: dict[str, Any] = json.loads(shapely.to_geojson(oriented))
    return result


def to_feature_collection(
    territories: Iterable[Territory], extra_properties: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Export territories as an RFC 7946 FeatureCollection in WGS-84.

    Each feature's properties are ``code`` and ``name`` first, then the territory's own
    properties, then ``extra_properties`` (added to every feature, e.g. a "demo" label).
    ``code`` and ``name`` always come from the territory and cannot be overridden.
    """
    extra = dict(extra_properties or {})
    features = []
    for territory in territories:
        props: dict[str, Any] = {"code": territory.code, "name": territory.name}
        for key, value in itertools.chain(territory.properties.items(), extra.items()):
            if key not in ("code", "name"):
                props[key] = value
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": _geojson_geometry(territory.geometry),
            }
        )
    return {"type": "FeatureCollection", "features": features}
