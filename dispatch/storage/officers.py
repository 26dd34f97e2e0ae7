"""The officers as command sees them (the roster with each one's latest position and the case
they accepted), and an officer's stored positions around a time (`dispatch.offline`'s trail)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from dispatch.field_ports import AcceptedCase, OfficerStatus
from dispatch.model import Role, Status
from dispatch.offline import TrailFix
from dispatch.storage import tables as t
from dispatch.storage.types import UTCDateTime

# A case an officer is still working: accepted, not yet solved or closed.
_WORKED = (Status.DISPATCHED, Status.ON_SITE, Status.RESTORED, Status.REOPENED)


class Officers:
    def __init__(self, session: Session) -> None:
        self.s = session

    def trail(self, officer_id: str, start: datetime, end: datetime) -> list[TrailFix]:
        """One statement over the (officer, time) unique index: the range, from the latest
        unflagged fix before `start` when there is one."""
        op = t.officer_positions.c
        mine = (op.officer_id == officer_id, op.flagged_speed_kmh.is_(None))
        before = (select(func.max(op.recorded_at)).where(*mine, op.recorded_at < start)
                  .scalar_subquery())
        q = (select(op.recorded_at, op.location, op.accuracy_m)
             .where(*mine, op.recorded_at <= end,
                    op.recorded_at >= func.coalesce(before, literal(start, UTCDateTime),
                                                    type_=UTCDateTime))
             .order_by(op.recorded_at))
        return [TrailFix(at, where.x, where.y, accuracy)
                for at, where, accuracy in self.s.execute(q)]

    def roster(self, unit_code: str | None) -> list[OfficerStatus]:
        """Two statements: the officers with their latest positions, then their cases."""
        u, lp, units = t.users.c, t.officer_last_positions.c, t.units.c
        who = [u.role == Role.OFFICER, u.active]
        if unit_code is not None:
            who.append(u.unit_code == unit_code)
        rows = self.s.execute(
            select(u.id, u.username, u.display_name, u.unit_code, units.name, lp.location,
                   lp.accuracy_m, lp.recorded_at, lp.received_at, lp.mock_location)
            .select_from(t.users.outerjoin(t.units, units.code == u.unit_code)
                         .outerjoin(t.officer_last_positions, lp.officer_id == u.id))
            .where(*who).order_by(u.unit_code, u.display_name, u.username)).all()
        iu, inc = t.incident_units.c, t.incidents.c
        cases: dict[str, AcceptedCase] = {}
        for officer_id, case_id, number, status, site in self.s.execute(
                select(iu.accepted_by, inc.id, inc.case_number, inc.status, inc.location)
                .join_from(t.incident_units, t.incidents, inc.id == iu.incident_id)
                .where(iu.accepted_by.in_(select(u.id).where(*who)),
                       inc.status.in_([str(s) for s in _WORKED]))
                .order_by(iu.accepted_at.desc(), inc.id)):
            cases.setdefault(officer_id, AcceptedCase(case_id, number, status, site.x, site.y))
        return [OfficerStatus(
            id=r.id, username=r.username, name=r.display_name or r.username,
            unit_code=r.unit_code, unit_name=r.name,
            lon=None if r.location is None else r.location.x,
            lat=None if r.location is None else r.location.y, accuracy_m=r.accuracy_m,
            last_seen_at=r.recorded_at, received_at=r.received_at,
            mock_location=r.mock_location, case=cases.get(r.id)) for r in rows]

    def ids_of(self, unit_codes: Sequence[str]) -> dict[str, list[str]]:
        u = t.users.c
        found: dict[str, list[str]] = {code: [] for code in unit_codes}
        if unit_codes:
            for officer_id, code in self.s.execute(
                    select(u.id, u.unit_code).where(u.role == Role.OFFICER, u.active,
                                                    u.unit_code.in_(list(unit_codes)))
                    .order_by(u.id)):
                found[code].append(officer_id)
        return found
