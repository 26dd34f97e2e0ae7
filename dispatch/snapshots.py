"""The picture of a case that every event carries (`Event.snapshot`): what a live client shows.

Why a module of its own: every event of a case stores one, so it is written on every change;
`dispatch.model.Incident.snapshot` calls this, and the model stays about the rule. Compact and
JSON-ready: times in UTC with `Z`, the location in WGS-84, and the case number people read out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from shapely.geometry import Point

from dispatch.entities import Assignment
from dispatch.utc import iso_utc


class Pictured(Protocol):
    """What a snapshot reads of a case (`dispatch.model.Incident` has it all)."""

    id: str
    case_number: str
    category: str
    status: str
    description: str
    location: Point
    territory_code: str
    territory_name: str
    green_channel: bool
    central_unit: str | None
    central_person: str | None
    central_due: datetime | None
    received_at: datetime
    arrival_due: datetime
    restore_due: datetime
    resolve_due: datetime
    restored_at: datetime | None
    resolved_at: datetime | None
    resolve_due_original: datetime | None
    closed_at: datetime | None
    lead_unit: str | None

    @property
    def assignments(self) -> Sequence[Assignment]: ...


def _iso(t: datetime | None) -> str | None:
    return None if t is None else iso_utc(t)


def snapshot(case: Pictured) -> dict[str, Any]:
    iso = _iso
    return {
        "id": case.id, "case_number": case.case_number, "category": case.category,
        "status": str(case.status), "description": case.description,
        "location": {"lat": case.location.y, "lon": case.location.x},
        "territory": {"code": case.territory_code, "name": case.territory_name},
        "green_channel": case.green_channel,
        "central_assignment": None if case.central_unit is None else {
            "unit": case.central_unit, "person": case.central_person,
            "due": iso(case.central_due)},
        "received_at": iso(case.received_at),
        "deadlines": {"arrival": iso(case.arrival_due), "restore": iso(case.restore_due),
                      "resolve": iso(case.resolve_due),
                      "resolve_original": iso(case.resolve_due_original)},
        "milestones": {"restored_at": iso(case.restored_at),
                       "resolved_at": iso(case.resolved_at),
                       "closed_at": iso(case.closed_at)},
        "units": [{"code": a.unit_code, "name": a.unit_name, "kind": a.kind,
                   "accepted_at": iso(a.accepted_at), "arrived_at": iso(a.arrived_at),
                   "arrival_due": iso(a.arrival_due), "lead": a.unit_code == case.lead_unit,
                   "arrival_device_time": iso(a.arrival_device_time),
                   "arrival_sent_late": a.arrival_sent_late,
                   "arrival_counted_at": a.arrival_counted_at,
                   "arrival_mock_location": a.arrival_mock_location}
                  for a in case.assignments],
    }
