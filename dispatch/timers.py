"""The clocks that run without anyone watching: deadline warnings, overdue notices, repeated offers.

Timers are rows planned when a case is dispatched or reopened (the database is the truth); RQ
jobs and a periodic sweep both try to fire them, and whichever comes first under the row lock
wins. What a timer does when it fires is decided here, from the case as it is at that moment.

Timers and overdue records are keyed by the deadline they watch (see tables.py): a deadline that
moves (an extension, a reopening) gets timers and, when missed, an overdue record of its own,
while those of the earlier deadline stay as history. Both carry the round they were planned in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from collections.abc import Callable

from dispatch.clock import Policy, first_late_instant, is_overdue
from dispatch.events import EventType
from dispatch.model import Incident, Milestone, Status
from dispatch.utc import iso_utc

Ranking = Callable[[str], list[dict[str, Any]]]


class TimerKind(StrEnum):
    DEADLINE_NEAR = "deadline_near"
    OVERDUE = "overdue"
    OFFER = "offer"
    # The supervision cycle's clocks (dispatch/followup.py): a solved case waiting for the
    # reporter's answer, and a complaint waiting for command's reply (its number in `complaint`).
    FEEDBACK = "feedback"
    COMPLAINT = "complaint"


@dataclass
class Timer:
    incident_id: str
    unit_code: str
    kind: str
    milestone: str
    deadline: datetime  # the milestone's due time this timer was planned for
    due_at: datetime    # when it fires
    attempt: int = 0
    fired_at: datetime | None = None
    outcome: str | None = None
    id: int | None = None
    round: int = 0  # the incident's round it was planned in (history; the deadline is the key)
    # The complaint whose reply this timer watches (numbered from 1 on the case); 0 for the
    # units' clocks. Part of the key: two complaints may fall due at the same instant.
    complaint: int = 0
    # The request that planned it (dispatch/trace.py): its events and log lines name it.
    request_id: str | None = None


@dataclass
class OverdueRecord:
    """Accountability: a unit missed a deadline. One per (incident, unit, milestone, deadline):
    a new deadline (a reopened or extended case) can be missed again, and recorded again."""

    incident_id: str
    unit_code: str
    milestone: str
    due_at: datetime
    recorded_at: datetime
    met_at: datetime | None = None
    late_by_seconds: float | None = None
    id: int | None = None
    round: int = 0
    complaint: int = 0  # the complaint whose reply was late; 0 for the units' own deadlines


def met_late(incident: Incident, unit_codes: list[str], milestone: str, done_at: datetime
             ) -> list[OverdueRecord]:
    """The accountability records of a milestone met after its deadline, one per unit answering
    for it: exactly those its overdue timers write when they fire first (same deadline, so the
    storage's unique key makes the two paths one record), for a late arrival, restore or
    resolve that comes before the timer fired (the timer then finds it met and writes nothing).
    The deadline is the one in force, as the timers watch it. A deadline's round is the round
    that set it: arrival and restore are the report's (0), resolve the current round's."""
    out = []
    for unit in unit_codes:
        due = incident.clock_of(unit, milestone).due
        if is_overdue(None, due, done_at):
            out.append(OverdueRecord(incident.id, unit, str(milestone), due, done_at,
                                     round=incident.round if milestone == Milestone.RESOLVE
                                     else 0))
    return out


def deadline_of(incident: Incident, unit_code: str, milestone: str) -> datetime:
    return incident.clock_of(unit_code, milestone).due


def plan(incident: Incident, policy: Policy, offer_timeout: timedelta | None) -> list[Timer]:
    """Every responsible unit answers for every open milestone of the current round: a warning
    before its deadline, a notice at the first instant it is late (`first_late_instant`).

    Milestones already met are not watched. A deadline that an earlier round planned already
    (an arrival still awaited after a reopening) plans the same rows again, which the database
    stores once: its earlier timers carry on. Offers belong to the first round only: a reopened
    case goes back to units that have it already.
    """
    timers = []
    start = incident.clocks_started_at()
    for a in incident.assignments:
        for milestone in Milestone:
            clock = incident.clock_of(a.unit_code, milestone)
            if clock.done_at is not None:
                continue
            warn_at = policy.near_at(milestone, clock.due)
            if warn_at > start:
                timers.append(Timer(incident.id, a.unit_code, TimerKind.DEADLINE_NEAR, milestone,
                                    clock.due, warn_at, round=incident.round))
            timers.append(Timer(incident.id, a.unit_code, TimerKind.OVERDUE, milestone,
                                clock.due, first_late_instant(clock.due), round=incident.round))
        if offer_timeout and incident.round == 0:
            timers.extend(_next_offer(incident, a.unit_code, 0, offer_timeout))
    return timers


def _next_offer(incident: Incident, unit_code: str, attempt: int,
                offer_timeout: timedelta) -> list[Timer]:
    at = incident.received_at + offer_timeout * (attempt + 1)
    deadline = deadline_of(incident, unit_code, Milestone.ARRIVAL)
    if at >= deadline:
        return []  # past this, the overdue notice speaks instead
    return [Timer(incident.id, unit_code, TimerKind.OFFER, "offer", deadline, at, attempt + 1)]


@dataclass
class Fired:
    outcome: str
    record: OverdueRecord | None = None
    follow_up: list[Timer] | None = None
    # Not fired after all: keep the timer pending, due again at this time.
    retry_at: datetime | None = None


# The kinds whose firing may only *propose* an accountability record and writes nothing on the
# case: a batch writes all their records first, in one statement (`deadlines._fire_all`).
RECORDING_KINDS = frozenset({TimerKind.OVERDUE, TimerKind.COMPLAINT})


def fire(timer: Timer, incident: Incident, now: datetime, rank: Ranking,
         offer_timeout: timedelta | None) -> Fired:
    """Decide and record (as events of the incident) what the timer means now.

    An overdue notice is only *proposed* here with its accountability record; the caller writes
    the event only if the record was new, so a notice can never be doubled.
    """
    unit = timer.unit_code
    if timer.kind == TimerKind.FEEDBACK:
        return _feedback_unanswered(timer, incident, now)
    if timer.kind == TimerKind.COMPLAINT:
        return _complaint_unanswered(timer, incident, now)
    if timer.kind == TimerKind.OFFER:
        a = incident.assignment(unit)
        if a is None or a.accepted_at or a.arrived_at or incident.status in (
                Status.RESOLVED, Status.CLOSED):
            return Fired("answered")
        incident.record(EventType.OFFERED, now, None, unit=unit, officers=rank(unit),
                        repeat=timer.attempt)
        incident.record(EventType.OFFER_UNANSWERED, now, None, unit=unit,
                        waited_s=(now - incident.received_at).total_seconds())
        follow = _next_offer(incident, unit, timer.attempt, offer_timeout) if offer_timeout else []
        return Fired("repeated", follow_up=follow)

    clock = incident.clock_of(unit, timer.milestone)
    if clock.due != timer.deadline:
        # The deadline moved (extended, or a new round); the new one has timers of its own.
        return Fired("stale")
    if clock.done_at is not None:
        return Fired("met")
    if timer.kind == TimerKind.DEADLINE_NEAR:
        incident.record(EventType.DEADLINE_NEAR, now, None, unit=unit,
                        milestone=timer.milestone, due=iso_utc(clock.due))
        return Fired("warned")
    if not is_overdue(clock.done_at, clock.due, now):
        # Due to fire before it is late (a timer planned at the deadline itself, before the
        # boundary was one rule): not a miss yet, so wait for the first late instant.
        return Fired("early", retry_at=first_late_instant(clock.due))
    record = OverdueRecord(incident.id, unit, timer.milestone, clock.due, now, round=timer.round)
    return Fired("overdue", record=record)


def _feedback_unanswered(timer: Timer, incident: Incident, now: datetime) -> Fired:
    """No answer by the deadline: the case closes as "no feedback", once (a later answer, a
    reopening or an earlier firing left the case otherwise: nothing to do)."""
    if incident.status != Status.RESOLVED or incident.feedback_due != timer.deadline:
        return Fired("stale")
    incident.close(now, None, "no_feedback")
    return Fired("closed")


def _complaint_unanswered(timer: Timer, incident: Incident, now: datetime) -> Fired:
    complaint = incident.complaint(timer.complaint)
    if complaint is None or complaint.replied_at is not None:
        return Fired("met")
    if not is_overdue(complaint.replied_at, complaint.reply_due, now):
        return Fired("early", retry_at=first_late_instant(complaint.reply_due))
    return Fired("overdue", record=OverdueRecord(incident.id, timer.unit_code, timer.milestone,
                                                 complaint.reply_due, now, round=timer.round,
                                                 complaint=complaint.number))


def announce_overdue(incident: Incident, record: OverdueRecord) -> None:
    if record.milestone == "complaint_reply":  # command's own clock: command hears of it
        incident.record(EventType.COMPLAINT_OVERDUE, record.recorded_at, None,
                        complaint=record.complaint,
                        due=iso_utc(record.due_at),
                        late_by_s=(record.recorded_at - record.due_at).total_seconds())
        return
    incident.record(EventType.OVERDUE, record.recorded_at, None, unit=record.unit_code,
                    milestone=record.milestone, due=iso_utc(record.due_at),
                    late_by_s=(record.recorded_at - record.due_at).total_seconds())
