"""Who answers for a category: the routing table and the units, read at most every few seconds.

Both change only by an administrator's hand, yet every report needs them; a process re-reads them
at most every few seconds, so a change reaches every process within that time.
"""

from __future__ import annotations

import threading
from dispatch.errors import ServiceUnavailable
from dispatch.model import Unit
from dispatch.ports import UnitOfWork
from dispatch.refresh import Refresh


class RoutingTable:
    def __init__(self, refresh: Refresh | None = None) -> None:
        self._lock = threading.Lock()
        self._refresh = refresh or Refresh()
        self._routes: dict[str, list[str]] = {}
        self._units: dict[str, Unit] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._refresh.invalidate()

    def responsible_units(self, uow: UnitOfWork, territory_code: str, category: str,
                          lead_department: str | None) -> list[Unit]:
        """The territory, the category's departments, and a green-channel site's lead."""
        with self._lock:
            if self._refresh.due():
                self._routes = uow.routing.table()
                # Plain copies: they outlive the session they were read in.
                self._units = {u.code: Unit(u.code, u.name, u.kind) for u in uow.units.list()}
            routes, units = self._routes, self._units
        codes = [territory_code, *routes.get(category, [])]
        if lead_department:
            codes.append(lead_department)
        missing = [code for code in codes if code not in units]
        if missing:
            raise ServiceUnavailable(f"routing names units {missing}, which do not exist")
        return [units[code] for code in dict.fromkeys(codes)]
