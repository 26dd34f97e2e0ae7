"""The domain of the 311 rule in plain Python: units, people, sites, incidents and their events.

These classes know nothing of storage; `dispatch.storage.orm` maps them onto tables. Every state
change goes through a method here, which checks the rule, records the change as an `Event` in the
incident's log, and raises `Conflict` when the case is not in a state that allows it.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shapely.geometry import Point

from dispatch import events as ev
from dispatch.clock import Milestone as Milestone  # re-exported: the domain's vocabulary
from dispatch.clock import Policy, is_overdue, on_time
from dispatch.errors import Conflict
from dispatch.events import EventType
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
    # Creation order within this process, so events written in one flush keep the order they
    # happened in; not stored.
    ordinal: int = field(default_factory=itertools.count().__next__, compare=False, repr=False)


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
    incident_id: str | None = None


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


@dataclass
class Incident:
    category: str
    description: str
    location: Point
    reporter_id: str
    territory_code: str
    territory_name: str
    boundary_set_id: int
    received_at: datetime
    arrival_due: datetime
    restore_due: datetime
    resolve_due: datetime
    location_accuracy_m: float | None = None
    reported_crs: str = "wgs84"
    site_id: str | None = None
    green_channel: bool = False
    status: str = Status.REPORTED
    restored_at: datetime | None = None
    restored_by: str | None = None
    restore_note: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolve_note: str | None = None
    closed_at: datetime | None = None
    # Set once the timers of its current round are stored (just after the report or the
    # reopening commits, or by the next sweep).
    timers_planned_at: datetime | None = None
    # The clocks' round: 0 from the report, +1 each time the case is sent back (reopened). Timers
    # and overdue records carry the round they belong to, so earlier rounds' history stays.
    round: int = 0
    reopened_at: datetime | None = None
    # The green channel's lead department, marked `lead` among the units.
    lead_unit: str | None = None
    # Extensions (dispatch/followup.py): the round's resolve deadline before the first one (None
    # while never extended), how many, and the last reason the reporter was told.
    resolve_due_original: datetime | None = None
    extensions: int = 0
    extension_reason: str | None = None
    # The reporter's follow-up: asked when solved, answered or closed unanswered at
    # `feedback_due`; the fields hold the latest answer.
    feedback_due: datetime | None = None
    feedback_at: datetime | None = None
    feedback_satisfied: bool | None = None
    feedback_rating: int | None = None
    feedback_comment: str | None = None
    closed_reason: str | None = None
    # Central assignment (集中交办) by command: the unit, its named person, the deadline.
    central_unit: str | None = None
    central_person: str | None = None
    central_due: datetime | None = None
    central_by: str | None = None
    central_at: datetime | None = None
    # Kept out of the public disclosure (`withhold`), with the reason on record.
    withheld_at: datetime | None = None
    withheld_by: str | None = None
    withheld_reason: str | None = None
    # The problem and the result as a commander reviewed them for publication (None: the
    # disclosure shows the category's and the status's words), who reviewed them and when.
    public_problem: str | None = None
    public_result: str | None = None
    public_text_by: str | None = None
    public_text_at: datetime | None = None
    media_url: str | None = None  # from an Open311 client: text only, never fetched
    id: str = field(default_factory=new_id)
    assignments: list[Assignment] = field(default_factory=list)
    # The events recorded on this object, which the unit of work writes at commit. A case read
    # from storage starts with none: its history is read with `uow.incidents.events(id)`.
    events: list[Event] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)

    # -- who hears about it -------------------------------------------------------------------
    def record(self, type: EventType, at: datetime, actor_id: str | None, **data: Any) -> Event:
        """Append an event; who hears it is the catalogue's decision (`dispatch.events`), for
        an event about one unit the unit named in its `unit` datum."""
        rooms = ev.audience(type, self.unit_codes(), self.reporter_id, data.get("unit"))
        event = Event(type=type, at=at, actor_id=actor_id, data=data, audience=rooms,
                      incident_id=self.id, snapshot=self.snapshot())
        self.events.append(event)
        return event

    def snapshot(self) -> dict[str, Any]:
        """A compact, JSON-ready picture of the case for real-time clients."""
        def iso(t: datetime | None) -> str | None:
            return None if t is None else iso_utc(t)
        return {
            "id": self.id, "category": self.category, "status": str(self.status),
            "description": self.description,
            "location": {"lat": self.location.y, "lon": self.location.x},
            "territory": {"code": self.territory_code, "name": self.territory_name},
            "green_channel": self.green_channel,
            "central_assignment": None if self.central_unit is None else {
                "unit": self.central_unit, "person": self.central_person,
                "due": iso(self.central_due)},
            "received_at": iso(self.received_at),
            "deadlines": {"arrival": iso(self.arrival_due), "restore": iso(self.restore_due),
                          "resolve": iso(self.resolve_due)},
            "milestones": {"restored_at": iso(self.restored_at),
                           "resolved_at": iso(self.resolved_at),
                           "closed_at": iso(self.closed_at)},
            "units": [{"code": a.unit_code, "name": a.unit_name, "kind": a.kind,
                       "accepted_at": iso(a.accepted_at), "arrived_at": iso(a.arrived_at),
                       "arrival_due": iso(a.arrival_due), "lead": a.unit_code == self.lead_unit}
                      for a in self.assignments],
        }

    def assignment(self, unit_code: str) -> Assignment | None:
        return next((a for a in self.assignments if a.unit_code == unit_code), None)

    def unit_codes(self) -> list[str]:
        return [a.unit_code for a in self.assignments]

    # -- the clocks -----------------------------------------------------------------------------
    def clocks(self) -> list[MilestoneClock]:
        """Every deadline of the case: each unit's arrival, then restore, then resolve."""
        out = [MilestoneClock(Milestone.ARRIVAL, a.unit_code, a.arrival_due, a.arrived_at)
               for a in self.assignments]
        out.append(MilestoneClock(Milestone.RESTORE, None, self.restore_due, self.restored_at))
        out.append(MilestoneClock(Milestone.RESOLVE, None, self.resolve_due, self.resolved_at))
        return out

    def clock_of(self, unit_code: str, milestone: str) -> MilestoneClock:
        """The deadline a unit answers for: its own arrival, or the case's restore / resolve."""
        for c in self.clocks():
            if c.milestone == milestone and c.unit_code in (None, unit_code):
                return c
        raise LookupError(f"unit {unit_code} has no {milestone} deadline on this incident")

    def overdue(self, now: datetime) -> list[MilestoneClock]:
        """The deadlines passed unmet at `now` (`dispatch.clock.is_overdue`)."""
        return [c for c in self.clocks() if is_overdue(c.done_at, c.due, now)]

    def clocks_started_at(self) -> datetime:
        """When the current round's clocks started: the report, or the last reopening."""
        return self.reopened_at if self.reopened_at is not None else self.received_at

    # -- the lifecycle --------------------------------------------------------------------------
    def dispatch(self, units: list[Unit], at: datetime, actor_id: str | None) -> None:
        """Hand the case to its responsible units: the territory first, then the departments."""
        if self.status != Status.REPORTED:
            raise Conflict(f"incident is {self.status}; only a reported incident can be dispatched")
        for unit in units:
            if self.assignment(unit.code) is None:
                self.assignments.append(Assignment(
                    unit_code=unit.code, unit_name=unit.name, kind=unit.kind,
                    arrival_due=self.arrival_due))
        # The same order storage reads them back in: the territory, then departments by code.
        self.assignments.sort(key=lambda a: (a.kind != UnitKind.TERRITORY, a.unit_code))
        self.status = Status.DISPATCHED
        # The units hear of it through their own `offered` event (which carries the case too):
        # one message per unit for a new case, the first thing its officers see (see events.py).
        self.record(EventType.DISPATCHED, at, actor_id, status=self.status,
                    units=self.unit_codes())

    def accept(self, unit_code: str, officer_id: str, at: datetime) -> bool:
        """The officer takes the task for the unit; returns False when it was already taken."""
        a = self._open_assignment(unit_code, "accept")
        if a.accepted_at is not None:
            return False
        a.accepted_at, a.accepted_by = at, officer_id
        self.record(EventType.ACCEPTED, at, officer_id, unit=unit_code)
        return True

    def arrive(self, unit_code: str, officer_id: str, at: datetime, location: Point,
               distance_m: float, device_time: datetime | None) -> bool:
        """Record the unit's arrival; the first arrival puts the case on site.

        Returns False when the unit had already arrived (the first arrival stands).
        """
        a = self._open_assignment(unit_code, "check in")
        if a.arrived_at is not None:
            return False
        if a.accepted_at is None:
            a.accepted_at, a.accepted_by = at, officer_id
        a.arrived_at, a.arrived_by = at, officer_id
        a.arrival_location, a.arrival_distance_m = location, round(distance_m, 1)
        a.arrival_device_time = device_time
        if self.status in (Status.DISPATCHED, Status.REOPENED):
            self.status = Status.ON_SITE
        self.record(EventType.ARRIVED, at, officer_id, unit=unit_code, status=self.status,
                    distance_m=a.arrival_distance_m, on_time=on_time(at, a.arrival_due))
        return True

    def restore(self, actor_id: str, at: datetime, note: str) -> bool:
        """Returns False for a repeat of the restore that stands (the same person, the same
        note: a phone's retry), which changes nothing; anything else out of order conflicts."""
        if (self.status == Status.RESTORED and self.restored_by == actor_id
                and self.restore_note == note):
            return False
        if self.status != Status.ON_SITE:
            raise Conflict(f"incident is {self.status}; order can be marked restored only when "
                           "a responsible unit is on site")
        self.status = Status.RESTORED
        self.restored_at, self.restored_by, self.restore_note = at, actor_id, note
        self.record(EventType.RESTORED, at, actor_id, status=self.status, note=note,
                    on_time=on_time(at, self.restore_due))
        return True

    def resolve(self, actor_id: str, at: datetime, note: str) -> bool:
        """Like `restore`: False for a repeat of the resolve that stands."""
        if (self.status == Status.RESOLVED and self.resolved_by == actor_id
                and self.resolve_note == note):
            return False
        # A reopened case keeps its restored order: only the problem is to be solved again.
        if self.status not in (Status.RESTORED, Status.REOPENED):
            raise Conflict(f"incident is {self.status}; a problem can be marked solved only after "
                           "order is restored")
        self.status = Status.RESOLVED
        self.resolved_at, self.resolved_by, self.resolve_note = at, actor_id, note
        self.record(EventType.RESOLVED, at, actor_id, status=self.status, note=note,
                    on_time=on_time(at, self.resolve_due))
        return True

    def reopen(self, at: datetime, policy: Policy, actor_id: str | None, note: str = "") -> None:
        """Send a solved case back (the reporter is not satisfied): the clocks run again.

        The problem is open again with a new resolve deadline counted from now (the policy's
        resolve allowance), for every responsible unit; the order restored stands (its time and
        on-time judgement are kept), and so do the arrivals. The round goes up by one: the new
        deadline gets its own timers (planned by `dispatch.deadlines.plan_timers`, or the next
        sweep) and its own overdue records, and those of earlier rounds are kept as they were.
        """
        if self.status not in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(f"incident is {self.status}; only a solved or closed incident can be "
                           "reopened")
        self.round += 1
        self.reopened_at = at
        self.status = Status.REOPENED
        self.resolve_due = at + policy.resolve
        self.resolve_due_original = None  # a new round's deadline, not extended yet
        self.resolved_at = self.resolved_by = self.resolve_note = None
        self.closed_at = self.closed_reason = self.feedback_due = None
        self.timers_planned_at = None  # the new round's timers are still to be planned
        self.record(EventType.REOPENED, at, actor_id, status=self.status, note=note,
                    round=self.round, resolve_due=iso_utc(self.resolve_due))

    def close(self, at: datetime, actor_id: str | None, reason: str) -> None:
        """The cycle ends: the reporter was satisfied, or did not answer in time."""
        if self.status != Status.RESOLVED:
            raise Conflict(f"incident is {self.status}; only a solved incident can be closed")
        self.status = Status.CLOSED
        self.closed_at, self.closed_reason, self.feedback_due = at, reason, None
        self.record(EventType.CLOSED, at, actor_id, status=self.status, reason=reason)

    def complaint(self, number: int) -> Complaint | None:
        return next((c for c in self.complaints if c.number == number), None)
    def withhold(self, actor_id: str, at: datetime, reason: str) -> bool:
        """Keep the case out of the public disclosure; the reason stays on record (the case's
        columns and its log). Returns False for a repeat with the same reason; a different
        reason for a case already withheld conflicts (the first decision stands on record)."""
        if self.withheld_at is not None:
            if self.withheld_reason == reason:
                return False
            raise Conflict(f"the case was withheld already on {iso_utc(self.withheld_at)}: "
                           f"{self.withheld_reason}")
        self.withheld_at, self.withheld_by, self.withheld_reason = at, actor_id, reason
        self.record(EventType.WITHHELD, at, actor_id, reason=reason)
        return True

    def review_public_text(self, actor_id: str, at: datetime, problem: str | None,
                           result: str | None) -> bool:
        """The text the public disclosure may show (None: none). False for the text it has."""
        if (problem, result) == (self.public_problem, self.public_result):
            return False
        self.public_problem, self.public_result = problem, result
        self.public_text_by, self.public_text_at = actor_id, at
        self.record(EventType.PUBLIC_TEXT_REVIEWED, at, actor_id, problem=problem, result=result)
        return True

    def _open_assignment(self, unit_code: str, action: str) -> Assignment:
        if self.status in (Status.RESOLVED, Status.CLOSED, Status.REPORTED):
            raise Conflict(f"incident is {self.status}; cannot {action}")
        a = self.assignment(unit_code)
        if a is None:  # the caller checked scope; this is a programming error guard
            raise Conflict(f"unit {unit_code} is not responsible for this incident")
        return a
