"""The wire form of a time, in one place."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(t: datetime) -> str:
    """ISO 8601 in UTC with `Z`, the form the API's response models print.

    A hot path (a map of thousands of cases writes tens of thousands of times): a time already
    in UTC is not converted again, and its `+00:00` is cut rather than searched for."""
    if t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    return t.isoformat()[:-6] + "Z"
