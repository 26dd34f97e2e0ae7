"""The incident, the aggregate of the 311 rule in plain Python, and the domain's vocabulary.

These classes know nothing of storage; `dispatch.storage.orm` maps them onto tables. Every state
change of a case goes through a method here (the field work and the supervision cycle after it),
which checks the rule, records the change as an `Event` in the incident's log, and raises
`Conflict` or `ValidationFailed` when the case is not in a state that allows it. The use cases
(`dispatch.fieldwork`, `dispatch.followup`) decide who may ask and which timers a change needs.
The small things a case is made of live in `dispatch.entities`, re-exported here, and its
live picture in `dispatch.snapshots`.

Why this module is over 400 lines: `Incident` is the aggregate, one class by design: every field
of a case and every method that changes one, so that the rule "a case changes only through its
own methods" is kept in one place (`tests/unit/test_model_owns_state.py` holds the modules
around it to that); what could leave it (types, the snapshot) has left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry import Point

from dispatch import events as ev
from dispatch.clock import Milestone as Milestone  # re-exported: the domain's vocabulary
from dispatch.clock import Policy, is_overdue, on_time, resolved_on_time
from dispatch.entities import (  # re-exported: the domain's vocabulary
    ArrivalFacts as ArrivalFacts, Assignment as Assignment, Category as Category,
    Complaint as Complaint, Counted as Counted, DeviceStamp as DeviceStamp, Event as Event,
    MilestoneClock as MilestoneClock, NO_STAMP as NO_STAMP, Photo as Photo, Role as Role,
    Site as Site, Status as Status, Unit as Unit, UnitKind as UnitKind, User as User,
    new_id as new_id)
from dispatch.errors import Conflict, NotFound, ValidationFailed
from dispatch.events import EventType
from dispatch.snapshots import snapshot
from dispatch.utc import iso_utc


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
    # Read out on the phone (`dispatch.case_numbers`): given at intake, unique.
    case_number: str = ""
    # What the phone said of a restore or resolve sent from its queue (`dispatch.offline`).
    restore_device_time: datetime | None = None
    restore_sent_late: bool | None = None
    resolve_device_time: datetime | None = None
    resolve_sent_late: bool | None = None
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
        return snapshot(self)

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
        out.append(MilestoneClock(Milestone.RESOLVE, None, self.resolve_due, self.resolved_at,
                                  self.resolve_due_original))
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
               distance_m: float, device_time: datetime | None,
               facts: ArrivalFacts | None = None) -> bool:
        """Record the unit's arrival at `at`, the time it counts at (`dispatch.offline`); the
        first arrival puts the case on site. Returns False when the unit had already arrived
        (the first arrival stands)."""
        a = self._open_assignment(unit_code, "check in")
        if a.arrived_at is not None:
            return False
        if a.accepted_at is None:
            a.accepted_at, a.accepted_by = at, officer_id
        a.arrived_at, a.arrived_by = at, officer_id
        a.arrival_location, a.arrival_distance_m = location, round(distance_m, 1)
        a.arrival_device_time = device_time
        if facts is not None:  # how it was judged (`dispatch.offline`)
            a.note_arrival(facts)
        if self.status in (Status.DISPATCHED, Status.REOPENED):
            self.status = Status.ON_SITE
        how = {} if facts is None else {**facts.data(), "counted_at": str(facts.counted)}
        self.record(EventType.ARRIVED, at, officer_id, unit=unit_code, status=self.status,
                    distance_m=a.arrival_distance_m, on_time=on_time(at, a.arrival_due), **how)
        return True

    def restore(self, actor_id: str, at: datetime, note: str,
                stamp: DeviceStamp = NO_STAMP) -> bool:
        """Returns False for a repeat of the restore that stands (the same person, the same
        note: a phone's retry), which changes nothing; anything else out of order conflicts.
        `stamp`: the phone's time of it, kept; the server's `at` is when it counts."""
        if (self.status == Status.RESTORED and self.restored_by == actor_id
                and self.restore_note == note):
            return False
        if self.status != Status.ON_SITE:
            raise Conflict(f"incident is {self.status}; order can be marked restored only when "
                           "a responsible unit is on site")
        self.status = Status.RESTORED
        self.restored_at, self.restored_by, self.restore_note = at, actor_id, note
        self.restore_device_time, self.restore_sent_late = stamp.device_time, stamp.sent_late
        self.record(EventType.RESTORED, at, actor_id, status=self.status, note=note,
                    on_time=on_time(at, self.restore_due), **stamp.data())
        return True

    def resolve(self, actor_id: str, at: datetime, note: str,
                stamp: DeviceStamp = NO_STAMP) -> bool:
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
        self.resolve_device_time, self.resolve_sent_late = stamp.device_time, stamp.sent_late
        # Judged against the round's first deadline, as everywhere (`clock.resolved_on_time`).
        self.record(EventType.RESOLVED, at, actor_id, status=self.status, note=note,
                    on_time=resolved_on_time(at, self.resolve_due, self.resolve_due_original),
                    **stamp.data())
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

    # -- the supervision cycle (DOMAIN 3.2, 6.2, 7.1, 7.3, 7.4) --------------------------------
    def request_feedback(self, at: datetime, wait: timedelta) -> datetime:
        """The problem is solved: ask the reporter (回访); unanswered by the returned time, the
        case closes."""
        self.feedback_due = at + wait
        self.record(EventType.FEEDBACK_REQUESTED, at, None, due=iso_utc(self.feedback_due))
        return self.feedback_due

    def take_feedback(self, reporter_id: str, at: datetime, satisfied: bool, rating: int,
                      comment: str, policy: Policy) -> None:
        """Satisfied closes the case; not satisfied sends it back (退回重办) with new deadlines."""
        if self.status != Status.RESOLVED:
            raise Conflict(f"incident is {self.status}; feedback is given once the problem is "
                           "marked solved, and only once per solution")
        self.feedback_at, self.feedback_satisfied = at, satisfied
        self.feedback_rating, self.feedback_comment = rating, comment
        self.record(EventType.FEEDBACK_GIVEN, at, reporter_id, satisfied=satisfied,
                    rating=rating, comment=comment)
        if satisfied:
            self.close(at, reporter_id, "satisfied")
        else:
            self.reopen(at, policy, reporter_id, comment)

    def extend(self, unit_code: str, actor_id: str, at: datetime, until: datetime, reason: str,
               max_extension: timedelta) -> None:
        """Move the resolve deadline later, with a reason the reporter is told at once.

        The round's original deadline stays on record (`resolve_due_original`): the assessment
        judges against it. `until` must be later than the current deadline and at most
        `max_extension` after the original one.
        """
        if not (reason := reason.strip()):
            raise ValidationFailed.on("reason", "an extension needs a reason the reporter is told")
        if self.status in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(f"incident is {self.status}; only an open problem can be extended")
        original = self.resolve_due_original or self.resolve_due
        if until <= self.resolve_due:
            raise ValidationFailed.on("until", "must be later than the current resolve deadline "
                                      f"{iso_utc(self.resolve_due)}")
        limit = original + max_extension
        if until > limit:
            raise ValidationFailed.on("until", f"at most {max_extension / timedelta(days=1):g} "
                                      f"days after the original deadline {iso_utc(original)}, "
                                      f"that is {iso_utc(limit)}")
        previous = self.resolve_due
        self.resolve_due_original = original
        self.resolve_due, self.extension_reason = until, reason
        self.extensions += 1
        self.record(EventType.EXTENDED, at, actor_id, unit=unit_code, reason=reason,
                    until=iso_utc(until), previous=iso_utc(previous),
                    original=iso_utc(original), extensions=self.extensions)

    def file_complaint(self, reporter_id: str, at: datetime, text: str,
                       reply_within: timedelta) -> Complaint:
        """The reporter complains about the handling; command owes a reply by the deadline."""
        if not (text := text.strip()):
            raise ValidationFailed.on("text", "say what the complaint is about")
        complaint = Complaint(self.id, len(self.complaints) + 1, reporter_id, text, at,
                              at + reply_within)
        self.complaints.append(complaint)
        self.record(EventType.COMPLAINED, at, reporter_id, complaint=complaint.number,
                    text=complaint.text, reply_due=iso_utc(complaint.reply_due))
        return complaint

    def complaint(self, number: int) -> Complaint | None:
        return next((c for c in self.complaints if c.number == number), None)

    def answer_complaint(self, number: int, commander_id: str, at: datetime, text: str
                         ) -> Complaint:
        """Command's reply, once; judged on time against the complaint's own deadline."""
        complaint = self.complaint(number)
        if complaint is None:
            raise NotFound(f"no complaint {number} on incident {self.id}")
        if complaint.replied_at is not None:
            raise Conflict(f"complaint {number} was answered at {iso_utc(complaint.replied_at)}")
        if not (text := text.strip()):
            raise ValidationFailed.on("reply", "the reply cannot be empty")
        complaint.reply, complaint.replied_at, complaint.replied_by = text, at, commander_id
        self.record(EventType.COMPLAINT_REPLIED, at, commander_id, complaint=number,
                    reply=complaint.reply, on_time=on_time(at, complaint.reply_due))
        return complaint

    def assign_centrally(self, unit_code: str, person: User | None, due: datetime,
                         commander_id: str, at: datetime) -> None:
        """Command names the unit, its responsible person and the deadline (集中交办)."""
        if self.status == Status.CLOSED:
            raise Conflict("incident is closed; a closed case is not assigned")
        if self.assignment(unit_code) is None:
            raise ValidationFailed.on("unit", f"{unit_code} is not a responsible unit of this "
                                      f"case ({', '.join(self.unit_codes())})")
        if (person is None or person.unit_code != unit_code or not person.active
                or person.role not in (Role.OFFICER, Role.DISPATCHER)):
            raise ValidationFailed.on("person", f"not an active officer or dispatcher of "
                                      f"{unit_code}")
        if due <= at:
            raise ValidationFailed.on("due", "must be in the future")
        self.central_unit, self.central_person, self.central_due = unit_code, person.id, due
        self.central_by, self.central_at = commander_id, at
        self.record(EventType.CENTRALLY_ASSIGNED, at, commander_id, unit=unit_code,
                    person=person.id, person_name=person.display_name or person.username,
                    due=iso_utc(due))

    def remind(self, unit_code: str, commander_id: str, at: datetime, note: str) -> None:
        """Command reminds a responsible unit of the case (催办): recorded, and heard live by the
        unit's room and command. Nothing of the case changes; a case solved or closed has
        nothing left to remind of."""
        if self.status in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(f"incident is {self.status}; a solved case has nothing to remind of")
        if self.assignment(unit_code) is None:
            raise ValidationFailed.on("unit", f"{unit_code} is not a responsible unit of this "
                                      f"case ({', '.join(self.unit_codes())})")
        self.record(EventType.REMINDED, at, commander_id, unit=unit_code, note=note.strip())

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
