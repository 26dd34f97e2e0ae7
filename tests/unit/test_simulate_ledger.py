"""The simulation's ledger: facts from the server's answers only accumulate, the tallies use the
server's boundary (done at the deadline is in time), and the run settles only when every arrival
and restore is decided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from simulate.ledger import Ledger, Tally, render, summarize

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat().replace("+00:00", "Z")


def incident(arrived: dict[str, datetime | None] | None = None, restored: datetime | None = None,
             resolved: datetime | None = None, id: str = "i1") -> dict[str, Any]:
    arrived = arrived if arrived is not None else {"419001102": None, "power_supply": None}
    return {
        "id": id, "category": "power_cut", "territory": {"code": "419001102"},
        "received_at": iso(T0),
        "deadlines": {"arrival": iso(T0 + timedelta(seconds=30)),
                      "restore": iso(T0 + timedelta(seconds=60)),
                      "resolve": iso(T0 + timedelta(days=7) / 60)},
        "units": [{"code": code, "arrival_due": iso(T0 + timedelta(seconds=30)),
                   "arrived_at": iso(at)} for code, at in arrived.items()],
        "milestones": {"restored_at": iso(restored), "resolved_at": iso(resolved)},
    }


def test_done_at_the_deadline_is_on_time_and_a_microsecond_after_is_late() -> None:
    due = T0
    t = Tally()
    t.add(due, due, T0 + timedelta(hours=1))
    t.add(due + US, due, T0 + timedelta(hours=1))
    t.add(None, due, due)        # at the deadline, unmet: not yet overdue
    t.add(None, due, due + US)   # strictly after: overdue
    assert (t.on_time, t.late, t.pending, t.overdue) == (1, 1, 1, 1)
    assert t.decided == 3 and t.rate == 1 / 3
    assert Tally().rate is None


def test_a_case_not_reported_by_the_simulation_is_ignored() -> None:
    ledger = Ledger()
    ledger.learn(incident())
    assert ledger.cases() == [] and ledger.index_of("i1") is None
    ledger.notice({"incident_id": "i1", "data": {"unit": "power_supply", "milestone": "arrival"}})
    assert ledger.notices == set()


def test_facts_accumulate_whatever_order_answers_and_events_come_in() -> None:
    ledger = Ledger()
    ledger.learn(incident(), index=4)
    arrived = T0 + timedelta(seconds=20)
    ledger.learn(incident({"419001102": arrived, "power_supply": None}, restored=T0 + US * 9))
    ledger.learn(incident())  # an older snapshot arriving late changes nothing
    (case,) = ledger.cases()
    assert case.index == 4 and ledger.index_of("i1") == 4
    assert case.arrived_at == {"419001102": arrived, "power_supply": None}
    assert case.restored_at == T0 + US * 9 and not ledger.is_resolved("i1")


def test_only_the_first_officer_on_site_restores() -> None:
    ledger = Ledger()
    ledger.learn(incident(), index=0)
    assert ledger.claim_restore("i1", "419001102")
    assert not ledger.claim_restore("i1", "power_supply")
    assert not ledger.claim_restore("unknown", "power_supply")


def test_settled_when_every_arrival_and_restore_is_met_or_past_due_with_its_notice() -> None:
    ledger, grace = Ledger(), timedelta(seconds=10)
    ledger.learn(incident({"419001102": T0, "power_supply": None}), index=0)
    due = T0 + timedelta(seconds=30)
    assert not ledger.settled(due, grace)             # power's arrival may still be met
    assert not ledger.settled(due + US, grace)        # past due, its notice not yet heard
    ledger.notice({"incident_id": "i1", "data": {"unit": "power_supply", "milestone": "arrival"}})
    restore_due = T0 + timedelta(seconds=60)
    assert not ledger.settled(due + US, grace)        # restore still open
    ledger.notice({"incident_id": "i1", "data": {"unit": "419001102", "milestone": "restore"}})
    ledger.notice({"incident_id": "i1", "data": {"unit": "power_supply", "milestone": "restore"}})
    assert not ledger.settled(restore_due, grace)
    assert ledger.settled(restore_due + US, grace)
    # A notice that never comes is waited for `grace`, not for ever.
    other = Ledger()
    other.learn(incident({"419001102": T0}), index=0)
    assert not other.settled(restore_due + grace, grace)
    assert other.settled(restore_due + grace + US, grace)


def test_the_summary_counts_arrivals_per_unit_and_the_rest_per_case() -> None:
    ledger = Ledger()
    ledger.learn(incident({"419001102": T0 + timedelta(seconds=30),
                           "power_supply": T0 + timedelta(seconds=31)},
                          restored=T0 + timedelta(seconds=50)), index=0)
    ledger.learn(incident({"419001102": None}, id="i2"), index=1)
    ledger.notice({"incident_id": "i1", "data": {"unit": "power_supply", "milestone": "arrival"}})
    ledger.refuse(2, 422, "outside every territory")
    s = summarize(ledger, T0 + timedelta(seconds=61), mode="full", seed=1, speed=60.0,
                  simulated_hours=1.0, wall_seconds=60.0, started_at="2026-11-28 09:00 CST",
                  interrupted=False, planned=3)
    assert (s.cases, s.refused, s.by_category) == (2, 1, {"power_cut": 2})
    assert (s.arrival.on_time, s.arrival.late, s.arrival.overdue) == (1, 1, 1)
    assert (s.restore.on_time, s.restore.overdue) == (1, 1)
    assert s.resolve.pending == 2 and s.resolve.rate is None
    assert s.overdue_notices == 1 and s.overdue_now == 2
    town, power = s.units["419001102"], s.units["power_supply"]
    assert (town.cases, town.arrival.on_time, town.arrival.overdue) == (2, 1, 1)
    assert (town.restore.on_time, town.restore.overdue, town.overdue_notices) == (1, 1, 0)
    assert (power.cases, power.arrival.late, power.restore.on_time) == (1, 1, 1)
    assert power.overdue_notices == 1
    assert s.as_dict()["units"]["power_supply"]["arrival"]["rate"] == 0.0
    text = render(s)
    assert "power_supply" in text
    assert "2 reported of 3 planned (1 refused)" in text
    assert "report 2: 422 outside every territory" in text
    assert "on-time rate 33.3%" in text and "on-time rate 50.0%" in text
    assert s.as_dict()["arrival"]["rate"] == 1 / 3
