"""geo.locate.TerritoryIndex: covers semantics and the deterministic smallest-code tie rule."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, box

from geo.boundaries import Territory
from geo.locate import TerritoryIndex

# Four unit squares meeting at (1, 1); codes deliberately not in spatial or insertion order.
SQUARES = {
    "d": box(0, 0, 1, 1),
    "b": box(1, 0, 2, 1),
    "c": box(0, 1, 1, 2),
    "a": box(1, 1, 2, 2),
}


@pytest.fixture
def index() -> TerritoryIndex:
    return TerritoryIndex(SQUARES.items())


def test_codes_keep_construction_order(index: TerritoryIndex) -> None:
    assert index.codes == ("d", "b", "c", "a")
    assert len(index) == 4


def test_point_inside(index: TerritoryIndex) -> None:
    assert index.locate(0.5, 0.5) == "d"
    assert index.locate(1.5, 1.5) == "a"


def test_shared_border_goes_to_smallest_code(index: TerritoryIndex) -> None:
    assert index.locate(1.0, 0.5) == "b"  # between d and b
    assert index.locate(0.5, 1.0) == "c"  # between d and c


def test_vertex_shared_by_four_squares(index: TerritoryIndex) -> None:
    assert index.locate(1.0, 1.0) == "a"


def test_outer_boundary_counts_as_inside(index: TerritoryIndex) -> None:
    assert index.locate(0.0, 0.0) == "d"
    assert index.locate(2.0, 0.5) == "b"


def test_outside_is_none(index: TerritoryIndex) -> None:
    assert index.locate(-0.1, 0.5) is None
    assert index.locate(5.0, 5.0) is None
    assert TerritoryIndex([]).locate(0.5, 0.5) is None
    assert TerritoryIndex([]).locate_many([0.5], [0.5]) == [None]


def test_duplicate_codes_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        TerritoryIndex([("a", box(0, 0, 1, 1)), ("a", box(1, 0, 2, 1))])


def test_locate_many_agrees_with_locate(index: TerritoryIndex) -> None:
    rng = np.random.default_rng(7)
    lons = rng.uniform(-0.5, 2.5, 5000)
    lats = rng.uniform(-0.5, 2.5, 5000)
    # Include the awkward cases: borders, the shared vertex, corners.
    lons = np.concatenate([lons, [1.0, 1.0, 0.5, 0.0, 2.0, 3.0]])
    lats = np.concatenate([lats, [1.0, 0.5, 1.0, 0.0, 2.0, 3.0]])
    many = index.locate_many(lons, lats)
    assert many == [index.locate(x, y) for x, y in zip(lons.tolist(), lats.tolist(), strict=True)]
    assert many[-6:] == ["a", "b", "c", "d", "a", None]
    assert {"a", "b", "c", "d", None} == set(many)


def test_from_territories_with_multipolygons() -> None:
    territories = [
        Territory("2", "two", MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)]), {}),
        Territory("1", "one", MultiPolygon([box(1, 0, 2, 1)]), {}),
    ]
    index = TerritoryIndex.from_territories(territories)
    assert index.codes == ("2", "1")
    assert index.locate_many([5.5, 1.5, 1.0], [5.5, 0.5, 0.5]) == ["2", "1", "1"]
