"""The supervision cycle's rules on the fake unit of work: feedback and redo, the follow-up's and
a complaint's clocks when they fire, extensions at their limits, central assignment, the green
channel's clocks; and the assessment's arithmetic (periods, percentiles, rates, ranking)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch import assessment, supervision, timers
from dispatch.clock import Policies, Policy
from dispatch.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dispatch.fieldwork import check_in, resolve, restore
from dispatch.model import Incident, Status, Unit
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import OverdueRecord, TimerKind
from tests.unit.fakes import EAST, IN_WEST, POWER, WEST, World, new_world

US = timedelta(microseconds=1)


@pytest.fixture
def w() -> World:
    return new_world()


def _report(w: World, category: str = "power_cut") -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category=category, description="no power", location=IN_WEST))
    return incident


def _solved(w: World) -> Incident:
    incident = _report(w)
    w.clock.advance(minutes=10)
    check_in(w.ctx, w.user("officer"), incident.id, IN_WEST, 5.0, None)
    restore(w.ctx, w.user("officer"), incident.id, "ok")
    w.clock.advance(hours=1)
    resolve(w.ctx, w.user("officer"), incident.id, "fixed")
    return w.incident(incident.id)


def _fire(w: World, incident: Incident, kind: str) -> timers.Fired:
    timer = next(t for t in w.db.state.timers if t.incident_id == incident.id and t.kind == kind)
    return timers.fire(timer, incident, w.clock(), lambda unit: [], None)


def test_solving_asks_the_reporter_with_a_clock_of_its_own(w: World) -> None:
    inc = _solved(w)
    assert inc.feedback_due == w.clock() + timedelta(days=3)
    asked = w.events(inc.id)[-1]
    assert (asked.type, asked.audience) == ("feedback_requested", [
        "user:id-reporter", "command"])
    feedback = [t for t in w.db.state.timers if t.kind == TimerKind.FEEDBACK]
    assert [(t.deadline, t.due_at) for t in feedback] == [(inc.feedback_due, inc.feedback_due)]
    assert [(t.kind, t.deadline) for t in w.rec.scheduled][-1] == ("feedback", inc.feedback_due)


def test_a_satisfied_answer_closes_and_an_unsatisfied_one_reopens_with_a_new_round(w: World
                                                                                  ) -> None:
    inc = _solved(w)
    closed = supervision.give_feedback(w.ctx, w.user("reporter"), inc.id, True, 5, "good")
    assert (closed.status, closed.closed_reason, closed.feedback_rating) == (
        Status.CLOSED, "satisfied", 5)
    other = _solved(w)
    now = w.clock.advance(hours=1)
    back = supervision.give_feedback(w.ctx, w.user("reporter"), other.id, False, 1, "again")
    assert (back.status, back.round, back.resolve_due) == (Status.REOPENED, 1,
                                                          now + timedelta(days=7))
    assert back.timers_planned_at == now and back.feedback_due is None
    assert {(t.milestone, t.round) for t in w.db.state.timers if t.incident_id == other.id
            and t.deadline == back.resolve_due} == {("resolve", 1)}
    assert [e.type for e in w.events(other.id)][-2:] == ["feedback_given", "reopened"]


def test_feedback_is_the_reporter_s_own_once_the_case_is_solved(w: World) -> None:
    inc = _report(w)
    with pytest.raises(Conflict, match="once the problem is marked solved"):
        supervision.give_feedback(w.ctx, w.user("reporter"), inc.id, True, 5)
    inc = _solved(w)
    with pytest.raises(NotFound):
        supervision.give_feedback(w.ctx, w.user("reporter2"), inc.id, True, 5)
    with pytest.raises(Forbidden):
        supervision.give_feedback(w.ctx, w.user("officer"), inc.id, True, 5)


def test_the_follow_up_s_clock_closes_an_unanswered_case_once(w: World) -> None:
    inc = _solved(w)
    w.clock.advance(days=3)
    assert _fire(w, inc, TimerKind.FEEDBACK).outcome == "closed"
    assert (inc.status, inc.closed_reason) == (Status.CLOSED, "no_feedback")
    assert _fire(w, inc, TimerKind.FEEDBACK).outcome == "stale"  # fired again: nothing more
    assert [e.type for e in inc.events].count("closed") == 1


def test_an_extension_reaches_at_most_the_maximum_past_the_original_deadline(w: World) -> None:
    inc = _report(w)
    original = inc.resolve_due
    dispatcher = w.user("dispatcher")
    for until, reason, field in ((original + timedelta(days=1), " ", "reason"),
                                 (original, "parts", "until"),
                                 (original + timedelta(days=30) + US, "parts", "until")):
        with pytest.raises(ValidationFailed) as refused:
            supervision.extend(w.ctx, dispatcher, inc.id, until, reason)
        assert [e.field for e in refused.value.errors] == [field]
    with pytest.raises(Forbidden):
        supervision.extend(w.ctx, w.user("officer"), inc.id, original + timedelta(days=1), "x")
    first = supervision.extend(w.ctx, dispatcher, inc.id, original + timedelta(days=10), "parts")
    assert (first.resolve_due_original, first.extensions) == (original, 1)
    last = supervision.extend(w.ctx, w.user("dispatcher_power"), inc.id,
                              original + timedelta(days=30), "more parts")
    assert (last.resolve_due, last.resolve_due_original, last.extensions,
            last.extension_reason) == (original + timedelta(days=30), original, 2, "more parts")
    event = w.events(inc.id)[-1]
    assert event.data["original"] == original.isoformat().replace("+00:00", "Z")
    assert event.data["unit"] == POWER
    assert "user:id-reporter" in event.audience


def test_an_extended_deadline_s_old_timers_are_stale_and_the_new_ones_fire(w: World) -> None:
    inc = _report(w)
    w.clock.advance(minutes=10)
    check_in(w.ctx, w.user("officer"), inc.id, IN_WEST, 5.0, None)
    restore(w.ctx, w.user("officer"), inc.id, "ok")
    original = inc.resolve_due
    extended = supervision.extend(w.ctx, w.user("dispatcher"), inc.id,
                                  original + timedelta(days=2), "parts")
    w.clock.advance(days=8)
    old = next(t for t in w.db.state.timers if t.kind == TimerKind.OVERDUE
               and t.milestone == "resolve" and t.deadline == original)
    assert timers.fire(old, extended, w.clock(), lambda u: [], None).outcome == "stale"


def test_a_complaint_s_reply_clock_records_a_late_reply_for_command(w: World) -> None:
    inc = _report(w)
    _, complaint = supervision.complain(w.ctx, w.user("reporter"), inc.id, "slow")
    assert (complaint.number, complaint.reply_due) == (1, w.clock() + timedelta(hours=24))
    w.clock.advance(hours=24)
    stored = w.incident(inc.id)
    assert _fire(w, stored, TimerKind.COMPLAINT).retry_at == complaint.reply_due + US
    w.clock.advance(microseconds=1)
    fired = _fire(w, stored, TimerKind.COMPLAINT)
    assert fired.record == OverdueRecord(inc.id, "command", "complaint_reply",
                                         complaint.reply_due, w.clock(), complaint=1)
    timers.announce_overdue(stored, fired.record)
    assert (stored.events[-1].type, stored.events[-1].audience) == ("complaint_overdue",
                                                                    ["command"])
    supervision.reply_to_complaint(w.ctx, w.user("commander"), inc.id, 1, "sorry")
    assert _fire(w, w.incident(inc.id), TimerKind.COMPLAINT).outcome == "met"
    with pytest.raises(Conflict):
        supervision.reply_to_complaint(w.ctx, w.user("commander"), inc.id, 1, "again")
    with pytest.raises(NotFound):
        supervision.reply_to_complaint(w.ctx, w.user("commander"), inc.id, 2, "none")


def test_a_central_assignment_names_an_active_member_of_a_responsible_unit(w: World) -> None:
    inc = _report(w)
    due = w.clock() + timedelta(days=1)
    commander = w.user("commander")
    for unit, person, when, field in ((WEST, "officer_power", due, "person"),
                                      (WEST, "commander", due, "person"),
                                      ("water_supply", "officer", due, "unit"),
                                      (WEST, "officer", w.clock(), "due")):
        with pytest.raises(ValidationFailed) as refused:
            supervision.assign_centrally(w.ctx, commander, inc.id, unit, w.user(person).id, when)
        assert [e.field for e in refused.value.errors] == [field]
    done = supervision.assign_centrally(w.ctx, commander, inc.id, WEST, w.user("dispatcher").id,
                                        due)
    assert (done.central_unit, done.central_person, done.central_due) == (
        WEST, "id-dispatcher", due)
    assert done.snapshot()["central_assignment"]["unit"] == WEST


def test_a_green_channel_case_runs_on_the_green_channel_s_clocks() -> None:
    w = new_world(green_channel_policies=Policies(default=Policy(arrival=timedelta(minutes=15))))
    assert w.ctx.settings.policy("power_cut", True).arrival == timedelta(minutes=15)
    assert w.ctx.settings.policy("power_cut", False).arrival == timedelta(minutes=30)


# -- the assessment's arithmetic -------------------------------------------------------------

def test_the_default_period_is_the_month_in_china_standard_time() -> None:
    p = assessment.month_of(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 1 January, 00:00 CST
    assert (p.start, p.end) == (datetime(2026, 12, 31, 16, tzinfo=UTC),
                                datetime(2027, 1, 31, 16, tzinfo=UTC))
    p = assessment.month_of(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    assert p.start == datetime(2026, 11, 30, 16, tzinfo=UTC)


def test_a_period_at_the_longest_span_is_accepted_and_one_step_past_refused() -> None:
    now, span = datetime(2026, 11, 27, tzinfo=UTC), timedelta(days=2)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert assessment.period(now, start, start + span, span).end == start + span
    with pytest.raises(ValidationFailed, match="to: a period is at most 2 days"):
        assessment.period(now, start, start + span + US, span)
    with pytest.raises(ValidationFailed, match="to: out of range"):
        assessment.period(now, date(9999, 12, 30), date(9999, 12, 31), span)
    with pytest.raises(ValidationFailed, match="to: must be after"):
        assessment.period(now, start, start, span)


def test_percentiles_take_the_nearest_rank() -> None:
    assert assessment.percentile([], 0.9) is None
    assert assessment.percentile([5.0], 0.9) == 5.0
    values = [float(v) for v in range(1, 11)]
    assert assessment.percentile(values, 0.9) == 9.0
    assert assessment.percentile([*values, 11.0], 0.9) == 10.0


def test_a_unit_below_the_minimum_ranks_after_the_others_whatever_its_rates(w: World) -> None:
    fast = _solved(w)  # one perfect case for WEST and POWER
    units = [Unit(WEST, "West", "territory"), Unit(POWER, "Power", "department")]
    facts = assessment.facts_of(fast)
    rows = assessment.unit_rows(units, facts, {}, w.clock(), min_cases=1)
    assert [r["too_few_cases"] for r in rows] == [False, False]
    rows = assessment.unit_rows(units, facts, {}, w.clock(), min_cases=2)
    assert all(r["too_few_cases"] for r in rows) and rows[0]["response_rate"] == 1.0
    slow = _report(w, "other")
    w.clock.advance(days=8)  # WEST's second case: every deadline passed unmet
    rows = assessment.unit_rows(units, facts + assessment.facts_of(w.incident(slow.id)),
                                {WEST: 3}, w.clock(), min_cases=2)
    assert [(r["unit"], r["rank"], r["too_few_cases"]) for r in rows] == [
        (WEST, 1, False), (POWER, 2, True)]
    assert (rows[0]["response_rate"], rows[0]["arrivals_decided"]) == (0.5, 2)
    assert (rows[0]["overdue_records"], rows[1]["overdue_records"]) == (3, 0)


def test_a_score_of_zero_ranks_above_no_score_at_all(w: World) -> None:
    """0.0 is a score (every deadline missed), None is none (nothing decided): the first ranks
    above the second, even when its unit code sorts after (a falsy-zero slip tied them)."""
    missed = _report(w)  # WEST's and POWER's one case
    w.clock.advance(days=8)  # every deadline passed unmet
    units = [Unit(EAST, "East", "territory"), Unit(POWER, "Power", "department"),
             Unit(WEST, "West", "territory"), Unit("aaa", "First by code", "department")]
    facts = assessment.facts_of(w.incident(missed.id))
    for min_cases in (0, 1, 5):  # both counted, both too few, and 0 cases below the minimum
        rows = assessment.unit_rows(units, facts, {}, w.clock(), min_cases=min_cases)
        scores = {r["unit"]: r["score"] for r in rows}
        assert scores == {POWER: 0.0, WEST: 0.0, EAST: None, "aaa": None}, min_cases
        assert [r["unit"] for r in rows] == [POWER, WEST, "aaa", EAST], min_cases
        assert [r["rank"] for r in rows] == [1, 2, 3, 4]


def test_the_assessment_reads_the_same_facts_through_the_use_case(w: World) -> None:
    fast = _solved(w)
    period = assessment.month_of(w.clock())
    rows = assessment.stats_by_unit(w.ctx, w.user("dispatcher_power"), period)
    # Nobody of POWER checked in: its arrival passed unmet.
    assert [(r["unit"], r["cases"], r["response_rate"]) for r in rows] == [(POWER, 1, 0.0)]
    assert rows == assessment.unit_rows([w.db.state.units[POWER]], assessment.facts_of(fast)[1:],
                                        {}, w.clock(), 5)
    with pytest.raises(Forbidden):
        assessment.stats_by_unit(w.ctx, w.user("officer"), period)


def test_two_complaints_due_at_the_same_instant_keep_their_own_clocks(w: World) -> None:
    """The complaint's number is its clock's own column: two complaints filed in the same
    instant get a timer and, unanswered, an overdue record each; a reply meets only its own."""
    inc = _report(w)
    supervision.complain(w.ctx, w.user("reporter"), inc.id, "slow")
    supervision.complain(w.ctx, w.user("reporter"), inc.id, "rude")
    pending = [t for t in w.db.state.timers if t.kind == TimerKind.COMPLAINT]
    assert sorted((t.complaint, t.attempt) for t in pending) == [(1, 0), (2, 0)]
    w.clock.advance(hours=24, microseconds=1)
    stored = w.incident(inc.id)
    for timer in pending:
        fired = timers.fire(timer, stored, w.clock(), lambda u: [], None)
        assert fired.record is not None and fired.record.complaint == timer.complaint
        with w.db.uow() as uow:
            assert uow.accountability.add_once(fired.record)
            uow.commit()
        timers.announce_overdue(stored, fired.record)
        assert stored.events[-1].data["complaint"] == timer.complaint
    supervision.reply_to_complaint(w.ctx, w.user("commander"), inc.id, 2, "sorry")
    with w.db.uow() as uow:
        records = uow.accountability.for_incident(inc.id)
    assert sorted((r.complaint, r.met_at is not None) for r in records) == [(1, False),
                                                                             (2, True)]
