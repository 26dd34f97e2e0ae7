"""Open311 GeoReport v2 in the domain's terms: services are the incident categories, a service
request is an incident, created by an outside system's account (`dispatch.outside_systems`).

The attributes offered are few and honest: a free-text "since when", which is added to the
description as a labelled line (the case has no other place for it, and the units read it there);
nothing is promised that the product does not keep.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shapely.geometry import Point

from dispatch import reporting
from dispatch.clock import RESOLUTION
from dispatch.context import Context, reader
from dispatch.errors import NotFound, ValidationFailed
from dispatch.limits import ATTRIBUTE_MAX_CHARS, DESCRIPTION_MAX_CHARS, MEDIA_URL_MAX_CHARS
from dispatch.model import Category, Incident, Status, User
from dispatch.ports import PeriodQuery

log = logging.getLogger(__name__)
DEFAULT_WINDOW_DAYS = 90  # the standard's default window for GET requests
MAX_REQUESTS = 1000  # the standard's suggested page size


@dataclass(frozen=True)
class Attribute:
    code: str
    label: str  # how the value is written into the description
    description: str
    datatype: str = "string"
    required: bool = False
    order: int = 1


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    keywords: str
    attributes: tuple[Attribute, ...] = ()


_BLOCKED_SINCE = Attribute("blocked_since", "堵塞开始", "Since when is it blocked (free text, "
                           "e.g. 2026-11-27 08:00)? 何时开始堵塞")
_CUT_SINCE = Attribute("cut_since", "停供开始", "Since when is the supply cut (free text, "
                       "e.g. 2026-11-27 08:00)? 何时开始停供")

SERVICES: Mapping[str, Service] = {s.code: s for s in (
    Service(Category.GATE_BLOCKED, "围门 Gate blocked",
            "An enterprise's or a project site's gate is blocked", "gate, blocked, 围门",
            (_BLOCKED_SINCE,)),
    Service(Category.ROAD_BLOCKED, "堵路 Road blocked",
            "The road to an enterprise or a project site is blocked", "road, blocked, 堵路",
            (_BLOCKED_SINCE,)),
    Service(Category.WATER_CUT, "断水 Water cut", "An enterprise's water supply is cut",
            "water, outage, 断水", (_CUT_SINCE,)),
    Service(Category.POWER_CUT, "断电 Power cut", "An enterprise's power supply is cut",
            "power, outage, 断电", (_CUT_SINCE,)),
    Service(Category.OTHER, "其他 Other disruption",
            "Another disruption of an enterprise or a project site", "other, 其他"),
)}


def service(code: str) -> Service:
    found = SERVICES.get(code)
    if found is None:
        raise NotFound(f"no service {code}")
    return found


@dataclass(frozen=True)
class NewRequest:
    service_code: str
    description: str
    location: Point | None = None  # WGS-84
    address_id: str | None = None
    media_url: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Created:
    incident: Incident
    notice: str | None = None  # the standard's `service_notice`: what the client should know


def create_request(ctx: Context, system: User, req: NewRequest) -> Created:
    """A service request from an outside system becomes an incident reported by its account."""
    svc = SERVICES.get(req.service_code)
    if svc is None:
        raise ValidationFailed.on("service_code", f"no service {req.service_code}")
    known = {a.code: a for a in svc.attributes}
    lines = [req.description.strip()]
    for code, value in req.attributes.items():
        attr = known.get(code)
        if attr is None:
            raise ValidationFailed.on(f"attribute[{code}]", f"not an attribute of {svc.code}")
        if len(value) > ATTRIBUTE_MAX_CHARS:
            raise ValidationFailed.on(f"attribute[{code}]",
                                      f"at most {ATTRIBUTE_MAX_CHARS} characters")
        if value.strip():
            lines.append(f"{attr.label}：{value.strip()}")
    for attr in svc.attributes:
        if attr.required and not req.attributes.get(attr.code, "").strip():
            raise ValidationFailed.on(f"attribute[{attr.code}]", "required")
    description = "\n".join(lines)
    if not lines[0]:
        raise ValidationFailed.on("description", "required")
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise ValidationFailed.on("description", f"at most {DESCRIPTION_MAX_CHARS} characters, "
                                                 "with the attributes")
    if (req.location is None) == (req.address_id is None):
        raise ValidationFailed.on("lat", "give lat and long, or an address_id")
    if req.media_url is not None and len(req.media_url) > MEDIA_URL_MAX_CHARS:
        raise ValidationFailed.on("media_url", f"at most {MEDIA_URL_MAX_CHARS} characters")
    report = reporting.NewReport(category=svc.code, description=description,
                                 location=req.location, site_id=req.address_id)
    try:
        incident, _ = reporting.report_incident(ctx, system, report)
    except ValidationFailed as exc:
        if any(e.field == "site_id" for e in exc.errors):
            raise ValidationFailed.on("address_id", "no such site registered by this "
                                                    "system's account") from None
        raise
    if not req.media_url:
        return Created(incident)
    try:
        return Created(_keep_media_url(ctx, incident.id, req.media_url))
    except Exception:
        # The case is filed and its units told: the client must learn its id, or it would file
        # it again. What is lost is the link, and the client is told so.
        log.exception("the media_url of service request %s was not kept", incident.id)
        return Created(incident, "the case is filed; its media_url could not be kept: send the "
                                 "link again with your next contact")


def _keep_media_url(ctx: Context, incident_id: str, url: str) -> Incident:
    """The URL is kept as text, never fetched. A second transaction, after the report
    committed (`reporting.NewReport` has no field for it): the report comes first and is never
    lost to its media link."""
    with ctx.uow() as uow:
        incident = uow.incidents.get(incident_id, for_update=True)
        if incident is None:  # committed just before; never expected
            raise NotFound(f"no incident {incident_id}")
        incident.media_url = url
        uow.commit()
    return incident


@dataclass(frozen=True)
class RequestFilters:
    ids: Sequence[str] | None = None
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None  # inclusive, as a client reads "until"
    status: str | None = None  # "open" | "closed"
    page_size: int = MAX_REQUESTS
    page: int = 1


def open311_status(incident: Incident) -> str:
    return "closed" if incident.status == Status.CLOSED else "open"


def sees_all_of(viewer: User | None, incident: Incident) -> bool:
    """The outside system that created a request reads it whole; everyone else (Open311 reads
    need no key) reads what the public disclosure shows, and nothing of a withheld case."""
    return viewer is not None and incident.reporter_id == viewer.id


def find_requests(ctx: Context, filters: RequestFilters, viewer: User | None) -> list[Incident]:
    """The standard's query: by ids (the other filters then ignored), or by service, status and
    a window of `requested_datetime` (by default the last 90 days), a page at a time, oldest
    first."""
    if filters.ids is not None:
        query = PeriodQuery(ids=list(filters.ids), limit=MAX_REQUESTS)
    else:
        end = filters.end + RESOLUTION if filters.end is not None else None
        start = filters.start or (filters.end or ctx.clock()) - timedelta(days=DEFAULT_WINDOW_DAYS)
        if end is not None and start >= end:
            raise ValidationFailed.on("start_date", "after end_date")
        if filters.service_code is not None and filters.service_code not in SERVICES:
            raise ValidationFailed.on("service_code", f"no service {filters.service_code}")
        closed = None if filters.status is None else filters.status == "closed"
        query = PeriodQuery(start=start, end=end, category=filters.service_code, closed=closed,
                            limit=filters.page_size,
                            offset=(filters.page - 1) * filters.page_size)
    with reader(ctx) as uow:
        found = uow.incidents.received_between(query)
    return [i for i in found if i.withheld_at is None or sees_all_of(viewer, i)]


def get_request(ctx: Context, request_id: str, viewer: User | None) -> Incident:
    with reader(ctx) as uow:
        incident = uow.incidents.get(request_id)
    if incident is None or (incident.withheld_at is not None
                            and not sees_all_of(viewer, incident)):
        raise NotFound(f"no service request {request_id}")
    return incident


def request_for_token(ctx: Context, token: str) -> Incident:
    """We create requests at once and issue as token the request's own id, for the requests an
    outside system created: a token we did not issue is not found."""
    with reader(ctx) as uow:
        incident = uow.incidents.get(token)
        reporter = None if incident is None else uow.users.get(incident.reporter_id)
    if incident is None or reporter is None or reporter.api_key_issued_at is None:
        raise NotFound(f"no token {token}")
    return incident
