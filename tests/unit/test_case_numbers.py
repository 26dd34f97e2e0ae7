"""Case numbers (`dispatch.case_numbers`): the day is China Standard Time's, the sequence has four
digits and grows past them, the prefix is one a person can read out, and a report takes its
number from the day's counter in its own transaction (a refused one gives it back)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch.case_numbers import case_number, check_prefix, day_of, normalise
from dispatch.errors import ValidationFailed
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import IN_WEST, OUTSIDE, new_world

US = timedelta(microseconds=1)
MIDNIGHT_CST = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 00:00 on 8 December in Jiyuan


@pytest.mark.parametrize(("at", "day"), [
    (MIDNIGHT_CST - US, date(2026, 12, 7)),   # 23:59:59.999999 in Jiyuan
    (MIDNIGHT_CST, date(2026, 12, 8)),        # midnight: the next day
    (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), date(2026, 12, 7)),  # 08:00 in Jiyuan
])
def test_the_day_of_a_case_is_the_date_in_china_standard_time(at: datetime, day: date) -> None:
    assert day_of(at) == day


def test_a_number_is_prefix_day_and_a_four_digit_sequence_that_grows_past_four() -> None:
    day = date(2026, 12, 7)
    assert case_number("JY311", day, 42) == "JY311-20261207-0042"
    assert case_number("JY311", day, 1) == "JY311-20261207-0001"
    assert case_number("JY311", day, 9999) == "JY311-20261207-9999"
    assert case_number("JY311", day, 10000) == "JY311-20261207-10000"
    with pytest.raises(ValueError, match="counts from 1"):
        case_number("JY311", day, 0)


@pytest.mark.parametrize("prefix", ["JY311", "J", "ABCDEFGHIJK1"])
def test_a_prefix_of_upper_case_letters_and_digits_is_taken(prefix: str) -> None:
    assert check_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["", "jy311", "311JY", "JY-311", "ABCDEFGHIJK12", "JY 311"])
def test_any_other_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="upper-case letters and digits"):
        check_prefix(prefix)


def test_a_number_searched_for_is_trimmed_and_upper_cased() -> None:
    assert normalise("  jy311-20261207-0042\t") == "JY311-20261207-0042"


def test_reports_take_the_days_numbers_in_turn_and_a_failed_one_gives_its_number_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = new_world()
    w.clock.now = MIDNIGHT_CST - timedelta(seconds=2)
    first, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "x", IN_WEST))
    with pytest.raises(ValidationFailed):  # outside every territory: refused, writes nothing
        report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "x", OUTSIDE))

    def fail(*_: object) -> None:
        raise RuntimeError("the disk is full")
    with monkeypatch.context() as m:  # fails after its number was taken: rolled back with it
        m.setattr("dispatch.reporting.plan_in", fail)
        with pytest.raises(RuntimeError):
            report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "x", IN_WEST))
    w.clock.now = MIDNIGHT_CST - US
    second, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "x", IN_WEST))
    w.clock.now = MIDNIGHT_CST
    third, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "x", IN_WEST))
    assert [first.case_number, second.case_number, third.case_number] == [
        "JY311-20261207-0001", "JY311-20261207-0002", "JY311-20261208-0001"]
    assert w.events(first.id)[0].snapshot["case_number"] == "JY311-20261207-0001"


def test_the_prefix_is_the_settings() -> None:
    w = new_world(case_number_prefix="ZZ9")
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "x", IN_WEST))
    assert case.case_number.startswith("ZZ9-20261127-")
