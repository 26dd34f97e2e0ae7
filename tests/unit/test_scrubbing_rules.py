"""The scrubber's rules at their limits (dispatch.scrubbing): how far a digit may sit from a date
and still be glued to it, a hotline glued to letters on either side, and the patterns the module
builds when it loads (dates and times, surnames), called again here: the scrubber compiles them
once at import. The forms of personal data are tests/unit/test_scrubbing.py and its corpus."""

from __future__ import annotations

import re

import pytest

from dispatch import scrubbing
from dispatch.scrubbing import NUMBER_MARK, PHONE_MARK, scrub


# -- a date glued to other digits ------------------------------------------------------------------
@pytest.mark.parametrize(("text", "scrubbed"), [
    # Up to three separators between a digit and a date glue them into one number.
    ("5---2026-12-07", NUMBER_MARK),
    ("2026-12-07---5", NUMBER_MARK),
    ("1234-2026-12-07", NUMBER_MARK),  # four digits before: not a number alone, but glued
    ("1-2026-12-07", NUMBER_MARK),  # at the start of the text
    ("2026-12-07-1", NUMBER_MARK),  # at its end
    # Four separators apart, the date stands alone and the lone digit is no number.
    ("5----2026-12-07", "5----2026-12-07"),
    ("2026-12-07----5", "2026-12-07----5"),
    ("见5----2026-12-07", "见5----2026-12-07"),
])
def test_a_date_is_glued_to_a_digit_up_to_three_separators_away(text: str,
                                                                 scrubbed: str) -> None:
    assert scrub(text) == scrubbed


def test_a_date_far_enough_from_a_phone_number_stays_and_the_number_goes() -> None:
    assert scrub("13812345678 于 2026-12-07") == f"{PHONE_MARK} 于 2026-12-07"
    assert scrub("2026-12-07 由 13812345678") == f"2026-12-07 由 {PHONE_MARK}"


# -- hotlines --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "scrubbed"), [
    ("12345", "12345"), ("拨12345。", "拨12345。"), ("(12345)", "(12345)"),
    ("12345AB", f"{NUMBER_MARK}AB"), ("AB12345", f"AB{NUMBER_MARK}"),
    ("95598x", f"{NUMBER_MARK}x"), ("x95598", f"x{NUMBER_MARK}"),
])
def test_a_hotline_stays_unless_a_letter_or_digit_touches_it(text: str, scrubbed: str) -> None:
    assert scrub(text) == scrubbed


# -- the patterns built at import ------------------------------------------------------------------
def test_the_date_pattern_is_the_one_compiled() -> None:
    assert scrubbing.DATE_OR_TIME.pattern == scrubbing._date_pattern()


@pytest.mark.parametrize("text", [
    "2026-12-07", "2026/12/7", "2026.12.07", "2026-12", "1999-1", "2026 - 12 - 07",
    "2026-12-07T08:00", "2026-12-07 08:00:59", "12:30", "0:00", "23:59", "8:00~12:00",
    "2026-12-07至2026-12-14", "10:00 - 11:00", "2026-12-31", "2026-10-01", "2026-12-30",
    "2026-12-19", "2026-12-29 09:09",
])
def test_the_date_pattern_matches_dates_and_times_whole(text: str) -> None:
    assert re.fullmatch(scrubbing._date_pattern(), text), text


@pytest.mark.parametrize("text", [
    "2026-13-07", "2026-12-32", "1899-12-07", "2100-12-07", "24:00", "12:60", "2026-00",
    "2026-12-07T25:00", "2026-1207", "12:30:60",
])
def test_the_date_pattern_refuses_what_is_no_date(text: str) -> None:
    assert re.fullmatch(scrubbing._date_pattern(), text) is None, text


def test_a_surname_pattern_leaves_out_what_it_excludes() -> None:
    pattern = scrubbing._surname(set("王"))
    assert re.fullmatch(pattern, "李") and re.fullmatch(pattern, "欧阳")
    assert re.fullmatch(pattern, "王") is None and re.fullmatch(pattern, "X") is None
    every = scrubbing._surname(set())
    assert all(re.fullmatch(every, c) for c in scrubbing._SURNAMES)
    assert scrubbing.TITLED.pattern.startswith(scrubbing._surname(scrubbing._FUNCTION_WORDS))
    assert scrubbing.WEAK_LABEL.pattern.find(scrubbing._surname(scrubbing._AMBIGUOUS)) > 0
