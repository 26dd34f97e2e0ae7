"""The wire form of a time, in one place."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(t: datetime) -> str:
    """ISO 8601 in UTC with `Z`, the form the API's response models print."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
