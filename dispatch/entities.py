"""The domain's small things: the vocabularies (categories, statuses, roles), the people, units
and sites, and the parts an incident is made of (its units' assignments, events, photos,
complaints). The incident itself, whose methods change them, is `dispatch.model.Incident`;
`dispatch.model` re-exports these names, the domain's vocabulary in one place.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shapely.geometry import Point

from dispatch.clock import Milestone
from dispatch.utc import iso_utc

class Category(StrEnum):
    GATE_BLOCKED = "gate_blocked"
    ROAD_BLOCKED = "road_blocked"
    WATER_CUT = "water_cut"
    POWER_CUT = "power_cut"
    OTHER = "other"


class Status(StrEnum):
    REPORTED = "reported"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    RESTORED = "restored"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class Role(StrEnum):
    REPORTER = "reporter"
    OFFICER = "officer"
    DISPATCHER = "dispatcher"
    COMMANDER = "commander"
    ADMIN = "admin"


class UnitKind(StrEnum):
    TERRITORY = "territory"
    DEPARTMENT = "department"


class Counted(StrEnum):
    """Which time an arrival counts at (`dispatch.offline.arrival`)."""

    DEVICE = "device"  # the phone's, for an offline check-in the rules believe
    UPLOAD = "upload"  # the server's, when the check-in reached it


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Unit:
    code: str
    name: str
    kind: str


@dataclass
class User:
    username: str
    password_hash: str
    role: str
    unit_code: str | None = None
    display_name: str = ""
    active: bool = True
    id: str = field(default_factory=new_id)
    # Tokens carry the version they were issued under; raising it revokes them all.
    token_version: int = 0
    # An outside system's Open311 account (`dispatch.outside_systems`): its key's SHA-256.
    api_key_hash: str | None = None
    api_key_issued_at: datetime | None = None


@dataclass
class Site:
    owner_id: str
    name: str
    location: Point
    address: str | None = None
    green_channel: bool = False
    lead_department: str | None = None
    created_at: datetime | None = None
    id: str = field(default_factory=new_id)


@dataclass
class Event:
    """One entry of the append-only log; storage assigns `seq`, global and strictly growing.

    `audience` names the rooms that may hear it (see `dispatch.events`), so a client that was away
    can be replayed exactly what it was entitled to.
    """

    type: str
    at: datetime
    actor_id: str | None
    data: dict[str, Any]
    audience: list[str]
    incident_id: str | None = None
    seq: int | None = None
    # The incident as it was right after this change, so a push or a replay needs no join and
    # shows what the change produced.
    snapshot: dict[str, Any] = field(default_factory=dict)
    # The request (or job) that caused it (dispatch/trace.py): written with it, named in the
    # relay's log line when it is pushed. An id only.
    request_id: str | None = field(default=None, compare=False)
    # Creation order within this process, so events written in one flush keep the order they
    # happened in; not stored.
    ordinal: int = field(default_factory=itertools.count().__next__, compare=False, repr=False)


@dataclass(frozen=True)
class DeviceStamp:
    """When the phone says an action was done (None: not said), and whether it reached the
    server more than the threshold after that (`dispatch.offline.is_sent_late`)."""

    device_time: datetime | None = None
    sent_late: bool = False

    def data(self) -> dict[str, Any]:
        """What the action's event says of it: nothing when no device time was sent."""
        if self.device_time is None:
            return {}
        return {"device_time": iso_utc(self.device_time), "sent_late": self.sent_late}


NO_STAMP = DeviceStamp()  # an action sent live, with no device time


@dataclass(frozen=True)
class ArrivalFacts(DeviceStamp):
    """How a check-in's arrival was judged: the time it counts at and why, and whether the
    phone said its position was mocked (None: the phone did not say)."""

    counted: Counted = Counted.UPLOAD
    reason: str = ""
    mock_location: bool | None = None


@dataclass
class Assignment:
    """One responsible unit of one incident, with its own arrival: the clock is per unit."""

    unit_code: str
    unit_name: str
    kind: str
    arrival_due: datetime
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    arrived_at: datetime | None = None
    arrived_by: str | None = None
    arrival_location: Point | None = None
    arrival_distance_m: float | None = None
    arrival_device_time: datetime | None = None
    # How the arrival was judged (`dispatch.offline`); None on arrivals before migration 0012.
    arrival_sent_late: bool | None = None
    arrival_counted_at: str | None = None
    arrival_count_reason: str | None = None
    arrival_mock_location: bool | None = None
    incident_id: str | None = None

    def note_arrival(self, facts: ArrivalFacts) -> None:
        self.arrival_device_time, self.arrival_sent_late = facts.device_time, facts.sent_late
        self.arrival_counted_at, self.arrival_count_reason = str(facts.counted), facts.reason
        self.arrival_mock_location = facts.mock_location


@dataclass(frozen=True)
class MilestoneClock:
    """One deadline of a case and whether it was met: what `on_time` and `is_overdue` judge.

    `unit_code` is the unit answering for an arrival; None for restore and resolve, which the
    case's units answer for together.
    """

    milestone: Milestone
    unit_code: str | None
    due: datetime
    done_at: datetime | None
    # What a met milestone is judged on time against, when not `due`: the resolve milestone's
    # first deadline once extended (`clock.resolve_basis`; an extension never turns a late
    # solution into an on-time one).
    judged_against: datetime | None = None

    @property
    def basis(self) -> datetime:
        return self.due if self.judged_against is None else self.judged_against


@dataclass
class Photo:
    content_type: str
    size: int
    sha256: str
    path: str
    created_at: datetime
    id: str = field(default_factory=new_id)
    incident_id: str | None = None


@dataclass
class Complaint:
    """A reporter's complaint about the handling of its case: command answers it by `reply_due`.

    `number` counts the case's complaints from 1 (the id a reply names in its URL)."""

    incident_id: str
    number: int
    author_id: str
    text: str
    filed_at: datetime
    reply_due: datetime
    reply: str | None = None
    replied_at: datetime | None = None
    replied_by: str | None = None
    id: str = field(default_factory=new_id)
