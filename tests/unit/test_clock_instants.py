"""The instants a page compares with its clock (`dispatch.board.case_instants`): the same state as
the server's judgement at every boundary, the green channel's warnings for a green-channel case,
the same instant as the `deadline_near` notice, and the same answer from an event's snapshot as
from the case itself."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatch.board import (
    CaseInstants, ClockState, SnapshotCase, case_instants, clock_state, instants_json,
    instants_of, with_instants,
)
from dispatch.clock import Policies, Policy
from dispatch.model import Incident, Milestone, MilestoneClock, Site, Status
from dispatch.relay import payload
from dispatch.reporting import NewReport, report_incident
from dispatch.settings import Settings
from tests.unit.fakes import IN_EAST, IN_WEST, POWER, REFORM, T0, WEST, World, new_world

S = timedelta(seconds=1)
US = timedelta(microseconds=1)
POLICY = Policy()
ARRIVAL, RESTORE, RESOLVE = T0 + POLICY.arrival, T0 + POLICY.restore, T0 + POLICY.resolve
# The category's arrival warned 25 min ahead, the green channel's 2 min ahead of its 20 min.
CATEGORY = Policies(default=Policy(arrival_warning=timedelta(minutes=25)))
GREEN = Policies(default=Policy(arrival=timedelta(minutes=20),
                                arrival_warning=timedelta(minutes=2)))


def _clocks(arrived: datetime | None = None, second: datetime | None = None,
            restored: datetime | None = None, resolved: datetime | None = None
            ) -> list[MilestoneClock]:
    return [MilestoneClock(Milestone.ARRIVAL, WEST, ARRIVAL, arrived),
            MilestoneClock(Milestone.ARRIVAL, POWER, ARRIVAL + 60 * S, second),
            MilestoneClock(Milestone.RESTORE, None, RESTORE, restored),
            MilestoneClock(Milestone.RESOLVE, None, RESOLVE, resolved)]


def _moments(x: CaseInstants) -> list[datetime]:
    """Every instant where a state could change, and a microsecond and a second either side."""
    marks = {t for m in x.milestones for t in (m.due, m.near_at)}
    return sorted({t + d for t in marks for d in (-S, -US, 0 * S, US, S)} | {T0})


# -- the page's comparison is the server's judgement ----------------------------------------------
@pytest.mark.parametrize(("status", "done"), [
    (Status.DISPATCHED, {}),
    (Status.ON_SITE, {"arrived": T0 + S}),
    (Status.ON_SITE, {"arrived": T0 + S, "second": ARRIVAL + 2 * 60 * S}),
    (Status.RESTORED, {"arrived": T0 + S, "second": T0 + S, "restored": T0 + 2 * S}),
    (Status.REOPENED, {"arrived": T0 + S, "second": T0 + S, "restored": RESTORE + S}),
    (Status.RESOLVED, {"arrived": T0 + S, "restored": T0 + 2 * S, "resolved": T0 + 3 * S}),
    (Status.CLOSED, {"arrived": T0 + S, "restored": T0 + 2 * S, "resolved": T0 + 3 * S}),
])
def test_the_state_from_the_instants_is_each_deadlines_judgement(
        status: str, done: dict[str, datetime]) -> None:
    clocks = _clocks(**done)
    x = instants_of(status, clocks, POLICY)
    for now in _moments(x):
        assert x.state(now) == _judged_one_by_one(status, clocks, now, POLICY), now
        assert clock_state(status, clocks, now, POLICY) == x.state(now)


def _judged_one_by_one(status: str, clocks: list[MilestoneClock], now: datetime,
                       policy: Policy) -> ClockState:
    """The rule as README states it, deadline by deadline (an independent oracle)."""
    if status in (Status.RESOLVED, Status.CLOSED):
        return ClockState.RESOLVED
    unmet = [c for c in clocks if c.done_at is None]
    if any(now > c.due for c in unmet):
        return ClockState.OVERDUE
    if any(c.due - policy.warning(c.milestone) <= now <= c.due for c in unmet):
        return ClockState.NEAR
    return ClockState.RESTORED if status == Status.RESTORED else ClockState.ON_TIME


def test_each_deadline_has_its_instants_and_the_case_the_first_unmet_ones() -> None:
    x = instants_of(Status.ON_SITE, _clocks(arrived=T0 + S), POLICY)
    assert [(m.milestone, m.unit_code, m.due, m.near_at, m.done_at) for m in x.milestones] == [
        (Milestone.ARRIVAL, WEST, ARRIVAL, ARRIVAL - POLICY.arrival_warning, T0 + S),
        (Milestone.ARRIVAL, POWER, ARRIVAL + 60 * S, ARRIVAL + 60 * S - POLICY.arrival_warning,
         None),
        (Milestone.RESTORE, None, RESTORE, RESTORE - POLICY.restore_warning, None),
        (Milestone.RESOLVE, None, RESOLVE, RESOLVE - POLICY.resolve_warning, None)]
    # The first unmet: the department's arrival (the town's is met, though earlier).
    assert (x.near_at, x.due, x.calm) == (
        ARRIVAL + 60 * S - POLICY.arrival_warning, ARRIVAL + 60 * S, ClockState.ON_TIME)


def test_each_milestone_is_warned_by_its_own_lead_and_no_other_is_known() -> None:
    p = Policy(arrival_warning=timedelta(minutes=1), restore_warning=timedelta(minutes=2),
               resolve_warning=timedelta(minutes=3))
    assert [p.near_at(m, T0) for m in Milestone] == [T0 - 60 * S, T0 - 120 * S, T0 - 180 * S]
    with pytest.raises(KeyError, match="lunch"):
        p.warning("lunch")  # type: ignore[arg-type]


def test_exactly_at_the_instants() -> None:
    x = instants_of(Status.DISPATCHED, _clocks(), POLICY)
    assert x.state(x.near_at - US) == ClockState.ON_TIME  # type: ignore[operator]
    assert x.state(x.near_at) == ClockState.NEAR  # type: ignore[arg-type]
    assert x.state(ARRIVAL) == ClockState.NEAR  # at the deadline: still in time
    assert x.state(ARRIVAL + US) == ClockState.OVERDUE


def test_a_solved_case_has_no_instant_that_colours_it() -> None:
    x = instants_of(Status.RESOLVED, _clocks(resolved=T0 + S), POLICY)
    assert (x.near_at, x.due, x.calm) == (None, None, ClockState.RESOLVED)
    assert x.state(RESOLVE + S) == ClockState.RESOLVED
    assert len(x.milestones) == 4  # its deadlines are still shown


def test_every_deadline_met_leaves_the_calm_state() -> None:
    met = _clocks(T0 + S, T0 + S, T0 + 2 * S, T0 + 3 * S)
    x = instants_of(Status.RESTORED, met, POLICY)
    assert (x.near_at, x.due, x.calm) == (None, None, ClockState.RESTORED)
    assert x.state(RESOLVE + S) == ClockState.RESTORED


# -- one lookup of the warnings: the green channel's or the category's ----------------------------
def _site(w: World) -> Site:
    site = Site(owner_id=w.user("reporter").id, name="plant", location=IN_EAST, created_at=T0,
                green_channel=True, lead_department=REFORM)
    with w.db.uow() as uow:
        uow.sites.add(site)
        uow.commit()
    return site


def _report(w: World, site: Site | None = None) -> Incident:
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="d", location=None if site else IN_WEST,
        site_id=site.id if site else None))
    return incident


def test_a_green_channel_case_is_near_by_the_green_channels_warning_and_as_its_notice() -> None:
    w = new_world(policies=CATEGORY, green_channel_policies=GREEN)
    green, plain = _report(w, _site(w)), _report(w)
    g, p = case_instants(green, w.ctx.settings), case_instants(plain, w.ctx.settings)
    assert g.near_at == T0 + timedelta(minutes=18) and g.due == T0 + timedelta(minutes=20)
    assert p.near_at == T0 + timedelta(minutes=5) and p.due == T0 + timedelta(minutes=30)
    ten = T0 + timedelta(minutes=10)
    assert (g.state(ten), p.state(ten)) == (ClockState.ON_TIME, ClockState.NEAR)
    # The page's "near" starts where the deadline_near notice fires, deadline by deadline.
    for case, x in ((green, g), (plain, p)):
        notices = {(t.unit_code, t.milestone, t.due_at) for t in w.db.state.timers
                   if t.incident_id == case.id and t.kind == "deadline_near"}
        marks = {(u, str(m.milestone), m.near_at) for m in x.milestones
                 for u in ([m.unit_code] if m.unit_code else case.unit_codes())}
        assert notices == marks


def test_the_map_and_the_list_judge_by_the_same_instants() -> None:
    from dispatch.queries import IncidentFilters, MapFilters, list_incidents, open_cases

    w = new_world(policies=CATEGORY, green_channel_policies=GREEN)
    green = _report(w, _site(w))
    w.clock.now = T0 + timedelta(minutes=10)
    [on_map] = [c for c in open_cases(w.ctx, w.user("commander"), MapFilters()).cases
                if c.case.id == green.id]
    assert on_map.instants == case_instants(green, w.ctx.settings)
    assert on_map.state == ClockState.ON_TIME  # the category's warning would say near
    listed, _ = list_incidents(w.ctx, w.user("commander"), IncidentFilters())
    assert case_instants(next(c for c in listed if c.id == green.id), w.ctx.settings) \
        == on_map.instants


# -- an event's snapshot --------------------------------------------------------------------------
def test_a_snapshot_gives_the_cases_own_instants_at_every_step() -> None:
    w = new_world(policies=CATEGORY, green_channel_policies=GREEN)
    for case in (_report(w, _site(w)), _report(w)):
        stored = w.incident(case.id)
        assert case_instants(SnapshotCase(stored.snapshot()), w.ctx.settings) \
            == case_instants(stored, w.ctx.settings)
        stored.arrive(stored.unit_codes()[0], "o1", T0 + S, stored.location, 3.0, None)
        stored.restore("o1", T0 + 2 * S, "ok")
        assert case_instants(SnapshotCase(stored.snapshot()), w.ctx.settings) \
            == case_instants(stored, w.ctx.settings)


def test_every_incident_event_carries_its_clocks_as_sent() -> None:
    w = new_world(policies=CATEGORY, green_channel_policies=GREEN)
    green = _report(w, _site(w))
    events = w.events(green.id)
    arrivals = []
    for event in events:
        sent = payload(event, w.ctx.settings)["incident"]
        assert sent["clocks"] == instants_json(
            case_instants(SnapshotCase(event.snapshot), w.ctx.settings))
        assert {k: v for k, v in sent.items() if k != "clocks"} == event.snapshot
        arrivals += [m for m in sent["clocks"]["milestones"] if m["milestone"] == "arrival"]
    # Reported (no unit yet), dispatched, an offer to each of its three units.
    assert [e.type for e in events] == ["reported", "dispatched", "offered", "offered", "offered"]
    assert len(arrivals) == 4 * 3
    assert {m["near_at"] for m in arrivals} == {"2026-11-27T02:18:00Z"}  # the green channel's


def test_the_same_snapshot_under_other_settings_gets_their_instants() -> None:
    w = new_world()
    snap = _report(w).snapshot()
    other = Settings(policies=CATEGORY)
    assert with_instants(snap, w.ctx.settings)["clocks"]["near_at"] == "2026-11-27T02:20:00Z"
    assert with_instants(snap, other)["clocks"]["near_at"] == "2026-11-27T02:05:00Z"


def test_a_snapshot_without_deadlines_is_sent_as_it_is() -> None:
    assert with_instants({}, Settings()) == {}
    assert with_instants({"id": "x", "status": "dispatched"}, Settings()) == {
        "id": "x", "status": "dispatched"}


def test_an_older_snapshot_without_the_green_channel_flag_is_an_ordinary_case() -> None:
    w = new_world(green_channel_policies=GREEN)
    snap = _report(w).snapshot()
    del snap["green_channel"]
    assert not SnapshotCase(snap).green_channel
    assert with_instants(snap, w.ctx.settings)["clocks"]["due"] == "2026-11-27T02:30:00Z"


# -- the wire form ---------------------------------------------------------------------------------
def test_the_wire_form_names_every_instant_and_whether_a_met_deadline_was_on_time() -> None:
    x = instants_of(Status.ON_SITE, _clocks(arrived=ARRIVAL, second=ARRIVAL + 61 * S), POLICY)
    out = instants_json(x)
    assert out["near_at"] == "2026-11-27T02:45:00Z" and out["due"] == "2026-11-27T03:00:00Z"
    assert out["calm"] == "on_time"
    assert out["milestones"][0] == {
        "milestone": "arrival", "unit": WEST, "due": "2026-11-27T02:30:00Z",
        "near_at": "2026-11-27T02:20:00Z", "done_at": "2026-11-27T02:30:00Z", "on_time": True}
    assert out["milestones"][1]["on_time"] is False  # a second after its own deadline
    assert out["milestones"][2] == {
        "milestone": "restore", "unit": None, "due": "2026-11-27T03:00:00Z",
        "near_at": "2026-11-27T02:45:00Z", "done_at": None, "on_time": None}
    solved = instants_json(instants_of(Status.CLOSED, _clocks(resolved=T0 + S), POLICY))
    assert (solved["near_at"], solved["due"], solved["calm"]) == (None, None, "resolved")
