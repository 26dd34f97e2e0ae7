"""Point -> territory lookup.

Why an STRtree of prepared geometries: dispatch locates every incoming report, so lookups must
be fast and, above all, deterministic. A point on a shared border (or a vertex shared by
several territories) is covered by more than one territory; rather than depending on tree
order, the tie always goes to the smallest code in string order, in both locate and
locate_many.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.boundaries import Territory


class TerritoryIndex:
    """Spatial index over ``(code, geometry)`` pairs in WGS-84 lon/lat."""

    def __init__(self, items: Iterable[tuple[str, BaseGeometry]]) -> None:
        pairs = list(items)
        codes = [code for code, _ in pairs]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate territory codes in TerritoryIndex")
        self._codes: tuple[str, ...] = tuple(codes)
        self._geoms = np.array([geom for _, geom in pairs], dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        # rank[i] = position of codes[i] in sorted order, so "smallest code" is an integer min.
        order = sorted(range(len(codes)), key=codes.__getitem__)
        self._rank = np.argsort(order)  # the inverse permutation of `order`
        self._by_rank: tuple[str, ...] = tuple(codes[i] for i in order)

    @classmethod
    def from_territories(cls, territories: Iterable[Territory]) -> TerritoryIndex:
        """Convenience constructor from geo.boundaries.Territory objects."""
        return cls((t.code, t.geometry) for t in territories)

    @property
    def codes(self) -> tuple[str, ...]:
        """Territory codes in construction order."""
        return self._codes

    def __len__(self) -> int:
        return len(self._codes)

    def locate(self, lon: float, lat: float) -> str | None:
        """Code of the territory covering (lon, lat) (border counts as inside), else None."""
        hits = self._tree.query(Point(lon, lat), predicate="covered_by")
        if len(hits) == 0:
            return None
        return self._by_rank[int(self._rank[hits].min())]

    def locate_many(
        self, lons: Sequence[float] | npt.ArrayLike, lats: Sequence[float] | npt.ArrayLike
    ) -> list[str | None]:
        """Vectorised locate over parallel lon/lat sequences, same tie rule as locate."""
        points = np.atleast_1d(shapely.points(lons, lats))  # as float64, whatever is given
        point_idx, tree_idx = self._tree.query(points, predicate="covered_by")
        none = np.iinfo(np.int64).max
        best = np.full(len(points), none, dtype=np.int64)
        np.minimum.at(best, point_idx, self._rank[tree_idx])
        return [None if r == none else self._by_rank[r] for r in best.tolist()]
