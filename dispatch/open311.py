"""Open311 GeoReport v2 in the domain's terms: services are the incident categories, a service
request is an incident, created by an outside system's account (`dispatch.outside_systems`).

The attributes offered are few and honest: a free-text "since when", which is added to the
description as a labelled line (the case has no other place for it, and the units read it there);
nothing is promised that the product does not keep.

A client that lost our answer and POSTs again must not file the case twice. Its retry is
recognised in the report's own transaction (`idempotency`): by its `Idempotency-Key` header, for
ever, as on the REST API; without one, by the request's fields (`fingerprint`) from the same
account within `Settings.open311_replay_window` of the first. Either way the retry gets the
first request's id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shapely.geometry import Point

from dispatch import idempotency, labels, reporting
from dispatch.clock import RESOLUTION
from dispatch.context import Context, reader
from dispatch.errors import FieldError, NotFound, ValidationFailed
from dispatch.limits import ATTRIBUTE_MAX_CHARS, DESCRIPTION_MAX_CHARS, MEDIA_URL_MAX_CHARS
from dispatch.model import Category, Incident, Status, User
from dispatch.ports import PeriodQuery

log = logging.getLogger(__name__)
# The standard's window for GET requests: the default, and the longest a client may ask for.
WINDOW = timedelta(days=90)
STATUSES = ("open", "closed")
CREATE_SCOPE = "open311.requests.create"  # an Idempotency-Key's scope
REPLAY_SCOPE = "open311.requests.replay"  # the key derived from a request's fields
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

# Each category's keywords besides its name (the name and the description are the catalogue's).
_KEYWORDS = {Category.GATE_BLOCKED: "gate, blocked", Category.ROAD_BLOCKED: "road, blocked",
             Category.WATER_CUT: "water, outage", Category.POWER_CUT: "power, outage",
             Category.OTHER: "other"}
_ATTRIBUTES = {Category.GATE_BLOCKED: (_BLOCKED_SINCE,), Category.ROAD_BLOCKED: (_BLOCKED_SINCE,),
               Category.WATER_CUT: (_CUT_SINCE,), Category.POWER_CUT: (_CUT_SINCE,)}


def _bilingual(kind: str, code: str) -> str:
    """The catalogue's name in Chinese, then in English: Open311's clients read either."""
    return f"{labels.name(kind, code, 'zh-CN')} {labels.name(kind, code, 'en')}"


SERVICES: Mapping[str, Service] = {c: Service(
    c, _bilingual("categories", c), _bilingual("descriptions", c),
    f"{_KEYWORDS[c]}, {labels.name('categories', c, 'zh-CN')}", _ATTRIBUTES.get(c, ()))
    for c in Category}


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


    def fingerprint(self) -> str:
        """The request as a retry repeats it: the fields that make the case, normalised as
        `create_request` reads them (text stripped, an empty attribute the same as none,
        coordinates to 7 decimals, about 1 cm)."""
        loc = None if self.location is None else [round(self.location.x, 7),
                                                   round(self.location.y, 7)]
        attributes = sorted((k, v.strip()) for k, v in self.attributes.items() if v.strip())
        return idempotency.request_fingerprint(CREATE_SCOPE, [
            self.service_code, loc, self.address_id, self.description.strip(), attributes,
            self.media_url])


@dataclass(frozen=True)
class Created:
    incident: Incident
    notice: str | None = None  # the standard's `service_notice`: what the client should know
    replayed: bool = False  # a retry of an earlier request: `incident` is the one it filed


def _retry(ctx: Context, req: NewRequest, key: str | None) -> idempotency.Retry | None:
    fingerprint = req.fingerprint()
    if key is not None:
        return idempotency.Retry(key, CREATE_SCOPE, fingerprint)
    window = ctx.settings.open311_replay_window
    if window <= timedelta(0):
        return None
    return idempotency.Retry(f"{REPLAY_SCOPE}:{fingerprint}", REPLAY_SCOPE, fingerprint, window)


def create_request(ctx: Context, system: User, req: NewRequest,
                   idempotency_key: str | None = None) -> Created:
    """A service request from an outside system becomes an incident reported by its account;
    a retry of one (see the module) gets the incident its first request filed."""
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
        incident, created = reporting.report_incident(ctx, system, report,
                                                      retry=_retry(ctx, req, idempotency_key))
    except ValidationFailed as exc:
        if any(e.field == "site_id" for e in exc.errors):
            raise ValidationFailed.on("address_id", "no such site registered by this "
                                                    "system's account") from None
        raise
    if not created:
        return Created(incident, replayed=True)
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
    service_codes: Sequence[str] | None = None  # any of these (None: every service)
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # inclusive, as a client reads "until"
    statuses: Sequence[str] | None = None  # any of `STATUSES` (None: both)
    page_size: int = MAX_REQUESTS
    page: int = 1


def open311_status(incident: Incident) -> str:
    return "closed" if incident.status == Status.CLOSED else "open"


def sees_all_of(viewer: User | None, incident: Incident) -> bool:
    """The outside system that created a request reads it whole; everyone else (Open311 reads
    need no key) reads what the public disclosure shows, and nothing of a withheld case."""
    return viewer is not None and incident.reporter_id == viewer.id


def window(start: datetime | None, end: datetime | None, now: datetime
           ) -> tuple[datetime, datetime]:
    """The standard's window of `requested_datetime`, both ends included: at most `WINDOW`
    (90 days) from start to end, exactly 90 days accepted and a microsecond more refused,
    naming both fields. One end given, the other is 90 days from it; neither, the last 90
    days up to `now`."""
    if start is not None and end is not None:
        if start > end:
            raise ValidationFailed.on("start_date", "after end_date")
        if end - start > WINDOW:
            message = f"start_date to end_date spans at most {WINDOW.days} days"
            raise ValidationFailed(message, [FieldError("start_date", message),
                                             FieldError("end_date", message)])
        return start, end
    if start is not None:
        return start, start + WINDOW
    if end is None:
        end = now
    return end - WINDOW, end


def find_requests(ctx: Context, filters: RequestFilters, viewer: User | None) -> list[Incident]:
    """The standard's query: by ids (the other filters then ignored), or by services, statuses
    and a window of `requested_datetime` (`window`), a page at a time, oldest first."""
    if filters.ids is not None:
        query = PeriodQuery(ids=list(filters.ids), limit=MAX_REQUESTS)
    else:
        unknown = [c for c in filters.service_codes or () if c not in SERVICES]
        if unknown:
            raise ValidationFailed.on("service_code", f"no service {', '.join(unknown)}; "
                                      f"known: {', '.join(SERVICES)}")
        wrong = [s for s in filters.statuses or () if s not in STATUSES]
        if wrong:
            raise ValidationFailed.on("status", f"no status {', '.join(wrong)}; open or closed")
        start, end = window(filters.start, filters.end, ctx.clock())
        wanted = set(filters.statuses or STATUSES)
        closed = None if len(wanted) == len(STATUSES) else "closed" in wanted
        query = PeriodQuery(start=start, end=end + RESOLUTION,
                            categories=None if filters.service_codes is None
                            else sorted(set(filters.service_codes)), closed=closed,
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
