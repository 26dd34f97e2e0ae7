"""Domain objects → the JSON of API.md (via the response models, so the OpenAPI matches)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import url_for

from dispatch.clock import on_time
from dispatch.model import Category, Complaint, Event, Incident, Site, Status, UnitKind
from dispatch.queries import CaseOnMap, OpenCases
from dispatch.utc import iso_utc
from mobile_api import schemas as s


def overdue(incident: Incident, now: datetime) -> list[s.OverdueOut]:
    """Deadlines that have passed with their milestone unmet (the domain's `is_overdue`)."""
    return [s.OverdueOut(milestone=str(c.milestone), unit=c.unit_code, due=c.due)
            for c in incident.overdue(now)]


def incident(inc: Incident, now: datetime, events: Sequence[Event] | None = None) -> dict[str, Any]:
    out = s.IncidentOut(
        id=inc.id, category=Category(inc.category), description=inc.description,
        status=Status(inc.status),
        location=s.LatLon(lat=inc.location.y, lon=inc.location.x),
        site_id=inc.site_id, green_channel=inc.green_channel,
        territory=s.UnitRef(code=inc.territory_code, name=inc.territory_name),
        boundary_set_id=inc.boundary_set_id,
        units=[s.IncidentUnitOut(
            code=a.unit_code, name=a.unit_name, kind=UnitKind(a.kind),
            lead=a.unit_code == inc.lead_unit, accepted_at=a.accepted_at,
            arrived_at=a.arrived_at, arrival_due=a.arrival_due,
            arrival_on_time=on_time(a.arrived_at, a.arrival_due),
            arrival_distance_m=a.arrival_distance_m) for a in inc.assignments],
        received_at=inc.received_at,
        deadlines=s.Deadlines(arrival=inc.arrival_due, restore=inc.restore_due,
                              resolve=inc.resolve_due),
        milestones=s.Milestones(
            restored_at=inc.restored_at, restored_on_time=on_time(inc.restored_at,
                                                                  inc.restore_due),
            resolved_at=inc.resolved_at, resolved_on_time=on_time(inc.resolved_at,
                                                                  inc.resolve_due),
            closed_at=inc.closed_at),
        overdue=overdue(inc, now),
        photos=[s.PhotoOut(id=p.id, content_type=p.content_type, size=p.size,
                           url=url_for("incidents.photo", incident_id=inc.id, photo_id=p.id))
                for p in inc.photos],
        central_assignment=None if inc.central_unit is None else s.CentralAssignmentOut(
            unit=inc.central_unit, person=inc.central_person or "",
            due=inc.central_due or inc.received_at, assigned_by=inc.central_by,
            assigned_at=inc.central_at),
        extension=None if not inc.extensions else s.ExtensionOut(
            count=inc.extensions, reason=inc.extension_reason,
            original_deadline=inc.resolve_due_original or inc.resolve_due,
            deadline=inc.resolve_due),
        feedback=None if inc.feedback_due is None and inc.feedback_at is None else s.FeedbackOut(
            requested_due=inc.feedback_due, at=inc.feedback_at, satisfied=inc.feedback_satisfied,
            rating=inc.feedback_rating, comment=inc.feedback_comment),
        closed_reason=inc.closed_reason,
        complaints=[complaint_model(c) for c in inc.complaints],
        timeline=None if events is None else [
            s.TimelineEntry(seq=e.seq or 0, at=e.at, type=e.type, actor=e.actor_id, data=e.data)
            for e in events],
    )
    data = out.model_dump(mode="json", exclude_none=False)
    if events is None:
        data.pop("timeline")
    return data


def complaint_model(c: Complaint) -> s.ComplaintOut:
    return s.ComplaintOut(id=c.number, incident_id=c.incident_id, text=c.text,
                          filed_at=c.filed_at, reply_due=c.reply_due, reply=c.reply,
                          replied_at=c.replied_at,
                          replied_on_time=on_time(c.replied_at, c.reply_due))


def complaint(c: Complaint) -> dict[str, Any]:
    return complaint_model(c).model_dump(mode="json")


def site(x: Site) -> dict[str, Any]:
    return s.SiteOut(id=x.id, name=x.name, owner_id=x.owner_id,
                     location=s.LatLon(lat=x.location.y, lon=x.location.x), address=x.address,
                     green_channel=x.green_channel, lead_department=x.lead_department,
                     created_at=x.created_at or datetime.min).model_dump(mode="json")



def open_cases(view: OpenCases) -> dict[str, Any]:
    """The map's GeoJSON (`schemas.MapCollection`), built as plain dicts and strings.

    Why not through the response models like `incident`: the map carries thousands of cases in
    one answer, and a model per case would cost more than the database read. The tests check
    this output against `schemas.MapCollection`, so the document cannot drift from it.
    """
    return {"type": "FeatureCollection", "features": [_feature(c) for c in view.cases],
            "seq": view.seq, "generated_at": iso_utc(view.generated_at)}


def _feature(item: CaseOnMap) -> dict[str, Any]:
    case = item.case
    arrival, restore, resolve = (iso_utc(case.arrival_due), iso_utc(case.restore_due),
                                 iso_utc(case.resolve_due))
    nxt = item.next_due
    return {
        "type": "Feature", "id": case.id,
        "geometry": {"type": "Point", "coordinates": [round(case.lon, 6), round(case.lat, 6)]},
        "properties": {
            "category": case.category, "status": case.status, "territory": case.territory_code,
            "received_at": iso_utc(case.received_at), "green_channel": case.green_channel,
            "reopened": case.round > 0,
            "deadlines": {"arrival": arrival, "restore": restore, "resolve": resolve},
            "units": [{
                "code": u.code, "kind": u.kind, "accepted": u.accepted_at is not None,
                "arrived_at": None if u.arrived_at is None else iso_utc(u.arrived_at),
                # Every unit is given the case's arrival deadline at dispatch: reuse its text.
                "arrival_due": arrival if u.arrival_due == case.arrival_due
                else iso_utc(u.arrival_due),
                "restore_due": restore, "resolve_due": resolve} for u in case.units],
            "next_due": None if nxt is None else {
                "at": iso_utc(nxt.due), "milestone": str(nxt.milestone), "unit": nxt.unit_code},
            "state": str(item.state),
        },
    }
