"""The scrubber's edges: a text with several dates and times keeps all of them and the words
between; a list of names too short to match compiles to no pattern and leaves every text as it
was; a name book asked before any version was read still hands back a working scrubber."""

from __future__ import annotations

from dispatch.scrubbing import NameBook, Scrubber, scrub_numbers


def test_every_isolated_date_and_time_stays_with_the_words_between() -> None:
    assert scrub_numbers("12:30 停电, 14:45 修好") == "12:30 停电, 14:45 修好"
    assert scrub_numbers("2026-12-01停电,2026-12-03修好") == "2026-12-01停电,2026-12-03修好"


def test_names_too_short_to_match_change_no_text() -> None:
    scrub = Scrubber(["张", "Li", ""])
    assert scrub.names.count == 0 and scrub.names.pattern is None
    for text in ("今天停电了", "abc def", "a", ""):
        assert scrub(text) == text


def test_a_name_book_first_asked_without_a_version_scrubs() -> None:
    scrub = NameBook().scrubber(None, lambda: [])
    assert scrub("今天停电了") == "今天停电了"
