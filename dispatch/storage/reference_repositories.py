"""The reference data's repositories: units, the routing table and the boundary sets, which
change by administration (a seed, an import) and are read by every report. Split from
`repositories` (the cases, users, sites and idempotency keys) to keep each under 400 lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from dispatch import model
from dispatch.ports import BoundarySet, TerritoryRow
from dispatch.storage import tables as t

class Units:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, code: str) -> model.Unit | None:
        return self.s.get(model.Unit, code)

    def list(self, kind: str | None = None) -> list[model.Unit]:
        q = select(model.Unit).order_by(t.units.c.kind.desc(), t.units.c.code)
        if kind:
            q = q.where(t.units.c.kind == kind)
        return list(self.s.scalars(q))

    def add(self, unit: model.Unit) -> None:
        self.s.add(unit)


class Routing:
    def __init__(self, session: Session) -> None:
        self.s = session

    def set(self, category: str, unit_codes: Iterable[str]) -> None:
        self.s.execute(delete(t.routing).where(t.routing.c.category == category))
        rows = [{"category": category, "unit_code": code} for code in unit_codes]
        if rows:
            self.s.execute(insert(t.routing), rows)

    def table(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        r = t.routing.c
        for category, code in self.s.execute(select(r.category, r.unit_code)
                                             .order_by(r.category, r.unit_code)):
            out.setdefault(category, []).append(code)
        return out


class Boundaries:
    def __init__(self, session: Session) -> None:
        self.s = session

    def _set(self, row: Any) -> BoundarySet:
        return BoundarySet(row.id, row.name, row.label, row.active, row.created_at,
                           row.activated_at)

    def active_set(self) -> BoundarySet | None:
        row = self.s.execute(select(t.boundary_sets).where(t.boundary_sets.c.active)).first()
        return self._set(row) if row else None

    def get_set(self, set_id: int) -> BoundarySet | None:
        row = self.s.execute(select(t.boundary_sets).where(t.boundary_sets.c.id == set_id)).first()
        return self._set(row) if row else None

    def sets(self) -> list[BoundarySet]:
        rows = self.s.execute(select(t.boundary_sets).order_by(t.boundary_sets.c.id))
        return [self._set(r) for r in rows]

    def territories(self, set_id: int) -> list[TerritoryRow]:
        q = (select(t.territory_boundaries.c.code, t.territory_boundaries.c.name,
                    t.territory_boundaries.c.geom)
             .where(t.territory_boundaries.c.set_id == set_id)
             .order_by(t.territory_boundaries.c.code))
        return [(r.code, r.name, r.geom) for r in self.s.execute(q)]

    def add_set(self, name: str, label: str, source: str, created_at: datetime,
                territories: Sequence[TerritoryRow]) -> int:
        set_id = self.s.execute(
            insert(t.boundary_sets).values(name=name, label=label, source=source,
                                           created_at=created_at, active=False)
            .returning(t.boundary_sets.c.id)).scalar_one()
        self.s.execute(insert(t.territory_boundaries), [
            {"set_id": set_id, "code": code, "name": nm, "geom": geom}
            for code, nm, geom in territories])
        return int(set_id)

    def activate(self, set_id: int, at: datetime) -> None:
        self.s.execute(update(t.boundary_sets).where(t.boundary_sets.c.active)
                       .values(active=False))
        self.s.execute(update(t.boundary_sets).where(t.boundary_sets.c.id == set_id)
                       .values(active=True, activated_at=at))

    def locate_in_database(self, set_id: int, lon: float, lat: float) -> str | None:
        """PostGIS's answer (ST_Covers, smallest code on a shared border): a check on Shapely's."""
        point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
        q = (select(t.territory_boundaries.c.code)
             .where(t.territory_boundaries.c.set_id == set_id,
                    func.ST_Covers(t.territory_boundaries.c.geom, point))
             .order_by(t.territory_boundaries.c.code).limit(1))
        return self.s.scalars(q).first()
