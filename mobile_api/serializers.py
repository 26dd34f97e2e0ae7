"""Domain objects → the JSON of API.md (via the response models, so the OpenAPI matches)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import url_for

from dispatch.board import Clocked, ListedCase, case_instants, instants_json
from dispatch.clock import on_time, resolved_on_time
from dispatch.model import Category, Complaint, Event, Incident, Site, Status, UnitKind
from dispatch.publication import PublicText
from dispatch.queries import CaseOnMap, OpenCases
from dispatch.utc import iso_utc
from mobile_api import schemas as s
from mobile_api.context import dispatch_context


def overdue(incident: Incident, now: datetime) -> list[s.OverdueOut]:
    """Deadlines that have passed with their milestone unmet (the domain's `is_overdue`)."""
    return [s.OverdueOut(milestone=str(c.milestone), unit=c.unit_code, due=c.due)
            for c in incident.overdue(now)]


def clocks(case: Clocked) -> dict[str, Any]:
    """The case's `clocks` (`dispatch.board.case_instants`) under this app's settings."""
    return instants_json(case_instants(case, dispatch_context().settings))


def incident(inc: Incident, now: datetime, events: Sequence[Event] | None = None,
             public: PublicText | None = None) -> dict[str, Any]:
    """`events`: the timeline, in one case's answer; `public`: its public text, in one case's
    answer to command. Each key is left out when not given (a list item has neither)."""
    out = s.IncidentOut(
        id=inc.id, case_number=inc.case_number, category=Category(inc.category),
        description=inc.description,
        status=Status(inc.status),
        location=s.LatLon(lat=inc.location.y, lon=inc.location.x),
        site_id=inc.site_id, green_channel=inc.green_channel,
        territory=s.UnitRef(code=inc.territory_code, name=inc.territory_name),
        boundary_set_id=inc.boundary_set_id,
        units=[s.IncidentUnitOut(
            code=a.unit_code, name=a.unit_name, kind=UnitKind(a.kind),
            lead=a.unit_code == inc.lead_unit, accepted_at=a.accepted_at,
            accepted_by=a.accepted_by, arrived_at=a.arrived_at, arrived_by=a.arrived_by,
            arrival_due=a.arrival_due, arrival_on_time=on_time(a.arrived_at, a.arrival_due),
            arrival_distance_m=a.arrival_distance_m,
            arrival_location=None if a.arrival_location is None else s.LatLon(
                lat=a.arrival_location.y, lon=a.arrival_location.x),
            arrival_device_time=a.arrival_device_time, arrival_sent_late=a.arrival_sent_late,
            arrival_counted_at=a.arrival_counted_at,  # type: ignore[arg-type]  # "device" or "upload", written by the domain
            arrival_count_reason=a.arrival_count_reason,
            arrival_mock_location=a.arrival_mock_location) for a in inc.assignments],
        received_at=inc.received_at,
        deadlines=s.Deadlines(arrival=inc.arrival_due, restore=inc.restore_due,
                              resolve=inc.resolve_due),
        milestones=s.Milestones(
            restored_at=inc.restored_at, restored_on_time=on_time(inc.restored_at,
                                                                  inc.restore_due),
            resolved_at=inc.resolved_at,
            resolved_on_time=resolved_on_time(inc.resolved_at, inc.resolve_due,
                                              inc.resolve_due_original),
            closed_at=inc.closed_at, restore_device_time=inc.restore_device_time,
            restore_sent_late=inc.restore_sent_late, resolve_device_time=inc.resolve_device_time,
            resolve_sent_late=inc.resolve_sent_late),
        clocks=s.CaseClocksOut.model_validate(clocks(inc)),
        overdue=overdue(inc, now),
        photos=[s.PhotoOut(id=p.id, content_type=p.content_type, size=p.size,
                           url=url_for("incidents.photo", incident_id=inc.id, photo_id=p.id))
                for p in inc.photos],
        central_assignment=_central(inc), extension=_extension(inc), feedback=_feedback(inc),
        closed_reason=inc.closed_reason,
        complaints=[complaint_model(c) for c in inc.complaints],
        timeline=None if events is None else [
            s.TimelineEntry(seq=e.seq or 0, at=e.at, type=e.type, actor=e.actor_id, data=e.data)
            for e in events],
        public_text=None if public is None else public_text_model(public),
    )
    data = out.model_dump(mode="json", exclude_none=False)
    if events is None:
        data.pop("timeline")
    if public is None:
        data.pop("public_text")
    return data


def public_text_model(p: PublicText) -> s.PublicTextOut:
    return s.PublicTextOut(problem=p.problem, result=p.result, reviewed_by=p.reviewed_by,
                           reviewed_at=p.reviewed_at, published=s.PublishedText(
                               problem=p.published_problem, result=p.published_result))


def _central(x: Incident | ListedCase) -> s.CentralAssignmentOut | None:
    if x.central_unit is None:
        return None
    return s.CentralAssignmentOut(unit=x.central_unit, person=x.central_person or "",
                                  due=x.central_due or x.received_at, assigned_by=x.central_by,
                                  assigned_at=x.central_at)


def _extension(x: Incident | ListedCase) -> s.ExtensionOut | None:
    if not x.extensions:
        return None
    return s.ExtensionOut(count=x.extensions, reason=x.extension_reason,
                          original_deadline=x.resolve_due_original or x.resolve_due,
                          deadline=x.resolve_due,
                          met_extended_deadline=on_time(x.resolved_at, x.resolve_due))


def _feedback(x: Incident | ListedCase) -> s.FeedbackOut | None:
    if x.feedback_due is None and x.feedback_at is None:
        return None
    return s.FeedbackOut(requested_due=x.feedback_due, at=x.feedback_at,
                         satisfied=x.feedback_satisfied, rating=x.feedback_rating,
                         comment=x.feedback_comment)


def _dumped(model: Any) -> Any:
    return None if model is None else model.model_dump(mode="json")


def complaint_model(c: Complaint) -> s.ComplaintOut:
    return s.ComplaintOut(id=c.number, incident_id=c.incident_id, text=c.text,
                          filed_at=c.filed_at, reply_due=c.reply_due, reply=c.reply,
                          replied_at=c.replied_at,
                          replied_on_time=on_time(c.replied_at, c.reply_due))


def complaint(c: Complaint) -> dict[str, Any]:
    return complaint_model(c).model_dump(mode="json")


def listed(case: ListedCase, now: datetime) -> dict[str, Any]:
    """A list page's item: exactly `incident(...)` of the same case without its timeline (a
    test holds the two equal on both databases), written as plain dicts, since fifty response
    models a page cost more than the page's whole read."""
    def iso(t: datetime | None) -> str | None:
        return None if t is None else iso_utc(t)

    return {
        "id": case.id, "case_number": case.case_number, "category": case.category,
        "description": case.description,
        "status": case.status, "location": {"lat": case.lat, "lon": case.lon},
        "site_id": case.site_id, "green_channel": case.green_channel,
        "territory": {"code": case.territory_code, "name": case.territory_name},
        "boundary_set_id": case.boundary_set_id,
        "units": [{
            "code": u.code, "name": u.name, "kind": u.kind, "lead": u.code == case.lead_unit,
            "accepted_at": iso(u.accepted_at), "accepted_by": u.accepted_by,
            "arrived_by": u.arrived_by,
            "arrival_location": None if u.arrival_location is None else {
                "lat": u.arrival_location.y, "lon": u.arrival_location.x},
            "arrived_at": iso(u.arrived_at), "arrival_due": iso_utc(u.arrival_due),
            "arrival_on_time": on_time(u.arrived_at, u.arrival_due),
            "arrival_distance_m": u.arrival_distance_m,
            "arrival_device_time": iso(u.arrival_device_time),
            "arrival_sent_late": u.arrival_sent_late,
            "arrival_counted_at": u.arrival_counted_at,
            "arrival_count_reason": u.arrival_count_reason,
            "arrival_mock_location": u.arrival_mock_location} for u in case.units],
        "received_at": iso_utc(case.received_at),
        "deadlines": {"arrival": iso_utc(case.arrival_due), "restore": iso_utc(case.restore_due),
                      "resolve": iso_utc(case.resolve_due)},
        "milestones": {
            "restored_at": iso(case.restored_at),
            "restored_on_time": on_time(case.restored_at, case.restore_due),
            "resolved_at": iso(case.resolved_at),
            "resolved_on_time": resolved_on_time(case.resolved_at, case.resolve_due,
                                                 case.resolve_due_original),
            "closed_at": iso(case.closed_at),
            "restore_device_time": iso(case.restore_device_time),
            "restore_sent_late": case.restore_sent_late,
            "resolve_device_time": iso(case.resolve_device_time),
            "resolve_sent_late": case.resolve_sent_late},
        "clocks": clocks(case),
        "overdue": [{"milestone": str(c.milestone), "unit": c.unit_code, "due": iso_utc(c.due)}
                    for c in case.overdue(now)],
        "photos": [{"id": p.id, "content_type": p.content_type, "size": p.size,
                    "url": url_for("incidents.photo", incident_id=case.id, photo_id=p.id)}
                   for p in case.photos],
        "central_assignment": _dumped(_central(case)), "extension": _dumped(_extension(case)),
        "feedback": _dumped(_feedback(case)), "closed_reason": case.closed_reason,
        "complaints": [complaint(c) for c in case.complaints],
    }


def site(x: Site) -> dict[str, Any]:
    return s.SiteOut(id=x.id, name=x.name, owner_id=x.owner_id,
                     location=s.LatLon(lat=x.location.y, lon=x.location.x), address=x.address,
                     green_channel=x.green_channel, lead_department=x.lead_department,
                     created_at=x.created_at or datetime.min).model_dump(mode="json")



def open_cases(view: OpenCases, mark: str | None = None) -> dict[str, Any]:
    """The map's GeoJSON (`schemas.MapCollection`), built as plain dicts and strings.

    Why not through the response models like `incident`: the map carries thousands of cases in
    one answer, and a model per case would cost more than the database read. The tests check
    this output against `schemas.MapCollection`, so the document cannot drift from it.

    `mark`: written in place of every value that depends on the instant of the answer (each
    case's `state`, and `generated_at`, last), so that `mobile_api.map_cache` can keep the
    rest of the text and judge only those at each answer.
    """
    return {"type": "FeatureCollection", "features": [_feature(c, mark) for c in view.cases],
            "seq": view.seq,
            "generated_at": iso_utc(view.generated_at) if mark is None else mark}


def _feature(item: CaseOnMap, mark: str | None = None) -> dict[str, Any]:
    """Each distinct time is formatted once per case: formatting is most of the CPU a feature
    costs, and a case's deadlines and warning instants repeat across its units. The deadlines
    and the times they were met are in `clocks` only (the page reads nothing else for them)."""
    case = item.case
    text: dict[datetime, str] = {}

    def iso(t: datetime) -> str:
        found = text.get(t)
        if found is None:
            found = text[t] = iso_utc(t)
        return found

    nxt = item.next_due
    return {
        "type": "Feature", "id": case.id,
        "geometry": {"type": "Point", "coordinates": [round(case.lon, 6), round(case.lat, 6)]},
        "properties": {
            "case_number": case.case_number,
            "category": case.category, "status": case.status, "territory": case.territory_code,
            "received_at": iso_utc(case.received_at), "green_channel": case.green_channel,
            "reopened": case.round > 0,
            "units": [{"code": u.code, "kind": u.kind, "accepted": u.accepted_at is not None}
                      for u in case.units],
            "next_due": None if nxt is None else {
                "at": iso(nxt.due), "milestone": str(nxt.milestone), "unit": nxt.unit_code},
            "state": str(item.state) if mark is None else mark,
            "clocks": instants_json(item.instants, iso),
        },
    }
