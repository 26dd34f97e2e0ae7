"""The supervision cycle's use cases (DOMAIN: 3.2, 6.2, 7.3, 7.4): what the reporter, a unit's
dispatcher and command do with a case once it is worked — feedback and return for redo,
extensions with reasons, complaints and their replies, central assignment.

As for the field actions, a case the caller may not see answers 404 before any role check, so
its existence does not leak.

Each runs in one transaction: the rule (`dispatch.followup`), its event, and the timers of any new
clock are written together, so a refused request writes nothing and a new clock cannot be lost.
"""

from __future__ import annotations

from datetime import datetime

from dispatch import timers
from dispatch.access import acting_unit, require_role, visible
from dispatch.clock import is_overdue
from dispatch.context import Context, commit_and_publish
from dispatch.deadlines import plan_timers
from dispatch import followup
from dispatch.model import Complaint, Incident, Role, User
from dispatch.ports import UnitOfWork


def reopen(ctx: Context, user: User, incident_id: str, note: str = "") -> Incident:
    """The reporter is not satisfied: the case is open again with a new resolve deadline for
    its units, counted from now (`Incident.reopen`), and the new round's timers are planned
    after the commit, as for a new report (or by the next sweep, should this process die)."""
    require_role(user, Role.REPORTER)
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        incident.reopen(ctx.clock(), ctx.settings.policy(incident.category,
                                                         incident.green_channel),
                        user.id, note)
        commit_and_publish(ctx, uow)
    plan_timers(ctx, incident)
    return incident


def _clocks_of_the_round(ctx: Context, uow: UnitOfWork, incident: Incident) -> list[timers.Timer]:
    """The timers of the case's current deadlines, stored in this transaction (those already
    stored are kept once): a moved deadline's clocks cannot be lost between two commits."""
    planned = timers.plan(incident, ctx.settings.policy(incident.category,
                                                        incident.green_channel), None)
    incident.timers_planned_at = ctx.clock()
    uow.timers.add_all(planned)
    return planned


def give_feedback(ctx: Context, user: User, incident_id: str, satisfied: bool, rating: int,
                  comment: str = "") -> Incident:
    """The reporter's verdict: satisfied closes the case; not satisfied reopens it for redo with
    new resolve deadlines for every unit (and a reopening counted against them)."""
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        require_role(user, Role.REPORTER)
        followup.give_feedback(incident, user, ctx.clock(), satisfied, rating, comment,
                               ctx.settings.policy(incident.category, incident.green_channel))
        planned = [] if satisfied else _clocks_of_the_round(ctx, uow, incident)
        commit_and_publish(ctx, uow, timers=planned)
        return incident


def extend(ctx: Context, user: User, incident_id: str, until: datetime, reason: str
           ) -> Incident:
    """A responsible unit's dispatcher moves the resolve deadline, with a reason."""
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        unit = acting_unit(user, incident, Role.DISPATCHER)
        incident.extend(unit, user.id, ctx.clock(), until, reason, ctx.settings.max_extension)
        planned = _clocks_of_the_round(ctx, uow, incident)
        commit_and_publish(ctx, uow, timers=planned)
        return incident


def complain(ctx: Context, user: User, incident_id: str, text: str) -> tuple[Incident, Complaint]:
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        require_role(user, Role.REPORTER)
        complaint, timer = followup.complain(incident, user, ctx.clock(), text,
                                             ctx.settings.complaint_reply)
        uow.timers.add_all([timer])
        commit_and_publish(ctx, uow, timers=[timer])
        return incident, complaint


def reply_to_complaint(ctx: Context, user: User, incident_id: str, number: int, text: str
                       ) -> tuple[Incident, Complaint]:
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        require_role(user, Role.COMMANDER)
        now = ctx.clock()
        complaint = incident.answer_complaint(number, user.id, now, text)
        # A late reply is a miss on record at once, as its timer would write it (one record).
        if is_overdue(None, complaint.reply_due, now):
            uow.accountability.add_once(timers.OverdueRecord(
                incident.id, followup.COMMAND_DESK, followup.COMPLAINT_REPLY,
                complaint.reply_due, now, round=incident.round, complaint=number))
        uow.accountability.mark_met(incident.id, [followup.COMMAND_DESK],
                                    followup.COMPLAINT_REPLY, now, complaint=number)
        commit_and_publish(ctx, uow)
        return incident, complaint


def assign_centrally(ctx: Context, user: User, incident_id: str, unit: str, person_id: str,
                     due: datetime) -> Incident:
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        require_role(user, Role.COMMANDER)
        incident.assign_centrally(unit, uow.users.get(person_id), due, user.id, ctx.clock())
        commit_and_publish(ctx, uow)
        return incident


def remind(ctx: Context, user: User, incident_id: str, unit: str, note: str = "") -> Incident:
    """Command reminds a responsible unit of a case (催办): an event on the unit's room, at the
    context's time, on record in the case's timeline."""
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        require_role(user, Role.COMMANDER)
        incident.remind(unit, user.id, ctx.clock(), note)
        commit_and_publish(ctx, uow)
        return incident
