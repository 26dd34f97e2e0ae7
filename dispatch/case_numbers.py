"""A case number people can read out on the phone: `JY311-20261207-0042`.

Why: the internal id is 32 hex digits, which nobody reads to a call-taker. The number is the
city's prefix (`DISPATCH_CASE_NUMBER_PREFIX`), the day the case was received in China Standard
Time, and that day's sequence, 4 digits (a 10,000th case of one day gets 5). The sequence comes
from one counter row per day, taken in the report's own transaction
(`dispatch.storage.case_numbers`): two web processes never hand out the same number, and a
report that is refused or rolls back gives its number back, so a day's numbers have no gaps.

Pure: the day and the sequence are passed in.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dispatch.utc import CST

# Upper-case letters and digits, starting with a letter: read out and typed without ambiguity.
PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,11}")
NUMBER = re.compile(r"[A-Z][A-Z0-9]{0,11}-[0-9]{8}-[0-9]{4,}")


def check_prefix(prefix: str) -> str:
    """The prefix, or ValueError saying what one may be."""
    if not PREFIX.fullmatch(prefix):
        raise ValueError(f"{prefix!r}: 1 to 12 upper-case letters and digits, starting with a "
                         "letter (e.g. JY311)")
    return prefix


def day_of(at: datetime) -> date:
    """The day of the case: the date in China Standard Time (16:00 UTC starts a new one)."""
    return at.astimezone(CST).date()


def day_key(day: date) -> str:
    """The counter row's key: YYYYMMDD."""
    return f"{day:%Y%m%d}"


def case_number(prefix: str, day: date, sequence: int) -> str:
    """`JY311-20261207-0042`; the sequence counts from 1."""
    if sequence < 1:
        raise ValueError(f"a day's sequence counts from 1, not {sequence}")
    return f"{prefix}-{day_key(day)}-{sequence:04d}"


def normalise(text: str) -> str:
    """What a search by number compares: the text trimmed and upper-cased (a number read out
    and typed as `jy311-20261207-0042 ` finds its case)."""
    return text.strip().upper()
