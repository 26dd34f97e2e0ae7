"""The rules of a case after the field work, as functions of the case and the time given: the
reporter's feedback, extensions with reasons, complaints, central assignment (集中交办).

Each checks its rule, changes the case, records the event the timeline and the live clients see,
and returns the timers its new clock needs; the use cases (`dispatch.supervision`) store those in
the same transaction. A refusal raises before anything is changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch.clock import Policy, first_late_instant, on_time
from dispatch.errors import Conflict, NotFound, ValidationFailed
from dispatch.events import EventType
from dispatch.model import Complaint, Incident, Role, Status, User
from dispatch.timers import Timer, TimerKind
from dispatch.utc import iso_utc

FEEDBACK = "feedback"
COMPLAINT_REPLY = "complaint_reply"
# Whose clock a complaint's reply is: command answers it (the "unit" of its timer and record).
COMMAND_DESK = "command"


def ask_for_feedback(incident: Incident, at: datetime, wait: timedelta) -> Timer:
    """The problem is solved: ask the reporter (回访); unanswered by then, the case closes."""
    incident.feedback_due = at + wait
    incident.record(EventType.FEEDBACK_REQUESTED, at, None, due=iso_utc(incident.feedback_due))
    return Timer(incident.id, incident.territory_code, TimerKind.FEEDBACK, FEEDBACK,
                 incident.feedback_due, incident.feedback_due, round=incident.round)


def give_feedback(incident: Incident, reporter: User, at: datetime, satisfied: bool, rating: int,
                  comment: str, policy: Policy) -> None:
    """Satisfied closes the case; not satisfied sends it back (退回重办) with new deadlines."""
    if incident.reporter_id != reporter.id:
        raise NotFound(f"no incident {incident.id} that you may see")
    if incident.status != Status.RESOLVED:
        raise Conflict(f"incident is {incident.status}; feedback is given once the problem is "
                       "marked solved, and only once per solution")
    incident.feedback_at, incident.feedback_satisfied = at, satisfied
    incident.feedback_rating, incident.feedback_comment = rating, comment
    incident.record(EventType.FEEDBACK_GIVEN, at, reporter.id, satisfied=satisfied,
                    rating=rating, comment=comment)
    if satisfied:
        incident.close(at, reporter.id, "satisfied")
    else:
        incident.reopen(at, policy, reporter.id, comment)


def extend(incident: Incident, unit_code: str, actor_id: str, at: datetime, until: datetime,
           reason: str, max_extension: timedelta) -> None:
    """Move the resolve deadline later, with a reason the reporter is told at once.

    The round's original deadline stays on record (`resolve_due_original`): the assessment
    judges against it. `until` must be later than the current deadline and at most
    `max_extension` after the original one.
    """
    if not reason.strip():
        raise ValidationFailed.on("reason", "an extension needs a reason; the reporter is told it")
    if incident.status in (Status.RESOLVED, Status.CLOSED):
        raise Conflict(f"incident is {incident.status}; only an open problem can be extended")
    original = incident.resolve_due_original or incident.resolve_due
    if until <= incident.resolve_due:
        raise ValidationFailed.on("until", "must be later than the current resolve deadline "
                                  f"{iso_utc(incident.resolve_due)}")
    limit = original + max_extension
    if until > limit:
        raise ValidationFailed.on("until", f"at most {_days(max_extension)} after the original "
                                  f"deadline {iso_utc(original)}, that is {iso_utc(limit)}")
    previous = incident.resolve_due
    incident.resolve_due_original = original
    incident.resolve_due, incident.extension_reason = until, reason.strip()
    incident.extensions += 1
    incident.record(EventType.EXTENDED, at, actor_id, unit=unit_code, reason=reason.strip(),
                    until=iso_utc(until), previous=iso_utc(previous),
                    original=iso_utc(original), extensions=incident.extensions)


def complain(incident: Incident, reporter: User, at: datetime, text: str,
             reply_within: timedelta) -> tuple[Complaint, Timer]:
    """The reporter complains about the handling; command owes a reply by the deadline."""
    if incident.reporter_id != reporter.id:
        raise NotFound(f"no incident {incident.id} that you may see")
    if not text.strip():
        raise ValidationFailed.on("text", "say what the complaint is about")
    complaint = Complaint(incident.id, len(incident.complaints) + 1, reporter.id, text.strip(),
                          at, at + reply_within)
    incident.complaints.append(complaint)
    incident.record(EventType.COMPLAINED, at, reporter.id, complaint=complaint.number,
                    text=complaint.text, reply_due=iso_utc(complaint.reply_due))
    timer = Timer(incident.id, COMMAND_DESK, TimerKind.COMPLAINT, COMPLAINT_REPLY,
                  complaint.reply_due, first_late_instant(complaint.reply_due),
                  attempt=complaint.number, round=incident.round)
    return complaint, timer


def reply(incident: Incident, number: int, commander: User, at: datetime, text: str
          ) -> Complaint:
    complaint = incident.complaint(number)
    if complaint is None:
        raise NotFound(f"no complaint {number} on incident {incident.id}")
    if complaint.replied_at is not None:
        raise Conflict(f"complaint {number} was answered at {iso_utc(complaint.replied_at)}")
    if not text.strip():
        raise ValidationFailed.on("reply", "the reply cannot be empty")
    complaint.reply, complaint.replied_at, complaint.replied_by = text.strip(), at, commander.id
    incident.record(EventType.COMPLAINT_REPLIED, at, commander.id, complaint=number,
                    reply=complaint.reply, on_time=on_time(at, complaint.reply_due))
    return complaint


def assign_centrally(incident: Incident, unit_code: str, person: User | None, due: datetime,
                     commander: User, at: datetime) -> None:
    """Command names the unit, its responsible person and the deadline (集中交办)."""
    if incident.status == Status.CLOSED:
        raise Conflict("incident is closed; a closed case is not assigned")
    if incident.assignment(unit_code) is None:
        raise ValidationFailed.on("unit", f"{unit_code} is not a responsible unit of this case "
                                  f"({', '.join(incident.unit_codes())})")
    if (person is None or person.unit_code != unit_code or not person.active
            or person.role not in (Role.OFFICER, Role.DISPATCHER)):
        raise ValidationFailed.on("person", f"not an active officer or dispatcher of {unit_code}")
    if due <= at:
        raise ValidationFailed.on("due", "must be in the future")
    incident.central_unit, incident.central_person, incident.central_due = unit_code, person.id, due
    incident.central_by, incident.central_at = commander.id, at
    incident.record(EventType.CENTRALLY_ASSIGNED, at, commander.id, unit=unit_code,
                    person=person.id, person_name=person.display_name or person.username,
                    due=iso_utc(due))


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:g} days"
