"""The device-time window at its exact bounds, the wire form of times, and what a refusal
carries: the field named, the reason, the detail a client shows."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dispatch.device_time import DeviceTimeWindow, check_device_times, problem
from dispatch.errors import DispatchError, FieldError, ValidationFailed
from dispatch.utc import iso_utc

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
WINDOW = DeviceTimeWindow()


def test_window_bounds_are_inclusive_and_one_second_past_is_refused() -> None:
    assert problem(NOW + timedelta(minutes=5), NOW, WINDOW) is None
    assert problem(NOW - timedelta(hours=24), NOW, WINDOW) is None
    ahead = problem(NOW + timedelta(minutes=5, seconds=1), NOW, WINDOW)
    assert ahead == "301 s ahead of the server's clock; at most 300 s ahead is accepted"
    old = problem(NOW - timedelta(hours=24, seconds=1), NOW, WINDOW)
    assert old == "86401 s older than the server's clock; at most 86400 s old is accepted"


def test_other_offsets_are_compared_as_instants() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert problem((NOW + timedelta(minutes=5)).astimezone(shanghai), NOW, WINDOW) is None
    assert problem(NOW + timedelta(minutes=6), NOW.astimezone(shanghai), WINDOW) is not None


def test_a_time_with_no_utc_instant_is_refused_with_its_reason() -> None:
    edge = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    assert problem(edge, NOW, WINDOW) == "out of range once converted to UTC"


def test_every_bad_time_is_named_with_its_reason_and_none_is_skipped() -> None:
    late = NOW + timedelta(hours=1)
    with pytest.raises(ValidationFailed) as caught:
        check_device_times([("a", NOW), ("b", late), ("c", None), ("d", late)], NOW, WINDOW)
    err = caught.value
    why = problem(late, NOW, WINDOW)
    assert why is not None
    assert err.errors == [FieldError("b", why), FieldError("d", why)]
    assert err.detail == f"b: {why}; d: {why}"
    assert str(err) == err.detail
    check_device_times([("a", NOW), ("c", None)], NOW, WINDOW)  # nothing raised


def test_dispatch_error_keeps_its_detail_and_defaults_to_no_field_errors() -> None:
    err = DispatchError("what went wrong")
    assert err.detail == "what went wrong" and err.errors == []
    assert (err.status, err.slug) == (500, "internal-error")
    on = ValidationFailed.on("location.lat", "out of range")
    assert on.detail == "location.lat: out of range"
    assert on.errors == [FieldError("location.lat", "out of range")]


def test_iso_utc_prints_utc_with_z_whatever_the_offset() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert iso_utc(datetime(2026, 11, 27, 10, 0, tzinfo=shanghai)) == "2026-11-27T02:00:00Z"
    assert iso_utc(NOW) == "2026-11-27T02:00:00Z"


def test_iso_utc_does_not_depend_on_the_servers_time_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server in Jiyuan may well run with TZ=Asia/Shanghai; the wire form stays UTC."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert iso_utc(NOW) == "2026-11-27T02:00:00Z"
        eight = timezone(timedelta(hours=8))  # converted to UTC, not to the server's zone
        assert iso_utc(datetime(2026, 11, 27, 10, 0, tzinfo=eight)) == "2026-11-27T02:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()
