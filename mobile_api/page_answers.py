"""The answers the pages read: the public disclosure, the map of open cases (GeoJSON) and the
label catalogue (the rest of the API's answers are `mobile_api.answers`; both are re-exported
by `mobile_api.schemas`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from dispatch.model import Category, Status, UnitKind
from mobile_api.answers import CaseClocksOut, ClockStateName, Position


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
    case_number: str
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
    """A responsible unit; its arrival's deadline and check-in time are in `clocks`."""

    code: str
    kind: UnitKind
    accepted: bool


class MapCaseProperties(BaseModel):
    case_number: str
    category: Category
    status: Status
    territory: str = Field(description="the territory's code")
    received_at: datetime
    green_channel: bool
    reopened: bool = Field(description="sent back by its reporter at least once")
    units: list[MapUnit]
    next_due: NextDue | None = Field(description="the earliest unmet deadline")
    state: ClockStateName = Field(description="the clocks' state at `generated_at`")
    clocks: CaseClocksOut


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


class LabelSet(BaseModel):
    """One language's names, each table keyed by the code the API uses."""

    categories: dict[str, str]
    descriptions: dict[str, str]  # what each category means
    statuses: dict[str, str]
    milestones: dict[str, str]
    roles: dict[str, str]
    states: dict[str, str]
    columns: dict[str, str]  # the assessment's, as the exports' header row names them


class LabelsOut(BaseModel):
    """The label catalogue (dispatch/labels.py): `labels` per language, `default` when a page's
    language is not among `languages`."""

    default: str
    languages: list[str]
    labels: dict[str, LabelSet]
