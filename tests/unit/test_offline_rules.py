"""The offline rules (`dispatch.offline`), each at its boundary and one past it: when an action is
sent late, when an offline check-in counts at its device time, and when a fix is too fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.model import Counted
from dispatch.offline import (
    OfflineRules, Site, TrailFix, arrival, flag_batch, implied_speed_kmh, is_sent_late,
    nearest_fix, previous_fix, speed_from_previous, too_fast,
)
from geo.distance import geodesic_distance_m, offset_point

US = timedelta(microseconds=1)
REPORTED = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
NOW = REPORTED + timedelta(minutes=50)         # the upload
DEVICE = REPORTED + timedelta(minutes=20)      # the phone's time of the check-in
RULES = OfflineRules()                          # 60 s, 2 h, 10 min, 200 km/h
SITE_LON, SITE_LAT = 112.5000, 35.1000
SITE = Site(SITE_LON, SITE_LAT, radius_m=200.0, accuracy_cap_m=100.0)


def fix(at: datetime, metres_from_site: float = 0.0, accuracy_m: float | None = 5.0,
        azimuth: float = 90.0) -> TrailFix:
    lon, lat = offset_point(SITE_LON, SITE_LAT, azimuth, metres_from_site)
    return TrailFix(at, lon, lat, accuracy_m)


HERE = [fix(DEVICE - timedelta(minutes=2))]  # the officer was at the site two minutes before


def judged(device: datetime | None, now: datetime = NOW, trail: list[TrailFix] = HERE,
           reported: datetime = REPORTED) -> tuple[datetime, Counted, str]:
    at, facts = arrival(device, now, reported, trail, SITE, RULES)
    return at, facts.counted, facts.reason


# -- sent late ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("lag", "late"), [
    (timedelta(0), False), (timedelta(seconds=60), False),  # at the threshold: not late
    (timedelta(seconds=60) + US, True),                    # a microsecond past it
    (-timedelta(minutes=4), False),                         # a clock running ahead
])
def test_an_action_is_sent_late_strictly_past_the_threshold(lag: timedelta, late: bool) -> None:
    assert is_sent_late(NOW - lag, NOW, RULES) is late


def test_an_action_without_a_device_time_is_never_late() -> None:
    assert is_sent_late(None, NOW, RULES) is False


# -- when an offline arrival counts ------------------------------------------------------------

def test_a_believable_offline_check_in_counts_at_its_device_time_and_is_sent_late() -> None:
    at, facts = arrival(DEVICE, NOW, REPORTED, HERE, SITE, RULES, mock_location=True)
    assert at == DEVICE
    assert (facts.counted, facts.device_time, facts.sent_late, facts.mock_location) == (
        Counted.DEVICE, DEVICE, True, True)


def test_without_a_device_time_the_arrival_counts_at_the_upload() -> None:
    at, facts = arrival(None, NOW, REPORTED, HERE, SITE, RULES)
    assert (at, facts.counted, facts.sent_late, facts.device_time) == (
        NOW, Counted.UPLOAD, False, None)
    assert facts.reason == "no device time was sent"


@pytest.mark.parametrize(("device", "counted"), [
    (REPORTED, Counted.UPLOAD),              # at the report itself: not after it
    (REPORTED + US, Counted.DEVICE),         # a microsecond after
])
def test_the_device_time_must_be_after_the_report(device: datetime, counted: Counted) -> None:
    trail = [fix(REPORTED)]
    assert judged(device, trail=trail)[1] == counted


@pytest.mark.parametrize(("device", "counted"), [
    (NOW, Counted.DEVICE),                   # at the upload: counts
    (NOW + US, Counted.UPLOAD),              # after the upload (a clock ahead): the upload's
])
def test_the_device_time_must_not_be_after_the_upload(device: datetime, counted: Counted) -> None:
    at, how, reason = judged(device, trail=[fix(NOW)])
    assert how == counted and at == (device if counted == Counted.DEVICE else NOW)
    if counted == Counted.UPLOAD:
        assert reason == "the device time is after the upload"


@pytest.mark.parametrize(("age", "counted"), [
    (timedelta(hours=2), Counted.DEVICE),             # exactly the window: counts
    (timedelta(hours=2) + US, Counted.UPLOAD),        # a microsecond older
])
def test_the_device_time_must_lie_within_the_window(age: timedelta, counted: Counted) -> None:
    now = REPORTED + timedelta(hours=3)
    device = now - age
    at, how, reason = judged(device, now=now, trail=[fix(device)])
    assert how == counted
    if counted == Counted.UPLOAD:
        assert at == now and reason == "the device time is more than 2 h before the upload"


@pytest.mark.parametrize(("gap", "counted"), [
    (timedelta(minutes=10), Counted.DEVICE),          # the nearest fix exactly 10 min away
    (timedelta(minutes=10) + US, Counted.UPLOAD),     # a microsecond further: no evidence
    (-timedelta(minutes=10), Counted.DEVICE),         # 10 min after the device time
    (-timedelta(minutes=10) - US, Counted.UPLOAD),
])
def test_a_stored_fix_must_lie_within_the_history_window(gap: timedelta, counted: Counted
                                                         ) -> None:
    assert judged(DEVICE, trail=[fix(DEVICE - gap)])[1] == counted


def test_with_no_position_history_the_arrival_counts_at_the_upload() -> None:
    at, how, reason = judged(DEVICE, trail=[])
    assert (at, how) == (NOW, Counted.UPLOAD)
    assert reason == "no stored position within 10 min of the device time"


def test_the_stored_fix_must_be_within_reach_of_the_site() -> None:
    """At the device time itself (no travel allowed): radius 200 m + the fix's accuracy 5 m."""
    inside = [fix(DEVICE, 204.0)]
    outside = [fix(DEVICE, 206.0)]
    assert judged(DEVICE, trail=inside)[1] == Counted.DEVICE
    at, how, reason = judged(DEVICE, trail=outside)
    assert (at, how) == (NOW, Counted.UPLOAD)
    assert reason.startswith("the stored position 0 s from the device time was 206 m")


def test_reach_grows_with_the_time_between_the_fix_and_the_device_time() -> None:
    """A fix 60 s earlier may be 200 m + 5 m + 200 km/h x 60 s (3,333 m) away."""
    reach = 200.0 + 5.0 + 200 / 3.6 * 60
    assert judged(DEVICE, trail=[fix(DEVICE - timedelta(seconds=60), reach - 1)])[1] == \
        Counted.DEVICE
    assert judged(DEVICE, trail=[fix(DEVICE - timedelta(seconds=60), reach + 1)])[1] == \
        Counted.UPLOAD


def test_a_poor_fix_widens_the_reach_only_up_to_the_cap() -> None:
    assert judged(DEVICE, trail=[fix(DEVICE, 299.0, accuracy_m=5000.0)])[1] == Counted.DEVICE
    assert judged(DEVICE, trail=[fix(DEVICE, 301.0, accuracy_m=5000.0)])[1] == Counted.UPLOAD


def test_the_nearest_fix_in_time_vouches_even_when_a_later_one_is_near_the_site() -> None:
    trail = [fix(DEVICE - timedelta(seconds=30), 9000.0), fix(DEVICE + timedelta(minutes=5))]
    assert judged(DEVICE, trail=trail)[1] == Counted.UPLOAD


# -- the officer's previous and nearest fixes ---------------------------------------------------

def test_the_previous_fix_is_strictly_before_and_the_nearest_breaks_ties_early() -> None:
    a, b, c = fix(DEVICE - timedelta(minutes=1)), fix(DEVICE), fix(DEVICE + timedelta(minutes=1))
    assert previous_fix([c, b, a], DEVICE) is a
    assert previous_fix([b, c], DEVICE) is None
    assert nearest_fix([c, a], DEVICE, timedelta(minutes=1)) is a
    assert nearest_fix([c, a], DEVICE, timedelta(minutes=1) - US) is None


# -- speeds ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("speed", "flagged"), [
    (None, False), (0.0, False), (200.0, False),  # exactly at the limit: plausible
    (200.000001, True),
])
def test_a_speed_is_too_fast_strictly_over_the_limit(speed: float | None, flagged: bool) -> None:
    assert too_fast(speed, RULES) is flagged


def test_the_implied_speed_is_the_distance_less_both_accuracies_over_the_time() -> None:
    start = fix(DEVICE, 0.0, accuracy_m=50.0)
    lon, lat = offset_point(SITE_LON, SITE_LAT, 90.0, 1100.0)
    # 1,100 m less 50 m and 50 m = 1,000 m in 18 s = 200 km/h.
    speed = implied_speed_kmh(start, lon, lat, 50.0, DEVICE + timedelta(seconds=18), 100.0)
    assert speed == pytest.approx(200.0, abs=1e-6)
    # An accuracy counts up to the cap: 5,000 m is taken as 100 m.
    capped = implied_speed_kmh(start, lon, lat, 5000.0, DEVICE + timedelta(seconds=18), 100.0)
    assert capped == pytest.approx((1100 - 150) / 18 * 3.6, abs=1e-6)
    # Within the accuracies: no movement at all, whatever the time.
    near = offset_point(SITE_LON, SITE_LAT, 90.0, 90.0)
    assert implied_speed_kmh(start, *near, 50.0, DEVICE + US, 100.0) == 0.0


def test_the_limit_is_judged_on_the_implied_speed_at_its_boundary() -> None:
    """A jump of 1,000 m beyond the accuracies: 18 s is exactly 200 km/h, 17.9 s is faster."""
    start = fix(DEVICE, 0.0, accuracy_m=None)
    lon, lat = offset_point(SITE_LON, SITE_LAT, 90.0, 1000.0)
    assert geodesic_distance_m(start.lon, start.lat, lon, lat) == pytest.approx(1000.0)
    assert not too_fast(speed_from_previous([start], lon, lat, None,
                                            DEVICE + timedelta(seconds=18.0001), 100.0), RULES)
    assert too_fast(speed_from_previous([start], lon, lat, None,
                                        DEVICE + timedelta(seconds=17.9), 100.0), RULES)
    assert speed_from_previous([], lon, lat, None, DEVICE, 100.0) is None


def test_a_batch_is_judged_in_time_order_and_a_flagged_fix_is_no_ones_previous() -> None:
    home = fix(DEVICE, 0.0, accuracy_m=None)
    far = fix(DEVICE + timedelta(seconds=60), 50_000.0, accuracy_m=None)    # 3,000 km/h
    back = fix(DEVICE + timedelta(seconds=120), 100.0, accuracy_m=None)     # 3 km/h from home
    later = fix(DEVICE + timedelta(seconds=180), 50_100.0, accuracy_m=None)  # 1,500 km/h
    flagged = flag_batch([home], [later, back, far], 100.0, RULES)
    assert set(flagged) == {far.at, later.at}
    assert flagged[far.at] == pytest.approx(3000.0, abs=0.1)
