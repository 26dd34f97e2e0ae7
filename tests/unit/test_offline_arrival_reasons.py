"""The reasons a check-in's arrival records (`dispatch.offline.arrival`), word for word, as the
timeline shows them; the phone's word on a mocked position kept whatever counted; and the edge
of the reachable distance: exactly at it is still consistent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dispatch.model import Counted
from dispatch.offline import arrival, speed_from_previous
from geo.distance import geodesic_distance_m
from tests.unit.test_offline_rules import DEVICE, NOW, REPORTED, RULES, SITE, fix


def test_the_reasons_read_exactly() -> None:
    _, at_report = arrival(REPORTED, NOW, REPORTED, [fix(REPORTED)], SITE, RULES)
    assert (at_report.counted, at_report.reason) == (
        Counted.UPLOAD, "the device time is not after the report")
    _, counted = arrival(DEVICE, NOW, REPORTED, [fix(DEVICE)], SITE, RULES)
    assert (counted.counted, counted.reason) == (
        Counted.DEVICE, "after the report, before the upload, within the window and consistent "
                        "with the stored positions")


@pytest.mark.parametrize("mock", [True, False, None])
def test_the_phone_s_word_on_a_mocked_position_is_kept_whatever_counted(
        mock: bool | None) -> None:
    _, device = arrival(DEVICE, NOW, REPORTED, [fix(DEVICE)], SITE, RULES, mock)
    _, upload = arrival(None, NOW, REPORTED, [fix(DEVICE)], SITE, RULES, mock)
    assert (device.counted, upload.counted) == (Counted.DEVICE, Counted.UPLOAD)
    assert (device.mock_location, upload.mock_location) == (mock, mock)


def test_a_stored_position_exactly_at_the_reachable_distance_is_consistent() -> None:
    # No time between the fix and the device time, no accuracy: what is reachable is the radius.
    stored = fix(DEVICE, 150.0, accuracy_m=None)
    away = geodesic_distance_m(stored.lon, stored.lat, SITE.lon, SITE.lat)
    exact = replace(SITE, radius_m=away)
    at, facts = arrival(DEVICE, NOW, REPORTED, [stored], exact, RULES)
    assert (at, facts.counted) == (DEVICE, Counted.DEVICE)
    _, short = arrival(DEVICE, NOW, REPORTED, [stored], replace(exact, radius_m=away - 0.5), RULES)
    assert short.counted is Counted.UPLOAD


def test_the_speed_from_the_previous_fix_takes_this_fix_s_accuracy() -> None:
    trail = [fix(DEVICE - timedelta(seconds=10), 0.0, accuracy_m=None)]
    there = fix(DEVICE, 600.0, accuracy_m=100.0)
    with_accuracy = speed_from_previous(trail, there.lon, there.lat, 100.0, DEVICE, 100.0)
    without = speed_from_previous(trail, there.lon, there.lat, None, DEVICE, 100.0)
    assert with_accuracy is not None and without is not None
    assert with_accuracy == pytest.approx(without - 100.0 / 10 * 3.6, rel=1e-9)
