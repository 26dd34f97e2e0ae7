"""Point → territory against the active boundary set, with an in-process index.

The index is rebuilt when a boundary set is (re)activated. A process re-reads which set is active
at most every few seconds (and at once after an activation it made itself), so every process
follows an activation elsewhere within that time without a query on every report.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from dispatch.errors import OutsideTerritory, ServiceUnavailable
from dispatch.ports import BoundarySet, UnitOfWork
from dispatch.refresh import Refresh
from geo.locate import TerritoryIndex


@dataclass(frozen=True)
class Placement:
    boundary_set_id: int
    code: str
    name: str


class TerritoryLocator:
    def __init__(self, refresh: Refresh | None = None) -> None:
        self._lock = threading.Lock()
        self._refresh = refresh or Refresh()
        self._active: BoundarySet | None = None
        self._version: tuple[int, object] | None = None
        self._index: TerritoryIndex | None = None
        self._names: dict[str, str] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._refresh.invalidate()

    def locate(self, uow: UnitOfWork, lon: float, lat: float) -> Placement:
        with self._lock:
            if self._refresh.due():
                self._active = uow.boundaries.active_set()
            active = self._active
            if active is None:
                raise ServiceUnavailable("no boundary set is active: import and activate one")
            version = (active.id, active.activated_at)
            if version != self._version:
                rows = uow.boundaries.territories(active.id)
                self._index = TerritoryIndex([(code, geom) for code, _, geom in rows])
                self._names = {code: name for code, name, _ in rows}
                self._version = version
            index, names = self._index, self._names
        assert index is not None
        code = index.locate(lon, lat)
        if code is None:
            raise OutsideTerritory.on(
                "location", f"({lat:.6f}, {lon:.6f}) lies outside every territory of the "
                            f"active boundary set '{active.name}'")
        return Placement(active.id, code, names[code])
