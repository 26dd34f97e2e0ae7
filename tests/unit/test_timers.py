"""What the clocks plan and decide, in plain Python with times passed in."""

from __future__ import annotations

from datetime import timedelta

from shapely.geometry import Point

from dispatch.clock import Policy
from dispatch.timers import Timer, TimerKind, announce_overdue, fire, plan
from tests.unit.test_domain import T0, _incident

OFFER = timedelta(minutes=5)


def _no_one(unit: str) -> list:
    return []


def test_every_unit_gets_a_warning_and_a_notice_per_milestone_and_a_first_offer_timer():
    inc = _incident()
    timers = plan(inc, Policy(), OFFER)
    per_unit = {(t.unit_code, t.kind, t.milestone): t for t in timers}
    assert len(timers) == 2 * (3 * 2 + 1)  # 2 units x (3 warnings, 3 notices, the first offer)
    assert per_unit[("t", "deadline_near", "arrival")].due_at == T0 + timedelta(minutes=20)
    assert per_unit[("t", "deadline_near", "restore")].due_at == T0 + timedelta(minutes=45)
    assert per_unit[("t", "deadline_near", "resolve")].due_at == T0 + timedelta(days=6)
    # The notice comes due at the first instant that counts as late, not at the deadline.
    notice = per_unit[("power_supply", "overdue", "resolve")]
    assert notice.deadline == T0 + timedelta(days=7)
    assert notice.due_at == T0 + timedelta(days=7, microseconds=1)
    offers = [(t.due_at - T0, t.attempt) for t in timers
              if t.kind == "offer" and t.unit_code == "t"]
    assert offers == [(OFFER, 1)]  # each repeat plans the next one


def test_a_warning_that_would_precede_the_report_is_not_planned():
    two_seconds = Policy(arrival=timedelta(seconds=2))
    inc = _incident(two_seconds)
    timers = plan(inc, two_seconds, None)
    assert not [t for t in timers if t.kind == "deadline_near" and t.milestone == "arrival"]
    assert not [t for t in timers if t.kind == "offer"]


def test_overdue_is_proposed_with_its_record_and_met_or_stale_timers_stay_silent():
    inc = _incident()
    due = inc.arrival_due
    timer = Timer(inc.id, "t", TimerKind.OVERDUE, "arrival", due, due)
    result = fire(timer, inc, due + timedelta(seconds=1), _no_one, OFFER)
    assert result.outcome == "overdue" and result.record is not None
    before = len(inc.events)
    announce_overdue(inc, result.record)
    event = inc.events[before]
    assert event.type == "overdue" and event.audience == ["unit:t", "dispatch:t", "command"]
    assert event.data["late_by_s"] == 1.0

    stale = Timer(inc.id, "t", TimerKind.OVERDUE, "arrival", due - timedelta(minutes=1), due)
    assert fire(stale, inc, due, _no_one, OFFER).outcome == "stale"
    inc.arrive("t", "o", due - timedelta(minutes=1), Point(112.6, 35.0), 1, None)
    assert fire(timer, inc, due + timedelta(seconds=1), _no_one, OFFER).outcome == "met"


def test_an_unanswered_offer_is_repeated_until_the_arrival_deadline():
    inc = _incident()
    offer = Timer(inc.id, "power_supply", TimerKind.OFFER, "offer", inc.arrival_due,
                  T0 + OFFER, attempt=1)
    ranked = [{"officer_id": "o1", "distance_m": 120.0}]
    result = fire(offer, inc, T0 + OFFER, lambda unit: ranked, OFFER)
    assert result.outcome == "repeated"
    assert [t.attempt for t in result.follow_up or []] == [2]
    assert [e.type for e in inc.events[-2:]] == ["offered", "offer_unanswered"]
    assert inc.events[-2].data["officers"] == ranked
    last = Timer(inc.id, "power_supply", TimerKind.OFFER, "offer", inc.arrival_due,
                 T0 + OFFER * 5, attempt=5)
    assert fire(last, inc, T0 + OFFER * 5, _no_one, OFFER).follow_up == []
    inc.accept("power_supply", "o1", T0 + OFFER * 5)
    assert fire(offer, inc, T0 + OFFER * 6, _no_one, OFFER).outcome == "answered"
