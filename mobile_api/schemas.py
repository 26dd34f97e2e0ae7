"""Request and response shapes. Validation and the OpenAPI document both come from these models.
It is over 400 lines because every shape of the API is here, read in one place by both.

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
    RootModel,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from shapely.geometry import Point

from dispatch.limits import (COMPLAINT_MAX_CHARS, DESCRIPTION_MAX_CHARS, ID_MAX_CHARS,
                             NOTE_MAX_CHARS, PUBLIC_TEXT_MAX_CHARS, REASON_MAX_CHARS,
                             WITHHOLD_REASON_MAX_CHARS)
from dispatch.model import Category, Role, Status
from geo.crs import to_wgs84
from mobile_api import characters
from mobile_api.jsonio import bad_text_path
from mobile_api.numbers import query_integer
from mobile_api.answers import (  # re-exported: requests and answers under one name
    LatLon as LatLon,
    UnitRef as UnitRef,
    UnitOut as UnitOut,
    IncidentUnitOut as IncidentUnitOut,
    Deadlines as Deadlines,
    Milestones as Milestones,
    OverdueOut as OverdueOut,
    ClockStateName as ClockStateName,
    MilestoneClockOut as MilestoneClockOut,
    CaseClocksOut as CaseClocksOut,
    TimelineEntry as TimelineEntry,
    PhotoOut as PhotoOut,
    CentralAssignmentOut as CentralAssignmentOut,
    ExtensionOut as ExtensionOut,
    FeedbackOut as FeedbackOut,
    ComplaintOut as ComplaintOut,
    PublishedText as PublishedText,
    PublicTextOut as PublicTextOut,
    IncidentOut as IncidentOut,
    UnitStatsOut as UnitStatsOut,
    StatsOut as StatsOut,
    IncidentPage as IncidentPage,
    SiteOut as SiteOut,
    PositionsAccepted as PositionsAccepted,
    OfficerCase as OfficerCase,
    OfficerOut as OfficerOut,
    OfficersOut as OfficersOut,
    TrailOut as TrailOut,
    SiteList as SiteList,
    UnitsOut as UnitsOut,
    Position as Position,
    Polygon as Polygon,
    MultiPolygon as MultiPolygon,
    TerritoryProperties as TerritoryProperties,
    TerritoryFeature as TerritoryFeature,
    BoundaryCollection as BoundaryCollection,
    Health as Health,
    Readiness as Readiness,
)
from mobile_api.page_answers import (  # re-exported likewise
    PublicMilestone as PublicMilestone,
    PublicArrival as PublicArrival,
    PublicResolve as PublicResolve,
    PublicMilestones as PublicMilestones,
    PublicResult as PublicResult,
    PublicCase as PublicCase,
    PublicPeriod as PublicPeriod,
    PublicCases as PublicCases,
    WithheldOut as WithheldOut,
    NextDue as NextDue,
    MapUnit as MapUnit,
    MapCaseProperties as MapCaseProperties,
    PointGeometry as PointGeometry,
    MapFeature as MapFeature,
    MapCollection as MapCollection,
    LabelSet as LabelSet,
    LabelsOut as LabelsOut,
)

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
    unit_code: str | None = Field(None, description="an officer's or dispatcher's unit")


class IncidentCreate(Strict):
    category: Category
    description: Annotated[FreeText, Field(min_length=1, max_length=DESCRIPTION_MAX_CHARS)]
    location: LocationIn | None = None
    site_id: Annotated[OneLine, Field(min_length=1, max_length=ID_MAX_CHARS)] | None = None

    @model_validator(mode="after")
    def _one_place(self) -> IncidentCreate:
        if (self.location is None) == (self.site_id is None):
            raise ValueError("give exactly one of location or site_id")
        return self


MockLocation = Annotated[bool | None, Field(
    strict=True, description="the phone's own mock-location flag, where it gives one: recorded "
                             "and shown to command")]
DeviceTime = Annotated[InDateTime | None, Field(
    description="when the phone did it (device time), for an action sent from its offline "
                "queue: at most 5 min ahead of the server and 24 h behind")]


class CheckInRequest(Strict):
    location: LocationIn
    recorded_at: DeviceTime = None
    mock_location: MockLocation = None


class NoteRequest(Strict):
    note: Annotated[FreeText, Field(max_length=NOTE_MAX_CHARS)] = ""
    recorded_at: DeviceTime = None


class PositionFix(LocationIn):
    recorded_at: InDateTime
    mock_location: MockLocation = None


class PositionsBatch(Strict):
    positions: Annotated[list[PositionFix], Field(min_length=1, max_length=500)]


class SiteCreate(Strict):
    name: Annotated[OneLine, Field(min_length=1, max_length=200)]
    location: LocationIn
    address: Annotated[OneLine, Field(max_length=500)] | None = None
    green_channel: bool = False
    lead_department: Annotated[OneLine, Field(max_length=ID_MAX_CHARS)] | None = None
    owner_id: Annotated[OneLine, Field(max_length=ID_MAX_CHARS)] | None = None


# An integer query parameter: ASCII digits only (mobile_api/numbers.py says why).
QueryInt = Annotated[int, BeforeValidator(query_integer)]


class IncidentListQuery(Strict):
    status: list[Status] = Field(default_factory=list,
                                 description="comma-separated statuses, any of which matches")
    unit: Annotated[OneLine, Field(max_length=ID_MAX_CHARS)] | None = None
    category: Category | None = None
    bbox: tuple[FiniteFloat, FiniteFloat, FiniteFloat, FiniteFloat] | None = Field(
        None, description="minLon,minLat,maxLon,maxLat in WGS-84")
    since: InDateTime | None = None
    overdue: bool = False
    number: Annotated[OneLine, Field(min_length=1, max_length=40, description=(
        "a case number, e.g. JY311-20261207-0042 (blanks around it and case ignored)"))
                      ] | None = None
    q: Annotated[OneLine, Field(min_length=1, max_length=100, description=(
        "text found in the case number, description, territory, site or enterprise name "
        "(ignoring case)"))] | None = None
    page: Annotated[QueryInt, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[QueryInt, Field(ge=1, le=200)] = 50

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


class TrailQuery(Strict):
    """An officer's trail: the last `minutes` (the server's setting when absent)."""

    minutes: Annotated[QueryInt, Field(ge=1, le=1440)] | None = None


class MapQuery(Strict):
    """The map's filters, read and checked as the list's are."""

    unit: Annotated[OneLine, Field(max_length=ID_MAX_CHARS)] | None = None
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
    comment: Annotated[FreeText, Field(max_length=NOTE_MAX_CHARS)] = ""


class ExtendRequest(Strict):
    reason: Annotated[FreeText, Field(min_length=1, max_length=REASON_MAX_CHARS,
                                 description="told to the reporter at once")]
    until: InDateTime


class ComplaintRequest(Strict):
    text: Annotated[FreeText, Field(min_length=1, max_length=COMPLAINT_MAX_CHARS)]


class ComplaintReplyRequest(Strict):
    reply: Annotated[FreeText, Field(min_length=1, max_length=COMPLAINT_MAX_CHARS)]


class AssignRequest(Strict):
    unit: Annotated[OneLine, Field(min_length=1, max_length=ID_MAX_CHARS)]
    person: Annotated[OneLine, Field(min_length=1, max_length=ID_MAX_CHARS,
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
    lang: Literal["zh-CN", "en"] = Field(
        "zh-CN", description="the language of the CSV's and XLSX's header row (the label "
        "catalogue's names of the columns); the JSON's keys are the columns' codes")


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
    reason: Annotated[FreeText, Field(min_length=1, max_length=WITHHOLD_REASON_MAX_CHARS)]


class PublicTextRequest(Strict):
    problem: Annotated[FreeText, Field(max_length=PUBLIC_TEXT_MAX_CHARS, description=(
        "the problem as the public may read it; empty clears it (the category's words are "
        "published); absent keeps it"))] | None = None
    result: Annotated[FreeText, Field(max_length=PUBLIC_TEXT_MAX_CHARS, description=(
        "the result as the public may read it; empty clears it (the status's words are "
        "published); absent keeps it"))] | None = None
