"""The clocks that run without anyone watching: deadline warnings, overdue notices, repeated offers.

Timers are rows planned when a case is dispatched (the database is the truth); RQ jobs and a
periodic sweep both try to fire them, and whichever comes first under the row lock wins. What a
timer does when it fires is decided here, from the case as it is at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from collections.abc import Callable

from dispatch.clock import Policy
from dispatch.model import Incident, Milestone, Status
from dispatch.utc import iso_utc

Ranking = Callable[[str], list[dict[str, Any]]]


class TimerKind(StrEnum):
    DEADLINE_NEAR = "deadline_near"
    OVERDUE = "overdue"
    OFFER = "offer"


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


@dataclass
class OverdueRecord:
    """Accountability: a unit missed a milestone. One per (incident, unit, milestone), ever."""

    incident_id: str
    unit_code: str
    milestone: str
    due_at: datetime
    recorded_at: datetime
    met_at: datetime | None = None
    late_by_seconds: float | None = None
    id: int | None = None


def deadline_of(incident: Incident, unit_code: str, milestone: str) -> datetime:
    if milestone == Milestone.ARRIVAL:
        assignment = incident.assignment(unit_code)
        assert assignment is not None
        return assignment.arrival_due
    return incident.restore_due if milestone == Milestone.RESTORE else incident.resolve_due


def met_at(incident: Incident, unit_code: str, milestone: str) -> datetime | None:
    if milestone == Milestone.ARRIVAL:
        assignment = incident.assignment(unit_code)
        return None if assignment is None else assignment.arrived_at
    return incident.restored_at if milestone == Milestone.RESTORE else incident.resolved_at


def plan(incident: Incident, policy: Policy, offer_timeout: timedelta | None) -> list[Timer]:
    """Every responsible unit answers for every milestone: a warning before it, a notice after."""
    timers = []
    for a in incident.assignments:
        for milestone in Milestone:
            deadline = deadline_of(incident, a.unit_code, milestone)
            warn_at = deadline - policy.warning(milestone)
            if warn_at > incident.received_at:
                timers.append(Timer(incident.id, a.unit_code, TimerKind.DEADLINE_NEAR, milestone,
                                    deadline, warn_at))
            timers.append(Timer(incident.id, a.unit_code, TimerKind.OVERDUE, milestone,
                                deadline, deadline))
        if offer_timeout:
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


def fire(timer: Timer, incident: Incident, now: datetime, rank: Ranking,
         offer_timeout: timedelta | None) -> Fired:
    """Decide and record (as events of the incident) what the timer means now.

    An overdue notice is only *proposed* here with its accountability record; the caller writes
    the event only if the record was new, so a notice can never be doubled.
    """
    unit = timer.unit_code
    if timer.kind == TimerKind.OFFER:
        a = incident.assignment(unit)
        if a is None or a.accepted_at or a.arrived_at or incident.status in (
                Status.RESOLVED, Status.CLOSED):
            return Fired("answered")
        incident.record("offered", now, None, audience=[f"unit:{unit}", "command"], unit=unit,
                        officers=rank(unit), repeat=timer.attempt)
        incident.record("offer_unanswered", now, None, audience=[f"dispatch:{unit}", "command"],
                        unit=unit, waited_s=(now - incident.received_at).total_seconds())
        follow = _next_offer(incident, unit, timer.attempt, offer_timeout) if offer_timeout else []
        return Fired("repeated", follow_up=follow)

    deadline = deadline_of(incident, unit, timer.milestone)
    if deadline != timer.deadline:
        return Fired("stale")  # the deadline moved (extended); its own timers carry on
    if met_at(incident, unit, timer.milestone) is not None:
        return Fired("met")
    if timer.kind == TimerKind.DEADLINE_NEAR:
        incident.record("deadline_near", now, None, audience=[f"unit:{unit}"], unit=unit,
                        milestone=timer.milestone, due=iso_utc(deadline))
        return Fired("warned")
    record = OverdueRecord(incident.id, unit, timer.milestone, deadline, now)
    return Fired("overdue", record=record)


def announce_overdue(incident: Incident, record: OverdueRecord) -> None:
    incident.record("overdue", record.recorded_at, None,
                    audience=[f"unit:{record.unit_code}", f"dispatch:{record.unit_code}",
                              "command"],
                    unit=record.unit_code, milestone=record.milestone, due=iso_utc(record.due_at),
                    late_by_s=(record.recorded_at - record.due_at).total_seconds())
