"""The 311 clock and the case lifecycle, in plain Python with times passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point

from dispatch.clock import Policies, Policy, deadlines, is_overdue, on_time
from dispatch.errors import Conflict
from dispatch.model import Incident, Milestone, Status, Unit

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _incident(policy: Policy | None = None) -> Incident:
    due = deadlines(T0, policy or Policy())
    inc = Incident(category="power_cut", description="x", location=Point(112.6, 35.0),
                   reporter_id="r", territory_code="t", territory_name="T", boundary_set_id=1,
                   received_at=T0, arrival_due=due.arrival, restore_due=due.restore,
                   resolve_due=due.resolve)
    inc.record("reported", T0, "r")
    units = [Unit("power_supply", "供电", "department"), Unit("t", "T", "territory")]
    inc.dispatch(units, T0, None)
    return inc


def test_deadlines_are_counted_from_reception():
    due = deadlines(T0, Policy())
    assert (due.arrival - T0, due.restore - T0, due.resolve - T0) == (
        timedelta(minutes=30), timedelta(hours=1), timedelta(days=7))
    assert due.due(Milestone.RESTORE) == due.restore


def test_on_time_is_derived_and_the_deadline_itself_counts():
    due = T0 + timedelta(minutes=30)
    assert on_time(None, due) is None
    assert on_time(due, due) is True
    assert on_time(due + timedelta(microseconds=1), due) is False
    assert is_overdue(None, due, due + timedelta(seconds=1))
    assert not is_overdue(None, due, due)


def test_policies_per_category_from_configuration():
    p = Policies.from_seconds({"default": {"arrival": 600}, "water_cut": {"restore": 7200}})
    assert p.for_category("power_cut").arrival == timedelta(minutes=10)
    assert p.for_category("water_cut").arrival == timedelta(minutes=10)
    assert p.for_category("water_cut").restore == timedelta(hours=2)
    with pytest.raises(ValueError, match="unknown deadline keys"):
        Policies.from_seconds({"default": {"arrive": 1}})


def test_dispatch_orders_units_and_logs_events():
    inc = _incident()
    assert inc.status == Status.DISPATCHED
    assert inc.unit_codes() == ["t", "power_supply"]
    assert [e.type for e in inc.events] == ["reported", "dispatched"]
    assert inc.events[1].audience == ["user:r", "command"]  # units hear it as their offer
    inc.accept("t", "o", T0)
    assert inc.events[2].audience == ["unit:t", "unit:power_supply", "user:r", "command"]


def test_each_unit_arrives_on_its_own_clock_and_the_first_puts_the_case_on_site():
    inc = _incident()
    assert inc.arrive("t", "o1", T0 + timedelta(minutes=29), Point(112.6, 35.0), 12.0, None)
    assert inc.status == Status.ON_SITE
    assert not inc.arrive("t", "o2", T0 + timedelta(minutes=40), Point(112.6, 35.0), 1.0, None)
    assert inc.arrive("power_supply", "o3", T0 + timedelta(minutes=31), Point(112.6, 35.0), 5, None)
    by_unit = {a.unit_code: a for a in inc.assignments}
    assert on_time(by_unit["t"].arrived_at, by_unit["t"].arrival_due) is True
    assert on_time(by_unit["power_supply"].arrived_at, by_unit["power_supply"].arrival_due) is False
    assert by_unit["t"].arrived_by == "o1"


def test_illegal_transitions_raise_conflict():
    inc = _incident()
    with pytest.raises(Conflict, match="on site"):
        inc.restore("o", T0, "")
    with pytest.raises(Conflict, match="restored"):
        inc.resolve("o", T0, "")
    inc.arrive("t", "o", T0, Point(112.6, 35.0), 1, None)
    inc.restore("o", T0 + timedelta(minutes=50), "ok")
    inc.resolve("o", T0 + timedelta(days=1), "ok")
    with pytest.raises(Conflict):
        inc.arrive("power_supply", "o", T0, Point(112.6, 35.0), 1, None)
    with pytest.raises(Conflict):
        inc.dispatch([], T0, None)


def test_refresh_is_due_every_interval_and_at_once_after_invalidate():
    from dispatch.refresh import Refresh
    now = [100.0]
    refresh = Refresh(5.0, lambda: now[0])
    assert refresh.due() and not refresh.due()
    now[0] += 4.9
    assert not refresh.due()
    now[0] += 0.1
    assert refresh.due()
    refresh.invalidate()
    assert refresh.due()


def test_a_unit_acts_only_on_a_case_it_is_responsible_for():
    """Views check visibility first; the rule holds without them too."""
    from dispatch.access import acting_unit
    from dispatch.errors import Forbidden, NotFound
    from dispatch.model import Role, User

    inc = _incident()
    mine = User("officer-t", "x", Role.OFFICER, unit_code="t")
    assert acting_unit(mine, inc, Role.OFFICER) == "t"
    with pytest.raises(NotFound):
        acting_unit(User("officer-w", "x", Role.OFFICER, unit_code="water_supply"), inc,
                    Role.OFFICER)
    with pytest.raises(Forbidden):
        acting_unit(mine, inc, Role.DISPATCHER)
