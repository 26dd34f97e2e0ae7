"""Incidents: reporters create and follow them; officers and dispatchers work them."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, send_file
from flask.typing import ResponseReturnValue

from dispatch import case_photos, fieldwork, publication, queries, reporting
from dispatch.context import Context
from dispatch.errors import BadRequest, FieldError
from dispatch.model import Incident, Role
from mobile_api import schemas as s
from mobile_api import serializers
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.uploads import read_photos
from mobile_api.validation import json_body, parse_json, query_args, validate
from mobile_api.tokens import current_user

bp = Blueprint("incidents", __name__)


def _ctx() -> Context:
    return dispatch_context()


def _key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key.strip()) <= 200):
        raise BadRequest("Idempotency-Key must be 1 to 200 characters",
                         [FieldError("Idempotency-Key", "1 to 200 characters")])
    return key.strip() if key else None


def _one(incident: Incident, status: int = 200) -> ResponseReturnValue:
    return jsonify(serializers.incident(incident, _ctx().clock())), status


@bp.post("/incidents")
@doc("Report an incident (JSON, or multipart with a `payload` part and `photos` files)",
     body=s.IncidentCreate, response=s.IncidentOut, status=201, roles="reporter",
     multipart=True, idempotent=True, also={200: "an Idempotency-Key replay: the first result"})
def create() -> ResponseReturnValue:
    user = current_user()
    ctx = _ctx()
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("payload")
        if raw is None:
            raise BadRequest("multipart reports carry the JSON body in a `payload` part",
                             [FieldError("payload", "missing")])
        body = validate(s.IncidentCreate, parse_json(raw, "payload"))
        uploads = read_photos(request.files.getlist("photos"), ctx.settings)
    else:
        body = json_body(s.IncidentCreate)
        uploads = []
    report = reporting.NewReport(
        category=body.category, description=body.description,
        location=body.location.wgs84_point() if body.location else None,
        accuracy_m=body.location.accuracy_m if body.location else None,
        crs=body.location.crs if body.location else "wgs84",
        site_id=body.site_id, photos=uploads)
    incident, created = reporting.report_incident(ctx, user, report, _key())
    return _one(incident, 201 if created else 200)


@bp.get("/incidents")
@doc("List the incidents you may see, newest first; `number` finds one by its case number, "
     "`q` searches", query=s.IncidentListQuery,
     response=s.IncidentPage)
def index() -> ResponseReturnValue:
    user = current_user()
    q = query_args(s.IncidentListQuery)
    filters = queries.IncidentFilters(status=tuple(q.status), unit=q.unit, category=q.category,
                                      bbox=q.bbox, since=q.since, overdue=q.overdue,
                                      number=q.number, text=q.q, page=q.page,
                                      per_page=q.per_page)
    items, total = queries.list_incidents(_ctx(), user, filters)
    now = _ctx().clock()
    return jsonify(items=[serializers.listed(i, now) for i in items], total=total,
                   page=q.page, per_page=q.per_page)


@bp.get("/incidents/<incident_id>")
@doc("One incident with its units, milestones and timeline (and, for command, the text the "
     "public disclosure shows of it)", response=s.IncidentOut, errors=(404,))
def show(incident_id: str) -> ResponseReturnValue:
    user = current_user()
    incident, events = queries.get_incident(_ctx(), user, incident_id)
    public = (publication.public_text(_ctx(), incident)
              if user.role in (Role.COMMANDER, Role.ADMIN) else None)
    return jsonify(serializers.incident(incident, _ctx().clock(), events, public))


@bp.get("/incidents/<incident_id>/photos/<photo_id>")
@doc("A photo of an incident, to those who may see the incident", errors=(404,),
     response={"type": "string", "format": "binary"},
     content_type=("image/jpeg", "image/png", "image/webp"))
def photo(incident_id: str, photo_id: str) -> ResponseReturnValue:
    """The type is the one checked by content at upload and kept in the row, never guessed from
    a file name; the file must lie inside the photo folder (symbolic links resolved)."""
    import logging
    import re

    from dispatch.errors import NotFound
    from dispatch.photos import EXTENSIONS

    path, content_type = queries.get_photo(_ctx(), current_user(), incident_id, photo_id)
    root = _ctx().settings.photo_dir.resolve()
    file = path.resolve()
    if not file.is_relative_to(root) or not file.is_file():
        logging.getLogger(__name__).error("photo %s of incident %s: %s is missing or outside %s",
                                          photo_id, incident_id, file, root)
        raise NotFound(f"no photo {photo_id} on incident {incident_id}")
    extension = EXTENSIONS.get(content_type)  # a row of any other type is only downloaded
    name = re.sub(r"[^A-Za-z0-9_-]", "", photo_id)[:64] or "photo"
    out = send_file(file, mimetype=content_type if extension else "application/octet-stream",
                    as_attachment=extension is None,
                    download_name=f"{name}.{extension or 'bin'}", max_age=0)
    out.headers["Cache-Control"] = "private, no-store"
    out.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return out


@bp.post("/incidents/<incident_id>/photos")
@doc("Add photos to a case (multipart `photos`, as a report's): the phone apps send a report's "
     "photos after it, each from its own queue item; an officer adds the site's",
     response=s.IncidentOut, status=201, roles="reporter, officer, dispatcher", multipart=True,
     idempotent=True, errors=(404, 413), also={200: "an Idempotency-Key replay: nothing added"})
def add_photos(incident_id: str) -> ResponseReturnValue:
    ctx = _ctx()
    if request.mimetype != "multipart/form-data":
        raise BadRequest("photos are sent as multipart/form-data `photos` parts",
                         [FieldError("photos", "send multipart/form-data")])
    uploads = read_photos(request.files.getlist("photos"), ctx.settings)
    incident, added = case_photos.add_photos(ctx, current_user(), incident_id, uploads, _key())
    return _one(incident, 201 if added else 200)


@bp.post("/incidents/<incident_id>/accept")
@doc("Take the task for your unit", response=s.IncidentOut, roles="officer",
     errors=(404, 409))
def accept(incident_id: str) -> ResponseReturnValue:
    return _one(fieldwork.accept(_ctx(), current_user(), incident_id))


@bp.post("/incidents/<incident_id>/check-in")
@doc("Arrival on site, proved by a GPS fix near the site; sent from an offline queue with "
     "its `recorded_at`, it counts at that time when the rules believe it (README: Offline "
     "actions and device times). A fix implying more than the speed limit from your previous "
     "position is a 422 naming `location`", body=s.CheckInRequest,
     response=s.IncidentOut, roles="officer", errors=(404, 409), idempotent=True,
     also={200: "arrived, or the first result replayed for an Idempotency-Key"})
def check_in(incident_id: str) -> ResponseReturnValue:
    user = current_user()
    body = json_body(s.CheckInRequest)
    incident = fieldwork.check_in(_ctx(), user, incident_id, body.location.wgs84_point(),
                                  body.location.accuracy_m, body.recorded_at, _key(),
                                  mock_location=body.mock_location)
    return _one(incident)


@bp.post("/incidents/<incident_id>/restore")
@doc("Order restored (the 1-hour milestone); a `recorded_at` is kept and marked sent late, "
     "the server's time counts", body=s.NoteRequest, response=s.IncidentOut,
     roles="officer", errors=(404, 409))
def restore(incident_id: str) -> ResponseReturnValue:
    user = current_user()
    body = json_body(s.NoteRequest)
    return _one(fieldwork.restore(_ctx(), user, incident_id, body.note, body.recorded_at))


@bp.post("/incidents/<incident_id>/resolve")
@doc("Problem solved (the 1-week milestone); `recorded_at` as for restore", body=s.NoteRequest,
     response=s.IncidentOut, roles="officer, dispatcher", errors=(404, 409))
def resolve(incident_id: str) -> ResponseReturnValue:
    user = current_user()
    body = json_body(s.NoteRequest)
    return _one(fieldwork.resolve(_ctx(), user, incident_id, body.note, body.recorded_at))
