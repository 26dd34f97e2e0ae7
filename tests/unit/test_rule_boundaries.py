"""The one boundary of on time and overdue, and the clocks' rounds, in plain Python."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import Point

from dispatch.clock import Policy, first_late_instant, is_overdue, late, on_time
from dispatch.errors import Conflict
from dispatch.model import Milestone, Status
from dispatch.timers import Timer, TimerKind, fire, plan
from tests.unit.test_domain import T0, _incident

US = timedelta(microseconds=1)
SITE = Point(112.6, 35.0)


def test_the_boundary_at_the_deadline_and_one_microsecond_past_it():
    due = T0
    assert not late(due, due) and late(due + US, due) and not late(due - US, due)
    assert on_time(due, due) is True and on_time(due + US, due) is False
    assert not is_overdue(None, due, due) and is_overdue(None, due, due + US)
    # Met, even late, is no longer overdue: on_time tells that it was late.
    assert not is_overdue(due + US, due, due + timedelta(days=1))
    assert first_late_instant(due) == due + US and late(first_late_instant(due), due)


def test_the_api_list_of_overdue_follows_the_boundary_for_every_deadline():
    inc = _incident()
    assert inc.overdue(inc.arrival_due) == []
    late_arrivals = inc.overdue(inc.arrival_due + US)
    assert [(c.milestone, c.unit_code) for c in late_arrivals] == [
        (Milestone.ARRIVAL, "t"), (Milestone.ARRIVAL, "power_supply")]
    inc.arrive("t", "o", inc.arrival_due, SITE, 1, None)
    inc.arrive("power_supply", "o", inc.arrival_due, SITE, 1, None)
    assert inc.overdue(inc.restore_due) == []
    assert [c.milestone for c in inc.overdue(inc.restore_due + US)] == [Milestone.RESTORE]
    inc.restore("o", inc.restore_due, "ok")
    assert inc.overdue(inc.resolve_due) == []
    assert [c.milestone for c in inc.overdue(inc.resolve_due + US)] == [Milestone.RESOLVE]


@pytest.mark.parametrize("offset, expected", [(timedelta(0), True), (US, False)])
def test_the_events_judge_on_time_by_the_same_rule(offset, expected):
    inc = _incident()
    inc.arrive("t", "o", inc.arrival_due + offset, SITE, 1, None)
    inc.restore("o", inc.restore_due + offset, "ok")
    inc.resolve("o", inc.resolve_due + offset, "ok")
    judged = {e.type: e.data["on_time"] for e in inc.events if "on_time" in e.data}
    assert judged == {"arrived": expected, "restored": expected, "resolved": expected}


def test_an_overdue_timer_fired_at_the_deadline_itself_waits_for_the_first_late_instant():
    inc = _incident()
    due = inc.arrival_due
    # As rows planned before the boundary was one rule were: due at the deadline itself.
    timer = Timer(inc.id, "t", TimerKind.OVERDUE, "arrival", due, due)
    early = fire(timer, inc, due, lambda unit: [], None)
    assert (early.outcome, early.record, early.retry_at) == ("early", None, due + US)
    late_ = fire(timer, inc, due + US, lambda unit: [], None)
    assert late_.outcome == "overdue" and late_.record is not None
    assert late_.record.due_at == due and late_.record.round == 0


def _resolved():  # type: ignore[no-untyped-def]
    inc = _incident()
    inc.arrive("t", "o", T0 + timedelta(minutes=5), SITE, 1, None)
    inc.arrive("power_supply", "p", T0 + timedelta(minutes=9), SITE, 1, None)
    inc.restore("o", T0 + timedelta(minutes=20), "ok")
    inc.resolve("o", T0 + timedelta(hours=2), "fixed")
    return inc


def test_reopen_gives_a_new_resolve_deadline_from_now_a_new_round_and_an_event():
    inc = _resolved()
    policy = Policy(resolve=timedelta(days=3))
    at = T0 + timedelta(days=1)
    first_resolve_due, restored_at = inc.resolve_due, inc.restored_at
    inc.timers_planned_at = T0
    inc.reopen(at, policy, "r", "still no power")
    assert (inc.status, inc.round, inc.reopened_at) == (Status.REOPENED, 1, at)
    assert inc.resolve_due == at + timedelta(days=3) != first_resolve_due
    assert (inc.resolved_at, inc.resolved_by, inc.resolve_note) == (None, None, None)
    assert inc.restored_at == restored_at  # order restored stands
    assert inc.timers_planned_at is None  # the new round is to be planned
    event = inc.events[-1]
    assert (event.type, event.data["round"], event.data["note"]) == ("reopened", 1,
                                                                      "still no power")
    assert event.audience == ["unit:t", "unit:power_supply", "user:r", "command"]
    assert [c.milestone for c in inc.overdue(inc.resolve_due)] == []
    assert [c.milestone for c in inc.overdue(inc.resolve_due + US)] == [Milestone.RESOLVE]
    # It can be solved again, and judged against the new deadline.
    inc.resolve("o", inc.resolve_due, "fixed again")
    assert inc.status == Status.RESOLVED and inc.events[-1].data["on_time"] is True
    inc.reopen(at + timedelta(days=4), policy, "r")
    assert inc.round == 2


@pytest.mark.parametrize("steps", [0, 1, 2])
def test_only_a_solved_case_can_be_reopened(steps):
    inc = _incident()
    if steps >= 1:
        inc.arrive("t", "o", T0, SITE, 1, None)
    if steps >= 2:
        inc.restore("o", T0, "ok")
    with pytest.raises(Conflict):
        inc.reopen(T0 + timedelta(hours=1), Policy(), "r")
    assert inc.round == 0


def test_the_new_round_plans_only_the_new_deadline_and_old_round_timers_go_stale():
    inc = _resolved()
    old_resolve = inc.resolve_due
    old_notice = Timer(inc.id, "t", TimerKind.OVERDUE, "resolve", old_resolve,
                       first_late_instant(old_resolve))
    at = T0 + timedelta(days=1)
    inc.reopen(at, Policy(), "r")
    timers = plan(inc, Policy(), timedelta(minutes=5))
    assert {(t.unit_code, t.kind, t.milestone, t.round) for t in timers} == {
        (u, k, "resolve", 1) for u in ("t", "power_supply")
        for k in (TimerKind.DEADLINE_NEAR, TimerKind.OVERDUE)}  # no offers, no met milestones
    notice = next(t for t in timers if t.kind == TimerKind.OVERDUE)
    assert (notice.deadline, notice.due_at) == (inc.resolve_due, inc.resolve_due + US)
    assert fire(old_notice, inc, old_resolve + US, lambda unit: [], None).outcome == "stale"
    result = fire(notice, inc, inc.resolve_due + US, lambda unit: [], None)
    assert result.record is not None and result.record.round == 1
