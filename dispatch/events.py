"""Every event type of the incident log, who hears it, and the Socket.IO event it goes out as.

Named once here: the domain records events by `EventType`, the audience of each event is
computed from `CATALOGUE` (never written at the call site), the relay takes its socket event
name from it, and `access.rooms_for` builds a user's rooms with the same room helpers. Adding an
event type means adding its line to `CATALOGUE`, which decides who hears it (the module refuses
to load otherwise, and tests/unit/test_events.py lists the whole table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class EventType(StrEnum):
    REPORTED = "reported"
    DISPATCHED = "dispatched"
    OFFERED = "offered"
    OFFER_UNANSWERED = "offer_unanswered"
    ACCEPTED = "accepted"
    ARRIVED = "arrived"
    RESTORED = "restored"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    DEADLINE_NEAR = "deadline_near"
    OVERDUE = "overdue"
    # The supervision cycle (dispatch/supervision.py): feedback, extensions, complaints, central
    # assignment.
    FEEDBACK_REQUESTED = "feedback_requested"
    FEEDBACK_GIVEN = "feedback_given"
    CLOSED = "closed"
    EXTENDED = "extended"
    COMPLAINED = "complained"
    COMPLAINT_REPLIED = "complaint_replied"
    COMPLAINT_OVERDUE = "complaint_overdue"
    CENTRALLY_ASSIGNED = "centrally_assigned"
    WITHHELD = "withheld"
    PUBLIC_TEXT_REVIEWED = "public_text_reviewed"
    # Command's reminder to a unit (催办, issue 17): heard by the unit, and by command.
    REMINDED = "reminded"


# -- rooms: the Socket.IO rooms, and the keys of the replay's audience index -------------------
COMMAND = "command"  # commanders and admins: they hear every case


def unit_room(unit_code: str) -> str:
    """Officers and dispatchers of a unit."""
    return f"unit:{unit_code}"


def dispatch_room(unit_code: str) -> str:
    """The dispatchers of a unit only (what needs a human to chase it)."""
    return f"dispatch:{unit_code}"


def user_room(user_id: str) -> str:
    """One person (a reporter hears their own cases here)."""
    return f"user:{user_id}"


class Hearer(StrEnum):
    """Who, relative to a case, may hear one of its events."""

    UNITS = "units"        # every responsible unit of the case
    UNIT = "unit"          # the one unit the event is about (its `unit` datum)
    DISPATCH = "dispatch"  # that unit's dispatchers
    REPORTER = "reporter"  # the person who reported it
    COMMAND = "command"    # the command center


@dataclass(frozen=True)
class Spec:
    hearers: tuple[Hearer, ...]
    socket_event: str


UPDATED = "incident.updated"
_EVERYONE = (Hearer.UNITS, Hearer.REPORTER, Hearer.COMMAND)

CATALOGUE: Mapping[EventType, Spec] = {
    EventType.REPORTED: Spec(_EVERYONE, UPDATED),
    # The units hear of a new case through their own `offered` (which carries the case too).
    EventType.DISPATCHED: Spec((Hearer.REPORTER, Hearer.COMMAND), UPDATED),
    EventType.OFFERED: Spec((Hearer.UNIT, Hearer.COMMAND), "task.offered"),
    EventType.OFFER_UNANSWERED: Spec((Hearer.DISPATCH, Hearer.COMMAND), "task.unanswered"),
    EventType.ACCEPTED: Spec(_EVERYONE, UPDATED),
    EventType.ARRIVED: Spec(_EVERYONE, UPDATED),
    EventType.RESTORED: Spec(_EVERYONE, UPDATED),
    EventType.RESOLVED: Spec(_EVERYONE, UPDATED),
    EventType.REOPENED: Spec(_EVERYONE, UPDATED),
    EventType.DEADLINE_NEAR: Spec((Hearer.UNIT,), "incident.deadline_near"),
    EventType.OVERDUE: Spec((Hearer.UNIT, Hearer.DISPATCH, Hearer.COMMAND), "incident.overdue"),
    # The reporter is asked for feedback on its phone; command sees the follow-up was made.
    EventType.FEEDBACK_REQUESTED: Spec((Hearer.REPORTER, Hearer.COMMAND), "feedback.requested"),
    # The units hear the verdict on their work (a reopening also goes out as `reopened`).
    EventType.FEEDBACK_GIVEN: Spec(_EVERYONE, UPDATED),
    EventType.CLOSED: Spec(_EVERYONE, UPDATED),
    # The reporter must be told an extension's reason at once (DOMAIN: 3.2).
    EventType.EXTENDED: Spec(_EVERYONE, UPDATED),
    # Complaints go to command, which answers them; the units are not told who complained.
    EventType.COMPLAINED: Spec((Hearer.REPORTER, Hearer.COMMAND), "complaint.filed"),
    EventType.COMPLAINT_REPLIED: Spec((Hearer.REPORTER, Hearer.COMMAND), UPDATED),
    EventType.COMPLAINT_OVERDUE: Spec((Hearer.COMMAND,), "complaint.overdue"),
    EventType.CENTRALLY_ASSIGNED: Spec(_EVERYONE, UPDATED),
    # Kept out of the public disclosure: a decision of command, recorded for command.
    EventType.WITHHELD: Spec((Hearer.COMMAND,), UPDATED),
    # The text a commander reviewed for the public disclosure: command's work, for command.
    EventType.PUBLIC_TEXT_REVIEWED: Spec((Hearer.COMMAND,), UPDATED),
    # A reminder goes to the unit's room (its officers and dispatchers) and to command, so every
    # operator's page shows it was sent.
    EventType.REMINDED: Spec((Hearer.UNIT, Hearer.COMMAND), "incident.reminded"),
}
_missing = set(EventType) - set(CATALOGUE)
if _missing:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"event types without an audience: {sorted(_missing)}")


def audience(type: str, unit_codes: Iterable[str], reporter_id: str,
             unit: str | None = None) -> list[str]:
    """The rooms that hear an event of `type` on a case with these units and reporter.

    Raises ValueError for a type not in the catalogue, and for an event about one unit that
    names none: an event is never recorded with an audience nobody decided.
    """
    spec = CATALOGUE[EventType(type)]
    rooms: list[str] = []
    for hearer in spec.hearers:
        if hearer == Hearer.UNITS:
            rooms.extend(unit_room(code) for code in unit_codes)
        elif hearer in (Hearer.UNIT, Hearer.DISPATCH):
            if unit is None:
                raise ValueError(f"a {type} event must name its unit")
            rooms.append(unit_room(unit) if hearer == Hearer.UNIT else dispatch_room(unit))
        elif hearer == Hearer.REPORTER:
            rooms.append(user_room(reporter_id))
        else:
            rooms.append(COMMAND)
    return rooms


def socket_event(type: str) -> str:
    """The Socket.IO event name; a type this version does not know (an older row) is an update."""
    try:
        return CATALOGUE[EventType(type)].socket_event
    except ValueError:
        return UPDATED
