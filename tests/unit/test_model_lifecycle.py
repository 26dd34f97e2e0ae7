"""The incident's own rule, method by method: the events it records (type, time, actor, data and
audience, exactly as the clients read them), the snapshot each event carries, the states each
step is allowed from and the message of each refusal, and the clocks with their lookups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from shapely.geometry import Point

from dispatch.clock import Policy, deadlines
from dispatch.errors import Conflict
from dispatch.events import EventType
from dispatch.model import Incident, Milestone, MilestoneClock, Status, Unit

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
# Times given in Beijing time: the wire form is always UTC with a `Z`.
BEIJING = timezone(timedelta(hours=8))
SITE = Point(112.61, 35.02)
US = timedelta(microseconds=1)

TERRITORY = Unit("t", "Territory T", "territory")
POWER = Unit("power_supply", "Power", "department")
WATER = Unit("water_supply", "Water", "department")


def _new(policy: Policy | None = None) -> Incident:
    due = deadlines(T0, policy or Policy())
    return Incident(category="power_cut", description="no power since noon", location=SITE,
                    reporter_id="r", territory_code="t", territory_name="Territory T",
                    boundary_set_id=1, received_at=T0.astimezone(BEIJING),
                    arrival_due=due.arrival, restore_due=due.restore, resolve_due=due.resolve,
                    id="case-1")


def _dispatched() -> Incident:
    inc = _new()
    inc.dispatch([WATER, POWER, TERRITORY], T0, "d")
    return inc


def _on_site() -> Incident:
    inc = _dispatched()
    inc.arrive("t", "o", T0 + timedelta(minutes=5), SITE, 3.0, None)
    return inc


def _restored() -> Incident:
    inc = _on_site()
    inc.restore("o", T0 + timedelta(minutes=20), "road open")
    return inc


def _resolved() -> Incident:
    inc = _restored()
    inc.resolve("o", T0 + timedelta(hours=2), "fixed")
    return inc


def _closed() -> Incident:
    inc = _resolved()
    inc.status = Status.CLOSED
    inc.closed_at = T0 + timedelta(hours=3)
    return inc


def _reopened() -> Incident:
    inc = _resolved()
    inc.reopen(T0 + timedelta(days=1), Policy(), "r", "still dark")
    return inc


def _in(status: Status) -> Incident:
    return {Status.REPORTED: _new, Status.DISPATCHED: _dispatched, Status.ON_SITE: _on_site,
            Status.RESTORED: _restored, Status.RESOLVED: _resolved, Status.CLOSED: _closed,
            Status.REOPENED: _reopened}[status]()


EVERYONE = ["unit:t", "unit:power_supply", "unit:water_supply", "user:r", "command"]


# -- record and the snapshot ------------------------------------------------------------------

def test_record_appends_and_returns_the_event_with_its_audience_and_a_snapshot() -> None:
    inc = _dispatched()
    at = T0 + timedelta(minutes=1)
    event = inc.record(EventType.ACCEPTED, at, "o", unit="t", extra=1)
    assert event is inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data, event.incident_id, event.seq) == (
        "accepted", at, "o", {"unit": "t", "extra": 1}, "case-1", None)
    assert event.audience == EVERYONE
    assert event.snapshot == inc.snapshot()


def test_an_event_about_one_unit_is_heard_by_the_unit_its_data_names() -> None:
    inc = _dispatched()
    event = inc.record(EventType.OFFERED, T0, None, unit="power_supply")
    assert event.audience == ["unit:power_supply", "command"]
    unanswered = inc.record(EventType.OFFER_UNANSWERED, T0, None, unit="water_supply")
    assert unanswered.audience == ["dispatch:water_supply", "command"]


def test_the_snapshot_each_event_carries_is_the_case_right_after_that_change() -> None:
    inc = _dispatched()
    inc.accept("t", "o", T0 + timedelta(minutes=1))
    inc.arrive("t", "o", T0 + timedelta(minutes=2), SITE, 1.0, None)
    accepted, arrived = inc.events[-2:]
    assert accepted.snapshot["status"] == "dispatched"
    assert accepted.snapshot["units"][0]["arrived_at"] is None
    assert arrived.snapshot["status"] == "on_site"
    assert arrived.snapshot["units"][0]["arrived_at"] == "2026-11-27T02:02:00Z"


def test_the_snapshot_of_a_new_case_names_every_field_the_clients_read() -> None:
    inc = _new()
    assert inc.snapshot() == {
        "id": "case-1", "case_number": "", "category": "power_cut", "status": "reported",
        "description": "no power since noon",
        "location": {"lat": 35.02, "lon": 112.61},
        "territory": {"code": "t", "name": "Territory T"},
        "green_channel": False,
        "central_assignment": None,
        "received_at": "2026-11-27T02:00:00Z",
        "deadlines": {"arrival": "2026-11-27T02:30:00Z", "restore": "2026-11-27T03:00:00Z",
                      "resolve": "2026-12-04T02:00:00Z", "resolve_original": None},
        "milestones": {"restored_at": None, "resolved_at": None, "closed_at": None},
        "units": [],
    }


def test_the_snapshot_of_a_worked_case_shows_its_units_and_milestones_in_utc() -> None:
    inc = _dispatched()
    inc.green_channel, inc.lead_unit = True, "water_supply"
    inc.accept("power_supply", "p", (T0 + timedelta(minutes=3)).astimezone(BEIJING))
    inc.arrive("t", "o", (T0 + timedelta(minutes=5)).astimezone(BEIJING), SITE, 3.0, None)
    inc.restore("o", (T0 + timedelta(minutes=20)).astimezone(BEIJING), "ok")
    inc.resolve("o", (T0 + timedelta(hours=2)).astimezone(BEIJING), "ok")
    inc.closed_at = (T0 + timedelta(hours=3)).astimezone(BEIJING)
    snap = inc.snapshot()
    assert snap["status"] == "resolved" and snap["green_channel"] is True
    assert snap["milestones"] == {"restored_at": "2026-11-27T02:20:00Z",
                                  "resolved_at": "2026-11-27T04:00:00Z",
                                  "closed_at": "2026-11-27T05:00:00Z"}
    arrival = "2026-11-27T02:30:00Z"
    unjudged = {"arrival_device_time": None, "arrival_sent_late": None,
                "arrival_counted_at": None, "arrival_mock_location": None}
    assert snap["units"] == [
        {"code": "t", "name": "Territory T", "kind": "territory",
         "accepted_at": "2026-11-27T02:05:00Z", "arrived_at": "2026-11-27T02:05:00Z",
         "arrival_due": arrival, "lead": False, **unjudged},
        {"code": "power_supply", "name": "Power", "kind": "department",
         "accepted_at": "2026-11-27T02:03:00Z", "arrived_at": None, "arrival_due": arrival,
         "lead": False, **unjudged},
        {"code": "water_supply", "name": "Water", "kind": "department",
         "accepted_at": None, "arrived_at": None, "arrival_due": arrival, "lead": True, **unjudged},
    ]


# -- dispatch -------------------------------------------------------------------------------

def test_dispatch_assigns_each_unit_once_territory_first_then_departments_by_code() -> None:
    inc = _new()
    inc.dispatch([WATER, POWER, TERRITORY, POWER], T0, "d")
    assert inc.status == Status.DISPATCHED
    assert [(a.unit_code, a.unit_name, a.kind, a.arrival_due) for a in inc.assignments] == [
        ("t", "Territory T", "territory", inc.arrival_due),
        ("power_supply", "Power", "department", inc.arrival_due),
        ("water_supply", "Water", "department", inc.arrival_due)]
    assert all(a.accepted_at is None and a.arrived_at is None for a in inc.assignments)
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data) == (
        "dispatched", T0, "d",
        {"status": "dispatched", "units": ["t", "power_supply", "water_supply"]})
    assert event.audience == ["user:r", "command"]


def test_departments_alone_are_ordered_by_code() -> None:
    inc = _new()
    inc.dispatch([WATER, POWER], T0, None)
    assert inc.unit_codes() == ["power_supply", "water_supply"]
    assert inc.events[-1].actor_id is None


@pytest.mark.parametrize("status", [s for s in Status if s != Status.REPORTED])
def test_only_a_reported_case_is_dispatched(status: Status) -> None:
    inc = _in(status)
    before = len(inc.events)
    with pytest.raises(Conflict) as refused:
        inc.dispatch([POWER], T0, "d")
    assert str(refused.value) == (
        f"incident is {status}; only a reported incident can be dispatched")
    assert len(inc.events) == before and inc.status == status


# -- accept ---------------------------------------------------------------------------------

def test_accept_takes_the_units_task_once_and_records_who_and_when() -> None:
    inc = _dispatched()
    at = T0 + timedelta(minutes=2)
    assert inc.accept("power_supply", "p1", at) is True
    assert inc.accept("power_supply", "p2", at + timedelta(minutes=1)) is False
    a = inc.assignment("power_supply")
    assert a is not None and (a.accepted_at, a.accepted_by) == (at, "p1")
    assert inc.status == Status.DISPATCHED
    accepted = [e for e in inc.events if e.type == "accepted"]
    assert len(accepted) == 1
    assert (accepted[0].at, accepted[0].actor_id, accepted[0].data) == (
        at, "p1", {"unit": "power_supply"})
    assert accepted[0].audience == EVERYONE


@pytest.mark.parametrize("status", [Status.DISPATCHED, Status.ON_SITE, Status.RESTORED,
                                    Status.REOPENED])
def test_a_unit_accepts_while_the_case_is_open(status: Status) -> None:
    inc = _in(status)
    assert inc.accept("water_supply", "w", T0 + timedelta(days=2)) is True


@pytest.mark.parametrize("status", [Status.REPORTED, Status.RESOLVED, Status.CLOSED])
def test_no_unit_accepts_a_case_not_open(status: Status) -> None:
    inc = _in(status)
    with pytest.raises(Conflict) as refused:
        inc.accept("water_supply", "w", T0)
    assert str(refused.value) == f"incident is {status}; cannot accept"


def test_a_unit_not_responsible_cannot_accept_or_check_in() -> None:
    inc = _dispatched()
    with pytest.raises(Conflict) as refused:
        inc.accept("east", "e", T0)
    assert str(refused.value) == "unit east is not responsible for this incident"
    with pytest.raises(Conflict, match="^unit east is not responsible for this incident$"):
        inc.arrive("east", "e", T0, SITE, 1.0, None)


# -- arrive ---------------------------------------------------------------------------------

def test_arrival_records_the_fix_rounded_the_device_time_and_the_event() -> None:
    inc = _dispatched()
    at = T0 + timedelta(minutes=30)
    device = T0 + timedelta(minutes=29)
    fix = Point(112.6101, 35.0201)
    assert inc.arrive("power_supply", "p", at, fix, 12.349, device) is True
    a = inc.assignment("power_supply")
    assert a is not None
    assert (a.arrived_at, a.arrived_by, a.arrival_location, a.arrival_distance_m,
            a.arrival_device_time) == (at, "p", fix, 12.3, device)
    # Arriving without accepting first accepts for the unit, at the same moment.
    assert (a.accepted_at, a.accepted_by) == (at, "p")
    assert inc.status == Status.ON_SITE
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data) == (
        "arrived", at, "p",
        {"unit": "power_supply", "status": "on_site", "distance_m": 12.3, "on_time": True})
    assert event.audience == EVERYONE


def test_an_arrival_a_microsecond_late_is_late_and_its_distance_keeps_one_decimal() -> None:
    inc = _dispatched()
    inc.arrive("t", "o", inc.arrival_due + US, SITE, 7.06, None)
    assert inc.events[-1].data == {"unit": "t", "status": "on_site", "distance_m": 7.1,
                                   "on_time": False}


def test_an_arrival_keeps_an_earlier_acceptance() -> None:
    inc = _dispatched()
    inc.accept("t", "o1", T0 + timedelta(minutes=1))
    inc.arrive("t", "o2", T0 + timedelta(minutes=9), SITE, 2.0, None)
    a = inc.assignment("t")
    assert a is not None
    assert (a.accepted_at, a.accepted_by) == (T0 + timedelta(minutes=1), "o1")
    assert (a.arrived_at, a.arrived_by) == (T0 + timedelta(minutes=9), "o2")


def test_the_first_arrival_stands_and_a_repeat_records_nothing() -> None:
    inc = _on_site()
    before = len(inc.events)
    assert inc.arrive("t", "o2", T0 + timedelta(minutes=8), Point(0, 0), 99.0, T0) is False
    a = inc.assignment("t")
    assert a is not None
    assert (a.arrived_at, a.arrived_by, a.arrival_distance_m, a.arrival_device_time) == (
        T0 + timedelta(minutes=5), "o", 3.0, None)
    assert len(inc.events) == before


@pytest.mark.parametrize("status, after", [
    (Status.DISPATCHED, Status.ON_SITE), (Status.REOPENED, Status.ON_SITE),
    (Status.ON_SITE, Status.ON_SITE), (Status.RESTORED, Status.RESTORED)])
def test_a_later_units_arrival_puts_an_open_case_on_site_and_leaves_a_restored_one(
        status: Status, after: Status) -> None:
    inc = _in(status)
    assert inc.arrive("water_supply", "w", T0 + timedelta(days=2), SITE, 1.0, None)
    assert inc.status == after
    assert inc.events[-1].data["status"] == str(after)


@pytest.mark.parametrize("status", [Status.REPORTED, Status.RESOLVED, Status.CLOSED])
def test_no_unit_checks_in_on_a_case_not_open(status: Status) -> None:
    inc = _in(status)
    with pytest.raises(Conflict) as refused:
        inc.arrive("water_supply", "w", T0, SITE, 1.0, None)
    assert str(refused.value) == f"incident is {status}; cannot check in"


# -- restore --------------------------------------------------------------------------------

def test_restore_records_who_when_the_note_and_whether_it_was_on_time() -> None:
    inc = _on_site()
    at = inc.restore_due
    assert inc.restore("o", at, "road open") is True
    assert inc.status == Status.RESTORED
    assert (inc.restored_at, inc.restored_by, inc.restore_note) == (at, "o", "road open")
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data) == (
        "restored", at, "o", {"status": "restored", "note": "road open", "on_time": True})
    assert event.audience == EVERYONE


def test_a_restore_one_microsecond_late_is_judged_late() -> None:
    inc = _on_site()
    inc.restore("o", inc.restore_due + US, "")
    assert inc.events[-1].data["on_time"] is False


def test_a_repeated_restore_by_the_same_person_with_the_same_note_changes_nothing() -> None:
    inc = _restored()
    before = len(inc.events)
    assert inc.restore("o", T0 + timedelta(minutes=40), "road open") is False
    assert (inc.restored_at, len(inc.events)) == (T0 + timedelta(minutes=20), before)


@pytest.mark.parametrize("actor, note", [("o2", "road open"), ("o", "another note")])
def test_another_restore_of_a_restored_case_conflicts(actor: str, note: str) -> None:
    inc = _restored()
    with pytest.raises(Conflict) as refused:
        inc.restore(actor, T0 + timedelta(minutes=40), note)
    assert str(refused.value) == ("incident is restored; order can be marked restored only "
                                  "when a responsible unit is on site")
    assert (inc.restored_by, inc.restore_note) == ("o", "road open")


@pytest.mark.parametrize("status", [Status.REPORTED, Status.DISPATCHED, Status.RESOLVED,
                                    Status.CLOSED, Status.REOPENED])
def test_only_a_case_on_site_is_restored(status: Status) -> None:
    inc = _in(status)
    with pytest.raises(Conflict, match=f"^incident is {status}; order can be marked restored"):
        inc.restore("o", T0, "x")


# -- resolve --------------------------------------------------------------------------------

def test_resolve_records_who_when_the_note_and_whether_it_was_on_time() -> None:
    inc = _restored()
    at = inc.resolve_due
    assert inc.resolve("o", at, "fixed") is True
    assert inc.status == Status.RESOLVED
    assert (inc.resolved_at, inc.resolved_by, inc.resolve_note) == (at, "o", "fixed")
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data) == (
        "resolved", at, "o", {"status": "resolved", "note": "fixed", "on_time": True})
    assert event.audience == EVERYONE
    inc2 = _restored()
    inc2.resolve("o", inc2.resolve_due + US, "fixed")
    assert inc2.events[-1].data["on_time"] is False


def test_a_repeated_resolve_by_the_same_person_with_the_same_note_changes_nothing() -> None:
    inc = _resolved()
    before = len(inc.events)
    assert inc.resolve("o", T0 + timedelta(hours=5), "fixed") is False
    assert (inc.resolved_at, len(inc.events)) == (T0 + timedelta(hours=2), before)


@pytest.mark.parametrize("actor, note", [("o2", "fixed"), ("o", "fixed again")])
def test_another_resolve_of_a_resolved_case_conflicts(actor: str, note: str) -> None:
    inc = _resolved()
    with pytest.raises(Conflict) as refused:
        inc.resolve(actor, T0 + timedelta(hours=5), note)
    assert str(refused.value) == ("incident is resolved; a problem can be marked solved only "
                                  "after order is restored")
    assert (inc.resolved_by, inc.resolve_note) == ("o", "fixed")


@pytest.mark.parametrize("status", [Status.REPORTED, Status.DISPATCHED, Status.ON_SITE,
                                    Status.CLOSED])
def test_only_a_restored_or_reopened_case_is_resolved(status: Status) -> None:
    inc = _in(status)
    with pytest.raises(Conflict, match=f"^incident is {status}; a problem can be marked solved"):
        inc.resolve("o", T0, "x")


def test_a_reopened_case_is_resolved_again_against_its_new_deadline() -> None:
    inc = _reopened()
    assert inc.resolve("o", inc.resolve_due, "fixed") is True  # the same note as before
    assert (inc.status, inc.resolved_by, inc.resolve_note) == (Status.RESOLVED, "o", "fixed")
    assert inc.events[-1].data == {"status": "resolved", "note": "fixed", "on_time": True}


# -- reopen ---------------------------------------------------------------------------------

def test_reopen_records_the_new_round_and_deadline_in_the_event() -> None:
    inc = _resolved()
    at = (T0 + timedelta(days=1)).astimezone(BEIJING)
    inc.reopen(at, Policy(resolve=timedelta(days=2)), "r", "still dark")
    assert (inc.status, inc.round, inc.reopened_at) == (Status.REOPENED, 1, at)
    assert inc.resolve_due == T0 + timedelta(days=3)
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data) == (
        "reopened", at, "r",
        {"status": "reopened", "note": "still dark", "round": 1,
         "resolve_due": "2026-11-30T02:00:00Z"})
    assert event.audience == EVERYONE
    assert event.snapshot["deadlines"]["resolve"] == "2026-11-30T02:00:00Z"
    assert event.snapshot["milestones"] == {"restored_at": "2026-11-27T02:20:00Z",
                                            "resolved_at": None, "closed_at": None}


def test_reopen_without_a_note_or_an_actor_records_an_empty_note() -> None:
    inc = _resolved()
    inc.reopen(T0 + timedelta(days=1), Policy(), None)
    assert inc.events[-1].actor_id is None
    assert inc.events[-1].data["note"] == ""


def test_a_closed_case_is_reopened_and_is_no_longer_closed() -> None:
    inc = _closed()
    inc.timers_planned_at = T0
    inc.reopen(T0 + timedelta(days=1), Policy(), "r")
    assert (inc.status, inc.closed_at, inc.resolved_at, inc.resolved_by, inc.resolve_note,
            inc.timers_planned_at) == (Status.REOPENED, None, None, None, None, None)
    assert inc.events[-1].data["round"] == 1


@pytest.mark.parametrize("status", [Status.REPORTED, Status.DISPATCHED, Status.ON_SITE,
                                    Status.RESTORED, Status.REOPENED])
def test_only_a_solved_or_closed_case_is_reopened(status: Status) -> None:
    inc = _in(status)
    before = (inc.round, inc.resolve_due, len(inc.events))
    with pytest.raises(Conflict) as refused:
        inc.reopen(T0 + timedelta(days=1), Policy(), "r")
    assert str(refused.value) == (
        f"incident is {status}; only a solved or closed incident can be reopened")
    assert (inc.round, inc.resolve_due, len(inc.events)) == before


# -- the clocks -----------------------------------------------------------------------------

def test_the_clocks_are_each_units_arrival_then_restore_then_resolve() -> None:
    inc = _restored()
    arrived = T0 + timedelta(minutes=5)
    restored = T0 + timedelta(minutes=20)
    assert inc.clocks() == [
        MilestoneClock(Milestone.ARRIVAL, "t", inc.arrival_due, arrived),
        MilestoneClock(Milestone.ARRIVAL, "power_supply", inc.arrival_due, None),
        MilestoneClock(Milestone.ARRIVAL, "water_supply", inc.arrival_due, None),
        MilestoneClock(Milestone.RESTORE, None, inc.restore_due, restored),
        MilestoneClock(Milestone.RESOLVE, None, inc.resolve_due, None),
    ]


def test_the_clocks_of_a_solved_case_show_when_it_was_restored_and_resolved() -> None:
    inc = _resolved()
    assert inc.clocks()[-2:] == [
        MilestoneClock(Milestone.RESTORE, None, inc.restore_due, T0 + timedelta(minutes=20)),
        MilestoneClock(Milestone.RESOLVE, None, inc.resolve_due, T0 + timedelta(hours=2))]
    assert inc.clock_of("power_supply", "resolve").done_at == T0 + timedelta(hours=2)
    # Solved in time: past its deadline the resolve is not overdue (only the missed arrivals).
    assert [c.milestone for c in inc.overdue(inc.resolve_due + US)] == [
        Milestone.ARRIVAL, Milestone.ARRIVAL]


def test_a_unit_answers_for_its_own_arrival_and_the_cases_restore_and_resolve() -> None:
    inc = _on_site()
    assert inc.clock_of("t", "arrival") == MilestoneClock(
        Milestone.ARRIVAL, "t", inc.arrival_due, T0 + timedelta(minutes=5))
    assert inc.clock_of("power_supply", "arrival") == MilestoneClock(
        Milestone.ARRIVAL, "power_supply", inc.arrival_due, None)
    assert inc.clock_of("power_supply", "restore") == MilestoneClock(
        Milestone.RESTORE, None, inc.restore_due, None)
    assert inc.clock_of("t", "resolve") == MilestoneClock(
        Milestone.RESOLVE, None, inc.resolve_due, None)


def test_a_unit_not_on_the_case_has_no_arrival_deadline() -> None:
    inc = _dispatched()
    with pytest.raises(LookupError) as missing:
        inc.clock_of("east", "arrival")
    assert str(missing.value) == "unit east has no arrival deadline on this incident"
    with pytest.raises(LookupError, match="^unit t has no offer deadline on this incident$"):
        inc.clock_of("t", "offer")


def test_overdue_lists_only_the_deadlines_passed_unmet() -> None:
    inc = _on_site()
    # The territory arrived; the departments did not; nothing else is due yet.
    assert inc.overdue(inc.arrival_due) == []
    assert inc.overdue(inc.arrival_due + US) == [
        MilestoneClock(Milestone.ARRIVAL, "power_supply", inc.arrival_due, None),
        MilestoneClock(Milestone.ARRIVAL, "water_supply", inc.arrival_due, None)]
    late = inc.overdue(inc.resolve_due + US)
    assert [(c.milestone, c.unit_code) for c in late] == [
        (Milestone.ARRIVAL, "power_supply"), (Milestone.ARRIVAL, "water_supply"),
        (Milestone.RESTORE, None), (Milestone.RESOLVE, None)]


def test_the_clocks_start_at_the_report_and_again_at_each_reopening() -> None:
    inc = _resolved()
    assert inc.clocks_started_at() == inc.received_at
    at = T0 + timedelta(days=1)
    inc.reopen(at, Policy(), "r")
    assert inc.clocks_started_at() == at
