"""The supervision cycle's use cases (`dispatch.supervision`, `dispatch.followup`) on the fake unit
of work, for a plain case and a green-channel one: the policy each new clock is counted with (the
case's category's, or the green channel's), the timers stored and scheduled with the commit, the
events published after it, who is recorded as acting, and the case an outsider is not told of.

The policies differ in every way a mix-up would show: by category, and green channel or not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import followup, supervision
from dispatch.clock import Policies, Policy, first_late_instant
from dispatch.errors import Forbidden, NotFound
from dispatch.fieldwork import check_in, resolve, restore
from dispatch.model import Incident, Site, Status
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import Timer, TimerKind
from tests.unit.fakes import IN_WEST, POWER, REFORM, T0, WEST, World, new_world

PLAIN = Policies(default=Policy(),
                 by_category={"power_cut": Policy(resolve=timedelta(days=2),
                                                  resolve_warning=timedelta(hours=5))})
GREEN = Policies(default=Policy(resolve=timedelta(days=1), resolve_warning=timedelta(hours=2)),
                 by_category={"power_cut": Policy(resolve=timedelta(days=3),
                                                  resolve_warning=timedelta(hours=3))})


@pytest.fixture(params=[False, True], ids=["plain", "green_channel"])
def green(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def w() -> World:
    return new_world(policies=PLAIN, green_channel_policies=GREEN)


def _policy(green: bool) -> Policy:
    return (GREEN if green else PLAIN).for_category("power_cut")


def _report(w: World, green: bool = False) -> Incident:
    site_id = None
    if green:
        site = Site(owner_id=w.user("reporter").id, name="plant", location=IN_WEST,
                    green_channel=True, lead_department=REFORM, created_at=T0)
        with w.db.uow() as uow:
            uow.sites.add(site)
            uow.commit()
        site_id = site.id
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="no power", location=None if green else IN_WEST,
        site_id=site_id))
    assert incident.green_channel is green
    return incident


def _solve(w: World, incident: Incident) -> Incident:
    w.clock.advance(minutes=10)
    if w.incident(incident.id).status != Status.REOPENED:
        check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, 5.0, None)
        restore(w.ctx, w.user("officer"), incident.id, "order restored")
    w.clock.advance(hours=1)
    resolve(w.ctx, w.user("officer"), incident.id, "fixed")
    w.rec.published.clear()
    w.rec.scheduled.clear()
    return w.incident(incident.id)


def _stored(w: World, incident: Incident, **match: object) -> list[Timer]:
    return [t for t in w.db.state.timers if t.incident_id == incident.id
            and all(getattr(t, k) == v for k, v in match.items())]


def _published(w: World) -> list[tuple[str, str | None]]:
    return [(e.type, e.actor_id) for e in w.rec.published]


def _resolve_timers(incident: Incident, policy: Policy) -> set[tuple[str, str, object, int]]:
    """The new resolve deadline's clocks, for every unit of the case."""
    due = incident.resolve_due
    return {(unit, kind, at, incident.round) for unit in incident.unit_codes()
            for kind, at in ((TimerKind.DEADLINE_NEAR, due - policy.resolve_warning),
                             (TimerKind.OVERDUE, first_late_instant(due)))}


def _as_set(timers: list[Timer]) -> set[tuple[str, str, object, int]]:
    return {(t.unit_code, t.kind, t.due_at, t.round) for t in timers}


# -- feedback -------------------------------------------------------------------------------------

def test_unsatisfied_feedback_reopens_on_the_case_s_policy_and_schedules_the_round(
        w: World, green: bool) -> None:
    solved = _solve(w, _report(w, green))
    now = w.clock.advance(hours=1)
    back = supervision.give_feedback(w.ctx, w.user("reporter"), solved.id, False, 2, "still dark")
    policy = _policy(green)
    assert (back.status, back.round, back.resolve_due, back.timers_planned_at) == (
        Status.REOPENED, 1, now + policy.resolve, now)
    assert (back.feedback_satisfied, back.feedback_rating, back.feedback_comment) == (
        False, 2, "still dark")
    planned = _stored(w, back, deadline=back.resolve_due)
    assert _as_set(planned) == _resolve_timers(back, policy)
    assert _as_set([t for t in w.rec.scheduled if t.deadline == back.resolve_due]
                   ) == _resolve_timers(back, policy)
    assert _published(w) == [("feedback_given", "id-reporter"), ("reopened", "id-reporter")]
    assert w.incident(solved.id).resolve_due == now + policy.resolve


def test_satisfied_feedback_closes_and_plans_no_clock(w: World, green: bool) -> None:
    solved = _solve(w, _report(w, green))
    timers_before, planned_at = len(w.db.state.timers), solved.timers_planned_at
    closed = supervision.give_feedback(w.ctx, w.user("reporter"), solved.id, True, 5)
    assert (closed.status, closed.feedback_comment, closed.timers_planned_at) == (
        Status.CLOSED, "", planned_at)
    assert (len(w.db.state.timers), w.rec.scheduled) == (timers_before, [])
    assert _published(w) == [("feedback_given", "id-reporter"), ("closed", "id-reporter")]
    assert w.rec.published[0].data == {"satisfied": True, "rating": 5, "comment": ""}


def test_the_follow_up_s_clock_is_the_territory_s_in_the_round_it_was_asked(w: World) -> None:
    solved = _solve(w, _report(w))
    supervision.give_feedback(w.ctx, w.user("reporter"), solved.id, False, 1, "no")
    again = _solve(w, solved)
    due = w.clock() + timedelta(days=3)
    assert again.feedback_due == due
    asked = _stored(w, again, kind=TimerKind.FEEDBACK)
    assert [(t.unit_code, t.kind, t.milestone, t.deadline, t.due_at, t.round, t.complaint)
            for t in asked][-1] == (WEST, "feedback", "feedback", due, due, 1, 0)


def test_only_the_case_s_reporter_answers_or_complains(w: World) -> None:
    inc = w.incident(_solve(w, _report(w)).id)
    stranger = w.user("reporter2")
    for step in (lambda: followup.give_feedback(inc, stranger, T0, True, 5, "", Policy()),
                 lambda: followup.complain(inc, stranger, T0, "x", timedelta(hours=1))):
        with pytest.raises(NotFound) as refused:
            step()
        assert str(refused.value) == f"no incident {inc.id} that you may see"
    assert (inc.status, inc.complaints) == (Status.RESOLVED, [])


# -- extensions -------------------------------------------------------------------------------

def test_an_extension_stores_and_schedules_the_new_deadline_s_clocks(w: World, green: bool
                                                                     ) -> None:
    inc = _report(w, green)
    now = w.clock.advance(hours=2)
    until = inc.resolve_due + timedelta(days=1)
    done = supervision.extend(w.ctx, w.user("dispatcher_power"), inc.id, until, "parts")
    assert (done.resolve_due, done.extensions, done.timers_planned_at) == (until, 1, now)
    policy = _policy(green)
    assert _as_set(_stored(w, done, deadline=until)) == _resolve_timers(done, policy)
    assert _as_set([t for t in w.rec.scheduled if t.deadline == until]) == _resolve_timers(
        done, policy)
    extended = w.events(inc.id)[-1]
    assert (extended.type, extended.at, extended.actor_id, extended.data["unit"]) == (
        "extended", now, "id-dispatcher_power", POWER)
    assert _published(w)[-1] == ("extended", "id-dispatcher_power")


# -- complaints ---------------------------------------------------------------------------------

def test_a_complaint_in_a_later_round_gets_command_s_reply_clock(w: World) -> None:
    solved = _solve(w, _report(w))
    supervision.give_feedback(w.ctx, w.user("reporter"), solved.id, False, 1, "no")
    now = w.clock.advance(hours=1)
    w.rec.scheduled.clear()
    inc, complaint = supervision.complain(w.ctx, w.user("reporter"), solved.id, " too slow ")
    due = now + timedelta(hours=24)
    assert (complaint.number, complaint.author_id, complaint.text, complaint.reply_due) == (
        1, "id-reporter", "too slow", due)
    expected = (inc.id, "command", "complaint", "complaint_reply", due, first_late_instant(due),
                1, 1)
    stored = _stored(w, inc, kind=TimerKind.COMPLAINT)
    assert [(t.incident_id, t.unit_code, t.kind, t.milestone, t.deadline, t.due_at, t.round,
             t.complaint) for t in stored + w.rec.scheduled] == [expected, expected]
    assert _published(w)[-1] == ("complained", "id-reporter")
    assert w.incident(inc.id).complaints[0].author_id == "id-reporter"


def test_a_late_reply_is_recorded_against_command_and_marked_met(w: World) -> None:
    inc = _report(w)
    supervision.complain(w.ctx, w.user("reporter"), inc.id, "slow")
    w.clock.advance(hours=24, microseconds=1)
    from dispatch.deadlines import fire_due_timers
    fire_due_timers(w.ctx)
    w.rec.published.clear()
    now = w.clock.advance(hours=1)
    _, complaint = supervision.reply_to_complaint(w.ctx, w.user("commander"), inc.id, 1, "sorry")
    assert (complaint.reply, complaint.replied_at, complaint.replied_by) == (
        "sorry", now, "id-commander")
    with w.db.uow() as uow:
        [record] = [r for r in uow.accountability.for_incident(inc.id) if r.complaint == 1]
    assert (record.unit_code, record.milestone, record.met_at, record.late_by_seconds) == (
        "command", "complaint_reply", now, (now - complaint.reply_due).total_seconds())
    assert _published(w) == [("complaint_replied", "id-commander")]


# -- central assignment --------------------------------------------------------------------------

def test_a_central_assignment_records_the_commander_and_is_published(w: World) -> None:
    inc = _report(w)
    now = w.clock.advance(minutes=5)
    due = now + timedelta(days=1)
    done = supervision.assign_centrally(w.ctx, w.user("commander"), inc.id, POWER,
                                        w.user("officer_power").id, due)
    assert (done.central_unit, done.central_person, done.central_due, done.central_by,
            done.central_at) == (POWER, "id-officer_power", due, "id-commander", now)
    assert w.incident(inc.id).central_by == "id-commander"
    assert _published(w)[-1] == ("centrally_assigned", "id-commander")


# -- reopening --------------------------------------------------------------------------------

def test_reopening_counts_the_new_deadline_on_the_case_s_policy(w: World, green: bool) -> None:
    solved = _solve(w, _report(w, green))
    now = w.clock.advance(hours=1)
    back = supervision.reopen(w.ctx, w.user("reporter"), solved.id, "again")
    assert back.resolve_due == now + _policy(green).resolve
    assert _as_set(_stored(w, back, deadline=back.resolve_due)) == _resolve_timers(
        back, _policy(green))


# -- who may, and who is not told the case exists ------------------------------------------------

def test_every_step_answers_404_naming_the_case_to_whom_may_not_see_it(w: World) -> None:
    until = T0 + timedelta(days=9)
    steps = [
        ("reporter2", lambda u, i: supervision.reopen(w.ctx, u, i)),
        ("reporter2", lambda u, i: supervision.give_feedback(w.ctx, u, i, True, 5)),
        ("officer_east", lambda u, i: supervision.extend(w.ctx, u, i, until, "x")),
        ("reporter2", lambda u, i: supervision.complain(w.ctx, u, i, "x")),
        ("officer_east", lambda u, i: supervision.reply_to_complaint(w.ctx, u, i, 1, "x")),
        ("officer_east", lambda u, i: supervision.assign_centrally(w.ctx, u, i, WEST, "x",
                                                                   until)),
    ]
    inc = _report(w)
    before = w.db.snapshot()
    for who, step in steps:
        for incident_id in (inc.id, "nope"):
            with pytest.raises(NotFound) as refused:
                step(w.user(who), incident_id)
            assert str(refused.value) == f"no incident {incident_id} that you may see"
    assert w.db.snapshot() == before


def test_each_step_is_for_its_role_alone(w: World) -> None:
    inc = _report(w)
    until = inc.resolve_due + timedelta(days=1)
    before = w.db.snapshot()
    for step in (lambda: supervision.give_feedback(w.ctx, w.user("commander"), inc.id, True, 5),
                 lambda: supervision.complain(w.ctx, w.user("commander"), inc.id, "x"),
                 lambda: supervision.extend(w.ctx, w.user("officer"), inc.id, until, "x"),
                 lambda: supervision.reply_to_complaint(w.ctx, w.user("reporter"), inc.id, 1,
                                                        "x"),
                 lambda: supervision.assign_centrally(w.ctx, w.user("dispatcher"), inc.id, WEST,
                                                      "id-officer", until)):
        with pytest.raises(Forbidden):
            step()
    assert w.db.snapshot() == before
