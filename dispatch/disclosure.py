"""What the public may read of a case (受理案件定期公布制度), and which period it asks for.

Pure functions, so that the privacy rule is tested on its own, case by case, without a server:
- `scrub` takes personal data out of free text before it is published: Chinese mobile numbers
  (1[3-9]x, with +86 / 0086, spaces or dashes), landlines (0xx(x)-xxxxxxx(x), the area code with
  or without a dash or parentheses, or left out), 18-digit ID-card numbers (the last character may
  be X), e-mail addresses, and the names it is given (the reporter's display name and username,
  the site's name and address). Over-scrubbing is the safe side: an 8-digit figure that looks like
  a local number goes too.
- `public_case` is the published record: the location only to the territory, the problem and the
  result scrubbed, whether each milestone was met on time; no names, photos or coordinates.
- `period` reads `?week=2026-W48` / `?month=2026-11` in China Standard Time; by default the
  last complete week.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dispatch.clock import is_overdue, on_time, resolve_basis
from dispatch.errors import ValidationFailed
from dispatch.model import Incident
from dispatch.utc import CST as CST  # re-exported: the modules that read periods use it
from dispatch.utc import iso_utc

# Names shorter than this are not scrubbed as such: one character would blank every word.
MIN_NAME_LENGTH = 2
FIRST_YEAR, LAST_YEAR = 2000, 2999  # the periods one may ask for

CATEGORY_NAMES = {"gate_blocked": "围门", "road_blocked": "堵路", "water_cut": "断水",
                  "power_cut": "断电", "other": "其他"}
STATUS_NAMES = {"reported": "已受理", "dispatched": "已派发", "on_site": "已到场",
                "restored": "已恢复秩序", "resolved": "已解决", "closed": "已办结",
                "reopened": "退回重办"}

_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?<![0-9])", r"(?![0-9])"
_SEP = r"[ \t\-]?"
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
ID_CARD = re.compile(_NOT_DIGIT_BEFORE + r"[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(_NOT_DIGIT_BEFORE + r"(?:(?:\+|00)86" + _SEP + r")?"
                    + r"1[3-9][0-9]" + _SEP + r"[0-9]{4}" + _SEP + r"[0-9]{4}" + _NOT_DIGIT_AFTER)
# The area code (0 and 2-3 digits) bare, in ASCII or full-width parentheses, then an optional
# dash or space; local numbers start with 2-9 and have 7 or 8 digits.
LANDLINE = re.compile(_NOT_DIGIT_BEFORE + r"(?:(?:0[0-9]{2,3}|\(0[0-9]{2,3}\)|（0[0-9]{2,3}）)"
                      + _SEP + r")?" + r"[2-9][0-9]{6,7}" + _NOT_DIGIT_AFTER)

NAME_MARK, EMAIL_MARK, ID_MARK, PHONE_MARK = "[姓名]", "[邮箱]", "[身份证号]", "[电话]"


def scrub(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """`text` with the personal data above replaced by a bracketed mark (None stays None).

    Names are matched as written, ignoring case, longest first (so a site named after its owner
    goes whole); e-mails before numbers (an address may hold a phone number); ID cards before
    phones (an ID holds what looks like one)."""
    if text is None:
        return None
    names_pattern = _names_pattern(tuple(n for n in names if n))
    out = names_pattern.sub(NAME_MARK, text) if names_pattern is not None else text
    out = EMAIL.sub(EMAIL_MARK, out)
    out = ID_CARD.sub(ID_MARK, out)
    out = MOBILE.sub(PHONE_MARK, out)
    return LANDLINE.sub(PHONE_MARK, out)


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of the names, longest first, matched ignoring case (compiled once per
    set of names: a period's cases share their reporters)."""
    wanted = sorted({n.strip() for n in names if len(n.strip()) >= MIN_NAME_LENGTH},
                    key=lambda n: (-len(n), n))
    if not wanted:
        return None
    return re.compile("|".join(re.escape(n) for n in wanted), re.IGNORECASE)


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


def personal_names(*people: Any) -> list[str]:
    """The names to scrub for these users and sites (any object with some of `display_name`,
    `username`, `name`, `address`; None is skipped)."""
    out: list[str] = []
    for p in people:
        for attr in ("display_name", "username", "name", "address"):
            value = getattr(p, attr, None) if p is not None else None
            if isinstance(value, str) and value:
                out.append(value)
    return out


def public_case(incident: Incident, names: Iterable[str], now: datetime) -> dict[str, Any]:
    """The published record of one case: nothing about a person, the place only to its
    territory, free text scrubbed of `names` and of numbers and e-mails (`scrub`)."""
    wanted = list(names)
    inc = incident
    original = resolve_basis(inc.resolve_due, inc.resolve_due_original)

    def iso(t: datetime | None) -> str | None:
        return None if t is None else iso_utc(t)

    return {
        "id": inc.id,
        "case_number": inc.case_number,
        "received_at": iso_utc(inc.received_at),
        "category": inc.category,
        "category_name": CATEGORY_NAMES.get(inc.category, inc.category),
        "territory": {"code": inc.territory_code, "name": inc.territory_name},
        "problem": scrub(inc.description, wanted),
        "result": {
            "status": str(inc.status),
            "status_name": STATUS_NAMES.get(str(inc.status), str(inc.status)),
            "note": scrub(inc.resolve_note, wanted),
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
