"""What the public may read of a case (受理案件定期公布制度), and which period it asks for.

Pure functions, so that the privacy rule is tested on its own, case by case, without a server:
- `public_case` is the published record: the location only to the territory, whether each
  milestone was met on time; no names, photos or coordinates. Its text is in two layers: no free
  text by default (the problem is the category's words, the result the status's), and the text
  a commander reviewed (`Incident.public_problem`, `public_result`) once there is one, still
  passed through the scrubber (`dispatch.scrubbing`) before it goes out.
- `period` reads `?week=2026-W48` / `?month=2026-11` in China Standard Time; by default the
  last complete week.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dispatch import labels
from dispatch.clock import is_overdue, on_time, resolve_basis
from dispatch.errors import ValidationFailed
from dispatch.model import Incident
from dispatch.utc import CST as CST  # re-exported: the modules that read periods use it
from dispatch.utc import iso_utc

FIRST_YEAR, LAST_YEAR = 2000, 2999  # the periods one may ask for

Scrub = Callable[[str | None], str | None]


def public_problem(inc: Incident, scrubber: Scrub) -> str:
    """The reviewed problem, scrubbed; else the category's words."""
    reviewed = scrubber(inc.public_problem) if inc.public_problem else None
    return reviewed or category_name(inc.category)


def category_name(code: str) -> str:
    """A category as the public reads it: the catalogue's word (zh-CN, the disclosure's
    language)."""
    return labels.name("categories", code)


def status_name(code: str) -> str:
    return labels.name("statuses", code)


def public_result(inc: Incident, scrubber: Scrub) -> str | None:
    """The reviewed result, scrubbed; else None (the status's words say it)."""
    return (scrubber(inc.public_result) or None) if inc.public_result else None


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and how it was asked for (`2026-W48`, `2026-11`)."""

    label: str
    start: datetime
    end: datetime


_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def period(week: str | None, month: str | None, now: datetime) -> Period:
    """The publication period asked for, in China Standard Time; by default the last complete
    week (Monday 00:00 to Monday 00:00, the week before the one `now` falls in)."""
    if week is not None and month is not None:
        raise ValidationFailed.on("week", "give a week or a month, not both")
    if week is not None:
        return _week(week)
    if month is not None:
        return _month(month)
    today = now.astimezone(CST).date()
    monday = today - timedelta(days=today.weekday() + 7)
    year, number, _ = monday.isocalendar()
    return _week(f"{year:04d}-W{number:02d}")


def _week(text: str) -> Period:
    m = _WEEK.fullmatch(text)
    if m is None:
        raise ValidationFailed.on("week", "an ISO week such as 2026-W48")
    year, number = int(m[1]), int(m[2])
    _year_in_range("week", year)
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValidationFailed.on("week", f"{year} has no week {number}") from None
    return Period(text, _midnight(monday), _midnight(monday + timedelta(days=7)))


def _month(text: str) -> Period:
    m = _MONTH.fullmatch(text)
    if m is None:
        raise ValidationFailed.on("month", "a month such as 2026-11")
    year, number = int(m[1]), int(m[2])
    _year_in_range("month", year)
    if not 1 <= number <= 12:
        raise ValidationFailed.on("month", "the month is 01 to 12")
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(text, _midnight(date(year, number, 1)), _midnight(following))


def _year_in_range(field: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed.on(field, f"the year is {FIRST_YEAR} to {LAST_YEAR}")


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CST).astimezone(UTC)


def _judged(done_at: datetime | None, due: datetime, now: datetime) -> bool | None:
    """True or False once it can be said (met, or overdue unmet); None while still open."""
    if done_at is not None:
        return on_time(done_at, due)
    return False if is_overdue(done_at, due, now) else None


def public_case(incident: Incident, scrubber: Scrub, now: datetime) -> dict[str, Any]:
    """The published record of one case: nothing about a person, the place only to its
    territory, free text only as a commander reviewed it, and scrubbed (`scrubber`)."""
    inc = incident
    original = resolve_basis(inc.resolve_due, inc.resolve_due_original)

    def iso(t: datetime | None) -> str | None:
        return None if t is None else iso_utc(t)

    return {
        "id": inc.id,
        "case_number": inc.case_number,
        "received_at": iso_utc(inc.received_at),
        "category": inc.category,
        "category_name": category_name(inc.category),
        "territory": {"code": inc.territory_code, "name": inc.territory_name},
        "problem": public_problem(inc, scrubber),
        "result": {
            "status": str(inc.status),
            "status_name": status_name(str(inc.status)),
            "note": public_result(inc, scrubber),
            "resolved_at": iso(inc.resolved_at),
            "closed_at": iso(inc.closed_at),
        },
        "milestones": {
            "arrival": [{"unit": {"code": a.unit_code, "name": a.unit_name, "kind": a.kind},
                         "due": iso_utc(a.arrival_due),
                         "on_time": _judged(a.arrived_at, a.arrival_due, now)}
                        for a in inc.assignments],
            "restore": {"due": iso_utc(inc.restore_due),
                        "on_time": _judged(inc.restored_at, inc.restore_due, now)},
            # Judged against the deadline first set, as the assessment judges it; an extension
            # is shown, not taken as the deadline.
            "resolve": {"due": iso_utc(original),
                        "extended_to": None if inc.resolve_due == original
                        else iso_utc(inc.resolve_due),
                        "on_time": _judged(inc.resolved_at, original, now)},
        },
    }
