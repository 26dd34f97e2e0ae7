"""Request and response shapes. Validation and the OpenAPI document both come from these models.

Every value is checked where it enters, after conversion: a point must still be on the earth
once its datum is converted to WGS-84, a time must still exist once converted to UTC, and no
string may hold what a database column refuses. The checks live in the types and in the `Strict`
base, so a new field or model gets them without remembering to.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from shapely.geometry import Point
from pydantic import RootModel  # a line of its own: the import above is another branch's

from dispatch.model import Category, Role, Status, UnitKind
from geo.crs import to_wgs84
from mobile_api import characters
from mobile_api.jsonio import bad_text_path

#: A fix claiming to be worse than this is no position at all (and would widen a check-in).
ACCURACY_MAX_M = 10_000.0

StrictFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Crs = Literal["wgs84", "gcj02", "bd09"]


def _utc(value: datetime) -> datetime:
    """Times are compared and stored in UTC; one that does not exist there is refused here
    (0001-01-01T00:00:00+14:00 is a valid ISO string but no UTC instant)."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("out of range once converted to UTC") from None


#: The one type of every time in a request: with an offset, and representable in UTC.
InDateTime = Annotated[AwareDatetime, AfterValidator(_utc)]


def _text(value: Any, one_line: bool) -> Any:
    """Refuses the characters `mobile_api.characters` names; before the model strips
    whitespace, so a trailing U+000B is refused rather than silently cut. (A module function
    bound by `partial`, not a closure made at import: mutation testing reaches it.)"""
    if isinstance(value, str) and (why := characters.problem(value, one_line)):
        raise ValueError(why)
    return value


#: The type of every string a person writes: no control character but tab, LF and CR.
FreeText = Annotated[str, BeforeValidator(partial(_text, one_line=False))]
#: A name, an address, an id, a filter: not even tab, LF or CR.
OneLine = Annotated[str, BeforeValidator(partial(_text, one_line=True))]


def _refuse(model: str, loc: tuple[str | int, ...], kind: str, message: str, value: Any
            ) -> ValidationError:
    """An error at `loc` inside the model (pydantic prefixes the outer path when nested)."""
    return ValidationError.from_exception_data(model, [InitErrorDetails(
        type=PydanticCustomError(kind, message), loc=loc, input=value)])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        """No string anywhere in the input (keys included) holds a NUL or a lone surrogate:
        PostgreSQL refuses the first, UTF-8 cannot encode the second."""
        bad = bad_text_path(data)
        if bad is not None:
            raise _refuse(cls.__name__, tuple(bad[0]), "text", bad[1], data)
        return data


class LocationIn(Strict):
    lat: Annotated[StrictFloat, Field(ge=-90, le=90)]
    lon: Annotated[StrictFloat, Field(ge=-180, le=180)]
    accuracy_m: Annotated[StrictFloat, Field(ge=0, le=ACCURACY_MAX_M)] | None = None
    crs: Crs = "wgs84"

    @model_validator(mode="after")
    def _on_earth_in_wgs84(self) -> Any:
        """A BD-09 or GCJ-02 point near a pole or the antimeridian converts to one off the earth
        (south of the pole, say), which later makes a NaN distance; refuse it here."""
        lon, lat = self._converted()
        for name, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
            if not (math.isfinite(value) and -limit <= value <= limit):
                raise _refuse(type(self).__name__, (name,), "off_the_earth",
                              f"is {value!r} once converted from {self.crs} to WGS-84, outside "
                              f"-{limit:g}..{limit:g}", getattr(self, name))
        return self

    def _converted(self) -> tuple[float, float]:
        lon, lat = to_wgs84(self.lon, self.lat, self.crs)
        return float(lon), float(lat)

    def wgs84_point(self) -> Point:
        return Point(*self._converted())


class TokenRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    role: Role
    user_id: str


class IncidentCreate(Strict):
    category: Category
    description: Annotated[FreeText, Field(min_length=1, max_length=2000)]
    location: LocationIn | None = None
    site_id: Annotated[OneLine, Field(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _one_place(self) -> IncidentCreate:
        if (self.location is None) == (self.site_id is None):
            raise ValueError("give exactly one of location or site_id")
        return self


class CheckInRequest(Strict):
    location: LocationIn
    recorded_at: InDateTime | None = None


class NoteRequest(Strict):
    note: Annotated[FreeText, Field(max_length=2000)] = ""


class PositionFix(LocationIn):
    recorded_at: InDateTime


class PositionsBatch(Strict):
    positions: Annotated[list[PositionFix], Field(min_length=1, max_length=500)]


class SiteCreate(Strict):
    name: Annotated[OneLine, Field(min_length=1, max_length=200)]
    location: LocationIn
    address: Annotated[OneLine, Field(max_length=500)] | None = None
    green_channel: bool = False
    lead_department: Annotated[OneLine, Field(max_length=64)] | None = None
    owner_id: Annotated[OneLine, Field(max_length=64)] | None = None


class IncidentListQuery(Strict):
    status: list[Status] = Field(default_factory=list,
                                 description="comma-separated statuses, any of which matches")
    unit: Annotated[OneLine, Field(max_length=64)] | None = None
    category: Category | None = None
    bbox: tuple[FiniteFloat, FiniteFloat, FiniteFloat, FiniteFloat] | None = Field(
        None, description="minLon,minLat,maxLon,maxLat in WGS-84")
    since: InDateTime | None = None
    overdue: bool = False
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=200)] = 50

    @field_validator("status", "bbox", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("bbox")
    @classmethod
    def _bbox_in_range(cls, value: tuple[float, float, float, float] | None) -> Any:
        return _bbox_in_range(value)


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _bbox_in_range(value: tuple[float, float, float, float] | None) -> Any:
    if value is not None:
        min_lon, min_lat, max_lon, max_lat = value
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValueError("minLon,minLat,maxLon,maxLat out of range or min above max")
    return value


class MapQuery(Strict):
    """The map's filters, read and checked as the list's are."""

    unit: Annotated[OneLine, Field(max_length=64)] | None = None
    category: Category | None = None
    bbox: tuple[FiniteFloat, FiniteFloat, FiniteFloat, FiniteFloat] | None = Field(
        None, description="minLon,minLat,maxLon,maxLat in WGS-84")

    @field_validator("bbox", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("bbox")
    @classmethod
    def _bbox_in_range(cls, value: tuple[float, float, float, float] | None) -> Any:
        return _bbox_in_range(value)


class FeedbackRequest(Strict):
    satisfied: Annotated[bool, Field(strict=True)]
    rating: Annotated[int, Field(strict=True, ge=1, le=5)]
    comment: Annotated[FreeText, Field(max_length=2000)] = ""


class ExtendRequest(Strict):
    reason: Annotated[FreeText, Field(min_length=1, max_length=2000,
                                      description="told to the reporter at once")]
    until: InDateTime


class ComplaintRequest(Strict):
    text: Annotated[FreeText, Field(min_length=1, max_length=2000)]


class ComplaintReplyRequest(Strict):
    reply: Annotated[FreeText, Field(min_length=1, max_length=2000)]


class AssignRequest(Strict):
    unit: Annotated[OneLine, Field(min_length=1, max_length=64)]
    person: Annotated[OneLine, Field(
        min_length=1, max_length=64,
        description="the user id of an officer or dispatcher of the unit")]
    due: InDateTime


def _date_or_instant(value: Any) -> date | datetime:
    """A day (YYYY-MM-DD, read in China Standard Time by the assessment) or an instant with an
    offset; one type, so a refusal names the field alone and says what is expected."""
    expected = "a date YYYY-MM-DD or an ISO 8601 datetime with an offset"
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        raise ValueError(expected)
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(expected) from None
    if instant.tzinfo is None:
        raise ValueError("a datetime needs an offset (e.g. +08:00 or Z)")
    return _utc(instant)


DateOrInstant = Annotated[date | datetime, PlainValidator(_date_or_instant),
                          WithJsonSchema({"type": "string", "anyOf": [
                              {"format": "date"}, {"format": "date-time"}]})]


class StatsQuery(Strict):
    from_: DateOrInstant | None = Field(
        None, alias="from", description="a date (China Standard Time) or a datetime with offset; "
        "default: the first day of the current month")
    to: DateOrInstant | None = Field(
        None, description="a date (its whole day included) or a datetime (excluded); default: "
        "the end of the current month")
    format: Literal["json", "csv", "xlsx"] | None = Field(
        None, description="default json; csv also by `Accept: text/csv`")


# -- responses -----------------------------------------------------------------------------------
class LatLon(BaseModel):
    lat: float
    lon: float


class UnitRef(BaseModel):
    code: str
    name: str


class UnitOut(UnitRef):
    kind: UnitKind


class IncidentUnitOut(UnitOut):
    lead: bool = False  # the green channel's lead department
    accepted_at: datetime | None
    accepted_by: str | None = Field(None, description="the officer who accepted (user id)")
    arrived_at: datetime | None
    arrived_by: str | None = Field(None, description="the officer who checked in (user id)")
    arrival_due: datetime
    arrival_on_time: bool | None
    arrival_distance_m: float | None
    arrival_location: LatLon | None = Field(
        None, description="the check-in fix (WGS-84), drawn against the site and the radius")


class Deadlines(BaseModel):
    arrival: datetime
    restore: datetime
    resolve: datetime


class Milestones(BaseModel):
    restored_at: datetime | None
    restored_on_time: bool | None
    resolved_at: datetime | None
    resolved_on_time: bool | None
    closed_at: datetime | None


class OverdueOut(BaseModel):
    milestone: str
    unit: str | None
    due: datetime


class TimelineEntry(BaseModel):
    seq: int
    at: datetime
    type: str
    actor: str | None
    data: dict[str, Any]


class PhotoOut(BaseModel):
    id: str
    content_type: str
    size: int
    url: str


class CentralAssignmentOut(BaseModel):
    unit: str
    person: str
    due: datetime
    assigned_by: str | None
    assigned_at: datetime | None


class ExtensionOut(BaseModel):
    count: int
    reason: str | None
    original_deadline: datetime
    deadline: datetime


class FeedbackOut(BaseModel):
    requested_due: datetime | None
    at: datetime | None
    satisfied: bool | None
    rating: int | None
    comment: str | None


class ComplaintOut(BaseModel):
    id: int
    incident_id: str
    text: str
    filed_at: datetime
    reply_due: datetime
    reply: str | None
    replied_at: datetime | None
    replied_on_time: bool | None


class IncidentOut(BaseModel):
    id: str
    category: Category
    description: str
    status: Status
    location: LatLon
    site_id: str | None
    green_channel: bool
    territory: UnitRef
    boundary_set_id: int
    units: list[IncidentUnitOut]
    received_at: datetime
    deadlines: Deadlines
    milestones: Milestones
    overdue: list[OverdueOut]
    photos: list[PhotoOut]
    central_assignment: CentralAssignmentOut | None = None
    extension: ExtensionOut | None = None
    feedback: FeedbackOut | None = None
    closed_reason: str | None = None
    complaints: list[ComplaintOut] = Field(default_factory=list)
    timeline: list[TimelineEntry] | None = None


class UnitStatsOut(BaseModel):
    """One unit's figures (dispatch/assessment.py defines each; the CSV and XLSX columns)."""

    rank: int
    unit: str
    name: str
    kind: str
    cases: int
    too_few_cases: bool
    score: float | None
    response_rate: float | None
    completion_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    arrivals_decided: int
    arrivals_on_time: int
    arrival_median_s: float | None
    arrival_p90_s: float | None
    restores_decided: int
    restores_on_time: int
    restore_rate: float | None
    restore_median_s: float | None
    restore_p90_s: float | None
    resolutions_decided: int
    resolutions_on_time: int
    resolve_median_s: float | None
    resolve_p90_s: float | None
    closed: int
    closed_resolved: int
    overdue_records: int
    reopenings: int
    extensions: int
    complaints: int
    centrally_assigned: int
    feedback_answered: int
    feedback_satisfied: int
    mean_rating: float | None


class StatsOut(BaseModel):
    period: dict[str, datetime]
    min_cases: int
    units: list[UnitStatsOut]


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    page: int
    per_page: int


class SiteOut(BaseModel):
    id: str
    name: str
    owner_id: str
    location: LatLon
    address: str | None
    green_channel: bool
    lead_department: str | None
    created_at: datetime


class PositionsAccepted(BaseModel):
    received: int
    stored: int


class SiteList(BaseModel):
    items: list[SiteOut]


class UnitsOut(BaseModel):
    items: list[UnitOut]
    routing: dict[str, list[str]] = Field(description="category -> the codes of its units")


Position = tuple[float, float]  # [lon, lat], RFC 7946


class Polygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[Position]]


class MultiPolygon(BaseModel):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


class TerritoryProperties(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    name: str


class TerritoryFeature(BaseModel):
    type: Literal["Feature"]
    properties: TerritoryProperties
    geometry: Annotated[Polygon | MultiPolygon, Field(discriminator="type")]


class BoundaryCollection(BaseModel):
    """A GeoJSON FeatureCollection (RFC 7946, WGS-84) with the boundary set's name at the top."""

    type: Literal["FeatureCollection"]
    features: list[TerritoryFeature]
    name: str
    label: str
    boundary_set_id: int


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(description="database and, where configured, redis: "
                                               "`ok` or `error: <kind>`")


class PositionsArray(RootModel[Annotated[list[PositionFix], Field(min_length=1, max_length=500)]]):
    """The bare-array form of a positions batch, for the document (the view wraps it)."""


# -- public disclosure ------------------------------------------------------------------------
class PublicCasesQuery(Strict):
    week: Annotated[OneLine, Field(max_length=10, description="an ISO week, e.g. 2026-W48 "
                                                               "(China Standard Time)")
                    ] | None = None
    month: Annotated[OneLine, Field(max_length=7, description="a month, e.g. 2026-11")
                     ] | None = None


class WithholdRequest(Strict):
    reason: Annotated[FreeText, Field(min_length=1, max_length=500)]


class PublicMilestone(BaseModel):
    due: str
    on_time: bool | None = Field(description="null while the milestone is still open")


class PublicArrival(PublicMilestone):
    unit: dict[str, str]


class PublicResolve(PublicMilestone):
    extended_to: str | None = Field(
        description="the extended deadline, if any; the case is judged against `due`")


class PublicMilestones(BaseModel):
    arrival: list[PublicArrival]
    restore: PublicMilestone
    resolve: PublicResolve


class PublicResult(BaseModel):
    status: Status
    status_name: str
    note: str | None
    resolved_at: str | None
    closed_at: str | None


class PublicCase(BaseModel):
    id: str
    received_at: str
    category: Category
    category_name: str
    territory: dict[str, str]
    problem: str
    result: PublicResult
    milestones: PublicMilestones


class PublicPeriod(BaseModel):
    label: str
    start: str
    end: str


class PublicCases(BaseModel):
    period: PublicPeriod
    count: int
    cases: list[PublicCase]


class WithheldOut(BaseModel):
    id: str
    withheld_at: str
    withheld_by: str
    reason: str


# -- the map of open cases -----------------------------------------------------------------------
class NextDue(BaseModel):
    at: datetime
    milestone: Literal["arrival", "restore", "resolve"]
    unit: str | None = Field(description="the unit that must arrive; null for restore and "
                                         "resolve, which the case's units answer for together")


class MapUnit(BaseModel):
    code: str
    kind: UnitKind
    accepted: bool
    arrived_at: datetime | None
    arrival_due: datetime
    restore_due: datetime
    resolve_due: datetime


class MapCaseProperties(BaseModel):
    category: Category
    status: Status
    territory: str = Field(description="the territory's code")
    received_at: datetime
    green_channel: bool
    reopened: bool = Field(description="sent back by its reporter at least once")
    deadlines: Deadlines
    units: list[MapUnit]
    next_due: NextDue | None = Field(description="the earliest unmet deadline")
    state: Literal["on_time", "near", "overdue", "restored", "resolved"]


class PointGeometry(BaseModel):
    type: Literal["Point"]
    coordinates: Position


class MapFeature(BaseModel):
    type: Literal["Feature"]
    id: str
    geometry: PointGeometry
    properties: MapCaseProperties


class MapCollection(BaseModel):
    """The open cases as a GeoJSON FeatureCollection (RFC 7946, WGS-84, [lon, lat] to 6
    decimals); `seq` is the event log's last seq before the read: apply only later events."""

    type: Literal["FeatureCollection"]
    features: list[MapFeature]
    seq: int
    generated_at: datetime
