"""The wire form of a time, and China Standard Time, each in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# China Standard Time, UTC+8 all year (no daylight saving): how every time is shown and every
# day counted (the assessment's and the disclosure's periods, the day of a case number). The one
# definition for Python (the pages' is pages/static/shared/time.js).
CST = timezone(timedelta(hours=8), "CST")


def iso_utc(t: datetime) -> str:
    """ISO 8601 in UTC with `Z`, the form the API's response models print.

    A hot path (a map of thousands of cases writes tens of thousands of times): a time already
    in UTC is not converted again, and its `+00:00` is cut rather than searched for."""
    if t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    return t.isoformat()[:-6] + "Z"
