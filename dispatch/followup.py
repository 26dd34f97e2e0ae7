"""The supervision cycle after the field work, as use-case steps on a case and the time given:
the reporter's feedback, extensions with reasons, complaints, central assignment (集中交办).

The case changes itself (`Incident.request_feedback`, `take_feedback`, `extend`,
`file_complaint`, `answer_complaint`, `assign_centrally`: each checks its rule and records its
event); the steps here check who may ask and return the timers a new clock needs, which the use
cases (`dispatch.supervision`) store in the same transaction. A refusal raises before anything
is changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch.clock import Policy, first_late_instant
from dispatch.errors import NotFound
from dispatch.model import Complaint, Incident, User
from dispatch.timers import Timer, TimerKind

FEEDBACK = "feedback"
COMPLAINT_REPLY = "complaint_reply"
# Whose clock a complaint's reply is: command answers it (the desk its timers and overdue records
# name; the complaint's own number is their `complaint`).
COMMAND_DESK = "command"


def ask_for_feedback(incident: Incident, at: datetime, wait: timedelta) -> Timer:
    """The problem is solved: ask the reporter (回访); unanswered by then, the case closes."""
    due = incident.request_feedback(at, wait)
    return Timer(incident.id, incident.territory_code, TimerKind.FEEDBACK, FEEDBACK, due, due,
                 round=incident.round)


def give_feedback(incident: Incident, reporter: User, at: datetime, satisfied: bool, rating: int,
                  comment: str, policy: Policy) -> None:
    """Satisfied closes the case; not satisfied sends it back (退回重办) with new deadlines."""
    _reporters_own(incident, reporter)
    incident.take_feedback(reporter.id, at, satisfied, rating, comment, policy)


def complain(incident: Incident, reporter: User, at: datetime, text: str,
             reply_within: timedelta) -> tuple[Complaint, Timer]:
    """The reporter complains about the handling; command owes a reply by the deadline."""
    _reporters_own(incident, reporter)
    complaint = incident.file_complaint(reporter.id, at, text, reply_within)
    timer = Timer(incident.id, COMMAND_DESK, TimerKind.COMPLAINT, COMPLAINT_REPLY,
                  complaint.reply_due, first_late_instant(complaint.reply_due),
                  round=incident.round, complaint=complaint.number)
    return complaint, timer


def _reporters_own(incident: Incident, reporter: User) -> None:
    """Only the case's reporter answers the follow-up or complains; to anyone else the case is
    not there."""
    if incident.reporter_id != reporter.id:
        raise NotFound(f"no incident {incident.id} that you may see")
