"""A device's clock is believed only within a window around the server's.

Why: a phone's time is the user's to set. A fix dated next year would stay an officer's "latest"
position for a year, and one dated years back says nothing about where the officer is now. A
device time may run a little ahead (clocks drift) and may lag by as long as a phone may have
been offline with its queue of fixes; anything outside is refused, naming the field, before
anything is written. Pure: the caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dispatch.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class DeviceTimeWindow:
    ahead: timedelta = timedelta(minutes=5)    # how far a device clock may run ahead
    max_age: timedelta = timedelta(hours=24)   # how old a fix may be when it reaches us


def problem(at: datetime, now: datetime, window: DeviceTimeWindow) -> str | None:
    """Why `at` is outside the window around `now`, or None when it is inside (bounds included)."""
    try:
        lead = at.astimezone(UTC) - now.astimezone(UTC)
    except (OverflowError, ValueError):
        return "out of range once converted to UTC"
    if lead > window.ahead:
        return (f"{lead.total_seconds():.0f} s ahead of the server's clock; at most "
                f"{window.ahead.total_seconds():.0f} s ahead is accepted")
    if -lead > window.max_age:
        return (f"{-lead.total_seconds():.0f} s older than the server's clock; at most "
                f"{window.max_age.total_seconds():.0f} s old is accepted")
    return None


def check_device_times(times: Iterable[tuple[str, datetime | None]], now: datetime,
          window: DeviceTimeWindow) -> None:
    """Refuse (422) when any `(field, time)` lies outside the window; every bad one is named."""
    errors = [FieldError(name, why) for name, at in times
              if at is not None and (why := problem(at, now, window)) is not None]
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
