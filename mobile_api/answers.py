"""The API's answers: the shapes of what each route returns, for the OpenAPI document (and the
tests that hold every answer to its declared schema). The requests, and the checks every value
entering the API passes, are `mobile_api.schemas`, which re-exports these names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dispatch.model import Category, Status, UnitKind


# -- the cases, units, sites, officers and health --------------------------------------------------
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
    arrival_device_time: datetime | None = Field(
        None, description="the check-in's `recorded_at` (the phone's time), when it sent one")
    arrival_sent_late: bool | None = Field(
        None, description="the check-in reached the server more than DISPATCH_SENT_LATE_SECONDS "
                          "after its device time (null: before this was recorded)")
    arrival_counted_at: Literal["device", "upload"] | None = Field(
        None, description="`arrived_at` is the device time (an offline check-in the rules "
                          "believe) or the upload's (see `arrival_count_reason`)")
    arrival_count_reason: str | None = None
    arrival_mock_location: bool | None = Field(
        None, description="the phone said the check-in's position was mocked (null: not said)")


class Deadlines(BaseModel):
    arrival: datetime
    restore: datetime
    resolve: datetime


class Milestones(BaseModel):
    restored_at: datetime | None
    restored_on_time: bool | None
    resolved_at: datetime | None
    resolved_on_time: bool | None = Field(
        description="judged against the round's FIRST resolve deadline "
                    "(`extension.original_deadline` when extended): an extension never makes a "
                    "late solution on time; null while unsolved")
    closed_at: datetime | None
    restore_device_time: datetime | None = Field(
        None, description="the restore's `recorded_at` (it counts at `restored_at`, the "
                          "server's time)")
    restore_sent_late: bool | None = None
    resolve_device_time: datetime | None = Field(
        None, description="the resolve's `recorded_at` (it counts at `resolved_at`)")
    resolve_sent_late: bool | None = None


class OverdueOut(BaseModel):
    milestone: str
    unit: str | None
    due: datetime


ClockStateName = Literal["on_time", "near", "overdue", "restored", "resolved"]


class MilestoneClockOut(BaseModel):
    """One deadline as a page colours it, comparing the instants with its clock: near from
    `near_at` (included), late strictly after `due`, met at `done_at` (`on_time` then)."""

    milestone: Literal["arrival", "restore", "resolve"]
    unit: str | None = Field(description="the unit that must arrive; null for restore and "
                                         "resolve, which the case's units answer for together")
    due: datetime
    near_at: datetime = Field(description="when the deadline_near notice fires (the green "
                                          "channel's or the category's warning before `due`)")
    done_at: datetime | None
    on_time: bool | None


class CaseClocksOut(BaseModel):
    """Every deadline of the case (each unit's arrival, then restore, then resolve) and when the
    case itself changes colour: `overdue` strictly after `due`, else `near` from `near_at`, else
    `calm` (both null when no unmet deadline colours it: a solved case)."""

    near_at: datetime | None
    due: datetime | None
    calm: Literal["on_time", "restored", "resolved"]
    milestones: list[MilestoneClockOut]


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
    met_extended_deadline: bool | None = Field(
        description="whether the solution came by the extended `deadline` (null while "
                    "unsolved); the on-time answer is `milestones.resolved_on_time`")


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


class PublishedText(BaseModel):
    problem: str = Field(description="what the disclosure shows: the reviewed problem after "
                                     "the scrubber, else the category's words")
    result: str | None = Field(description="the reviewed result after the scrubber, else null "
                                           "(the status's words are shown)")


class PublicTextOut(BaseModel):
    problem: str | None = Field(description="as the commander reviewed it; null: none")
    result: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    published: PublishedText


class IncidentOut(BaseModel):
    id: str
    case_number: str = Field(description="read out on the phone: JY311-20261207-0042 (prefix, "
                                         "day received in China Standard Time, sequence)")
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
    clocks: CaseClocksOut
    overdue: list[OverdueOut]
    photos: list[PhotoOut]
    central_assignment: CentralAssignmentOut | None = None
    extension: ExtensionOut | None = None
    feedback: FeedbackOut | None = None
    closed_reason: str | None = None
    complaints: list[ComplaintOut] = Field(default_factory=list)
    timeline: list[TimelineEntry] | None = None
    public_text: PublicTextOut | None = Field(
        None, description="one case's answer to command only: the text the public disclosure "
                          "shows, as reviewed and as published (compare with `description`)")


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


class OfficerCase(BaseModel):
    id: str
    case_number: str
    status: Status
    distance_m: int | None = Field(description="straight line from the officer's latest fix "
                                               "to the site; null without a fix")
    eta_s: int | None = Field(description="a rough time to the site: that line at "
                                          "`speed_kmh` (not a route)")


class OfficerOut(BaseModel):
    id: str
    username: str
    name: str
    unit: UnitRef | None
    position: LatLon | None = Field(description="the latest stored position (WGS-84), not "
                                                "one flagged as too fast")
    accuracy_m: float | None
    last_seen_at: datetime | None = Field(description="when that position was taken (its "
                                                      "device time); null: never sent one")
    received_at: datetime | None
    mock_location: bool | None = Field(description="the phone said that position was mocked")
    case: OfficerCase | None = Field(description="the case the officer accepted and is "
                                                 "still working (the latest)")


class OfficersOut(BaseModel):
    items: list[OfficerOut]
    generated_at: datetime
    speed_kmh: float = Field(description="the speed of every `eta_s` (straight line)")


class TrailPoint(BaseModel):
    lat: float
    lon: float
    recorded_at: datetime
    accuracy_m: float | None


class TrailOut(BaseModel):
    officer_id: str
    since: datetime = Field(description="the window's start: the last `minutes`")
    minutes: int
    items: list[TrailPoint] = Field(description="oldest first, WGS-84, fixes flagged as too "
                                                "fast left out")


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
