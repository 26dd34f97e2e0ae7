"""DISPATCH_TIME_SCALE: the rule's clocks run N times faster for a simulated day, and only them."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest

from dispatch.clock import RESOLUTION, Policies, Policy
from dispatch.reporting import NewReport, report_incident
from dispatch.settings import Settings
from server import config as cfgmod
from server.bootstrap import settings as settings_from_config
from tests.unit.fakes import IN_WEST, T0, new_world


def test_sixty_times_faster_divides_every_clock_of_the_field() -> None:
    base = Settings(policies=Policies.from_seconds({"water_cut": {"restore": 7200}}))
    fast = base.time_scaled(60)
    assert fast.policies.default == Policy(
        arrival=timedelta(seconds=30), restore=timedelta(seconds=60),
        resolve=timedelta(days=7) / 60, arrival_warning=timedelta(seconds=10),
        restore_warning=timedelta(seconds=15), resolve_warning=timedelta(days=1) / 60)
    # A category's own policy is scaled too, with what it inherits from the default.
    water = fast.policies.for_category("water_cut")
    assert (water.arrival, water.restore) == (timedelta(seconds=30), timedelta(seconds=120))
    assert fast.offer_timeout == timedelta(seconds=5)
    assert fast.on_duty_window == timedelta(seconds=30)
    # The green channel's tighter clocks and the supervision cycle's waits too.
    assert fast.green_channel_policies.default.arrival == timedelta(seconds=20)
    assert fast.policy("power_cut", green_channel=True).restore == timedelta(seconds=60)
    assert (fast.feedback_wait, fast.complaint_reply, fast.max_extension) == (
        timedelta(days=3) / 60, timedelta(hours=24) / 60, timedelta(days=30) / 60)
    # The simulated officers drive 60 times faster: so may their fixes (issue 16).
    assert fast.offline.max_speed_kmh == 200.0 * 60


def test_the_clocks_of_devices_and_accounts_stay_real() -> None:
    base = Settings()
    fast = base.time_scaled(60)
    assert fast.device_time == base.device_time
    assert (fast.offline.sent_late_after, fast.offline.arrival_window,
            fast.offline.history_window) == (base.offline.sent_late_after,
                                             base.offline.arrival_window,
                                             base.offline.history_window)
    assert fast.position_retention_days == base.position_retention_days
    assert fast.stats_max_span == base.stats_max_span
    assert (fast.checkin_radius_m, fast.checkin_accuracy_cap_m) == (
        base.checkin_radius_m, base.checkin_accuracy_cap_m)


def test_a_scale_of_one_is_the_rule_itself() -> None:
    base = Settings()
    assert base.time_scaled(1) is base
    assert base.time_scaled(1.0).policies.default.arrival == timedelta(minutes=30)


@pytest.mark.parametrize("divisor", [0.999, 0.5, 0, -60, math.nan, math.inf])
def test_a_scale_that_would_lengthen_or_break_the_deadlines_is_refused(divisor: float) -> None:
    with pytest.raises(ValueError, match="time scale"):
        Settings().time_scaled(divisor)


def test_just_above_one_is_allowed() -> None:
    fast = Settings().time_scaled(1.001)
    assert fast.policies.default.arrival < timedelta(minutes=30)


def test_a_case_reported_on_a_scaled_server_is_clocked_and_timed_at_the_scaled_times() -> None:
    fast = Settings().time_scaled(60)
    w = new_world(policies=fast.policies, offer_timeout=fast.offer_timeout,
                  on_duty_window=fast.on_duty_window)
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="no power", location=IN_WEST))
    stored = w.incident(incident.id)
    assert (stored.arrival_due, stored.restore_due, stored.resolve_due) == (
        T0 + timedelta(seconds=30), T0 + timedelta(seconds=60), T0 + timedelta(days=7) / 60)
    due = sorted((t.kind, t.milestone, t.due_at - T0) for t in w.db.state.timers
                 if t.unit_code == stored.unit_codes()[0])
    s = timedelta(seconds=1)
    assert due == sorted([
        ("offer", "offer", 5 * s),  # the offer is repeated after 5 min / 60
        ("deadline_near", "arrival", 20 * s), ("overdue", "arrival", 30 * s + RESOLUTION),
        ("deadline_near", "restore", 45 * s), ("overdue", "restore", 60 * s + RESOLUTION),
        ("deadline_near", "resolve", timedelta(days=6) / 60),
        ("overdue", "resolve", timedelta(days=7) / 60 + RESOLUTION)])


def test_the_environment_sets_it_and_a_bad_value_names_the_variable(tmp_path: Path) -> None:
    cfg = cfgmod.load(None, {"DISPATCH_TIME_SCALE": "60"})
    assert settings_from_config(cfg, tmp_path).policies.default.arrival == timedelta(seconds=30)
    assert settings_from_config(cfgmod.load(None, {}), tmp_path).policies.default.arrival == (
        timedelta(minutes=30))
    with pytest.raises(ValueError, match="DISPATCH_TIME_SCALE"):
        settings_from_config(cfgmod.load(None, {"DISPATCH_TIME_SCALE": "0.5"}), tmp_path)
    with pytest.raises(ValueError, match="DISPATCH_TIME_SCALE"):
        cfgmod.load(None, {"DISPATCH_TIME_SCALE": "fast"})
