"""The simulated day, planned before it runs: when, where and what is reported, and how each
unit's officer handles each case. Pure: everything is drawn from one seed, so a run can be
repeated (what the server answers, and how fast, is of course its own).

The shape of the day is an assumption, stated here so it can be argued with: about 48 reports a
day across the city (`per_day`); categories in the mix of `MIX`; each category's reports follow
its own hourly curve in China Standard Time (`HOURLY`); an urban subdistrict (街道) draws
`URBAN_WEIGHT` times the reports of a town (镇), which is where the enterprises and the building
sites are.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

# Shares of the day's reports by category.
MIX: Mapping[str, float] = {
    "road_blocked": 0.30, "gate_blocked": 0.20, "power_cut": 0.20, "water_cut": 0.15,
    "other": 0.15,
}

# Relative weight of each local hour 0..23, per category. Blockades of gates and roads begin with
# the working day (a labour or compensation dispute turns up when the site opens) and at the
# commute; cuts of water and power follow digging on building sites by day, with a floor of
# faults at night.
_WORKDAY = (1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 9, 6, 7, 10, 11, 10, 8, 6, 4, 3, 2, 1, 1)
HOURLY: Mapping[str, tuple[float, ...]] = {
    "gate_blocked": _WORKDAY,
    "road_blocked": (1, 1, 1, 1, 1, 2, 5, 10, 11, 9, 8, 7, 6, 7, 8, 9, 10, 11, 8, 5, 3, 2, 1, 1),
    "power_cut": (3, 3, 3, 3, 3, 3, 4, 5, 7, 8, 9, 9, 8, 8, 9, 9, 8, 7, 6, 6, 5, 4, 4, 3),
    "water_cut": (2, 2, 2, 2, 2, 3, 5, 7, 8, 9, 9, 8, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 3, 2),
    "other": _WORKDAY,
}

URBAN_WEIGHT = 3.0
URBAN_SUFFIX = "街道"
# Coordinates of a share of reports are sent as GCJ-02, as AMap and WeChat give them.
GCJ02_SHARE = 0.3
# Sites are drawn at least this far (degrees, about 10 m) inside their territory, so the server
# cannot place one in the neighbour after its datum round trip.
INSET_DEG = 1e-4

DESCRIPTIONS: Mapping[str, tuple[str, ...]] = {
    "gate_blocked": ("厂区大门被堵,车辆无法进出", "工地大门被围堵,施工停止",
                     "有人聚集堵住企业大门"),
    "road_blocked": ("进厂道路被堵,货车无法通行", "施工便道被车辆堵塞", "项目工地出入道路被阻断"),
    "water_cut": ("厂区突然停水,生产受影响", "工地供水管道被挖断", "园区停水,原因不明"),
    "power_cut": ("厂区停电,生产线停机", "施工挖断电缆,工地断电", "变压器故障,企业停电"),
    "other": ("工地周边纠纷影响施工", "企业门前堆放杂物影响生产", "项目现场出现阻工"),
}

# Officers' road speeds: slower inside the town, and a detour factor over the straight line.
URBAN_SPEED_KMH = 25.0
ROAD_SPEED_KMH = 45.0
DETOUR = 1.3


@dataclass(frozen=True)
class Area:
    """A territory as the simulation sees it, from the server's boundary GeoJSON."""

    code: str
    name: str
    geometry: BaseGeometry
    urban: bool

    @property
    def weight(self) -> float:
        return URBAN_WEIGHT if self.urban else 1.0

    @cached_property
    def inner(self) -> BaseGeometry:
        """Where sites are drawn: `INSET_DEG` inside the border, prepared for fast tests."""
        inner = self.geometry.buffer(-INSET_DEG)
        geom = inner if not inner.is_empty else self.geometry
        shapely.prepare(geom)
        return geom


@dataclass(frozen=True)
class PlannedReport:
    index: int
    at_s: float            # seconds after the start of the run (simulated, or wall under load)
    category: str
    territory_code: str
    lon: float             # WGS-84
    lat: float
    crs: str               # the datum the reporter's phone sends it in
    reporter: int          # which demo reporter sends it
    description: str


@dataclass(frozen=True)
class Conduct:
    """How one unit's officer handles one case, in simulated seconds."""

    accept_after_s: float   # from hearing the offer to accepting it
    prepare_s: float        # from accepting to leaving
    late: bool              # dawdles on purpose: arrives after the deadline
    late_by_s: float        # by this much, when late
    restore_work_s: float   # on site until order is restored (when this officer restores it)
    linger_s: float         # on site after checking in, when someone else restores it
    resolve_after_s: float  # from order restored to the problem solved


def areas_from_geojson(fc: Mapping[str, Any]) -> list[Area]:
    """The territories of `GET /api/v1/units/boundaries`; urban where the name says 街道 (or a
    `kind` of subdistrict says so)."""
    out = []
    for feature in fc.get("features", []):
        props = feature.get("properties") or {}
        name = str(props.get("name", ""))
        urban = name.endswith(URBAN_SUFFIX) or props.get("kind") == "subdistrict"
        out.append(Area(str(props["code"]), name, shape(feature["geometry"]), urban))
    if not out:
        raise ValueError("the boundary collection has no territories")
    return sorted(out, key=lambda a: a.code)


def sample_point(area: Area, rng: np.random.Generator) -> tuple[float, float]:
    """A uniformly random point inside the territory (rejection from its bounds)."""
    geom = area.inner
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(10_000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, x, y):
            return float(x), float(y)
    raise ValueError(f"could not draw a point inside {area.code}")  # pragma: no cover


def expected_per_hour(category: str, hour: int, per_day: float) -> float:
    """The mean number of reports of `category` in local hour `hour` (0..23)."""
    curve = HOURLY[category]
    return per_day * MIX[category] * curve[hour % 24] / sum(curve)


def plan_day(areas: Sequence[Area], seed: int, start_hour: float = 8.0, hours: float = 24.0,
             per_day: float = 48.0) -> list[PlannedReport]:
    """The reports of `hours` simulated hours from local time `start_hour`: for each category and
    hour, a Poisson number of reports at uniform times in that hour, placed by `_place`."""
    rng = np.random.default_rng(seed)
    times: list[tuple[float, str]] = []
    end = start_hour + hours
    for category in MIX:
        h = math.floor(start_hour)
        while h < end:
            lo, hi = max(float(h), start_hour), min(float(h + 1), end)
            mean = expected_per_hour(category, h, per_day) * (hi - lo)
            for _ in range(int(rng.poisson(mean))):
                times.append(((rng.uniform(lo, hi) - start_hour) * 3600.0, category))
            h += 1
    times.sort()
    return [_place(areas, rng, i, at_s, category) for i, (at_s, category) in enumerate(times)]


def plan_load(areas: Sequence[Area], seed: int, rate: float, seconds: float
              ) -> list[PlannedReport]:
    """Reports at `rate` a second (Poisson arrivals) for `seconds` of wall time, categories by
    `MIX`, places as in `plan_day`."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    rng = np.random.default_rng(seed)
    cats, shares = list(MIX), np.array(list(MIX.values()))
    out: list[PlannedReport] = []
    at = float(rng.exponential(1.0 / rate))
    while at < seconds:
        category = str(rng.choice(cats, p=shares / shares.sum()))
        out.append(_place(areas, rng, len(out), at, category))
        at += float(rng.exponential(1.0 / rate))
    return out


def _place(areas: Sequence[Area], rng: np.random.Generator, index: int, at_s: float,
           category: str) -> PlannedReport:
    weights = np.array([a.weight for a in areas])
    area = areas[int(rng.choice(len(areas), p=weights / weights.sum()))]
    lon, lat = sample_point(area, rng)
    crs = "gcj02" if rng.random() < GCJ02_SHARE else "wgs84"
    texts = DESCRIPTIONS[category]
    return PlannedReport(index=index, at_s=at_s, category=category, territory_code=area.code,
                         lon=lon, lat=lat, crs=crs, reporter=int(rng.integers(2)),
                         description=texts[int(rng.integers(len(texts)))])


def conduct(seed: int, report_index: int, unit_code: str, late_share: float) -> Conduct:
    """Drawn from (seed, case, unit) alone, so it does not depend on the order events arrive in."""
    rng = np.random.default_rng([seed, report_index, zlib.crc32(unit_code.encode())])
    return Conduct(
        accept_after_s=float(rng.uniform(20, 180)),
        prepare_s=float(rng.uniform(120, 480)),
        late=bool(rng.random() < late_share),
        late_by_s=float(rng.uniform(5 * 60, 20 * 60)),
        restore_work_s=float(rng.uniform(8 * 60, 35 * 60)),
        linger_s=float(rng.uniform(5 * 60, 15 * 60)),
        # Most problems are solved within hours, a few take days (median 2 h).
        resolve_after_s=float(np.clip(rng.lognormal(math.log(2 * 3600), 1.0), 900, 5 * 86400)),
    )


def travel_s(distance_m: float, urban_destination: bool) -> float:
    """Simulated seconds to drive `distance_m` (straight line) by road."""
    kmh = URBAN_SPEED_KMH if urban_destination else ROAD_SPEED_KMH
    return distance_m * DETOUR / (kmh / 3.6)


def along(start: tuple[float, float], end: tuple[float, float], fraction: float
          ) -> tuple[float, float]:
    """The point `fraction` of the way from start to end (straight, which at a city's scale is
    as good as the geodesic)."""
    f = min(max(fraction, 0.0), 1.0)
    return start[0] + (end[0] - start[0]) * f, start[1] + (end[1] - start[1]) * f
