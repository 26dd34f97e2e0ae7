"""The public record of a case and its periods, case by case (dispatch.disclosure); the scrubber
itself is tests/unit/test_scrubbing.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point

from dispatch.utc import CST, iso_utc
from dispatch.disclosure import period, public_case
from dispatch.errors import ValidationFailed
from dispatch.model import Assignment, Incident
from dispatch.scrubbing import NAME_MARK, PHONE_MARK, Scrubber

NONE = Scrubber()

# -- periods -------------------------------------------------------------------------------------
def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_week_runs_monday_to_monday_in_china_standard_time() -> None:
    p = period("2026-W48", None, _utc(2026, 11, 27))
    assert (p.label, p.start, p.end) == ("2026-W48", _utc(2026, 11, 22, 16), _utc(2026, 11, 29, 16))


def test_a_month_runs_to_the_first_of_the_next_and_december_into_january() -> None:
    p = period(None, "2026-12", _utc(2026, 11, 27))
    assert (p.start, p.end) == (_utc(2026, 11, 30, 16), _utc(2026, 12, 31, 16))


@pytest.mark.parametrize(("now", "label"), [
    (datetime(2026, 11, 30, 0, 0, tzinfo=CST), "2026-W48"),  # Monday 00:00: W48 just ended
    (datetime(2026, 11, 29, 23, 59, 59, tzinfo=CST), "2026-W47"),  # a second before it
    (datetime(2026, 1, 1, 12, tzinfo=CST), "2025-W52"),  # across a year
])
def test_the_default_is_the_last_complete_week_in_jiyuan(now: datetime, label: str) -> None:
    assert period(None, None, now.astimezone(UTC)).label == label


@pytest.mark.parametrize(("week", "month", "field"), [
    ("2026-W54", None, "week"), ("2025-W53", None, "week"), ("2026-W00", None, "week"),
    ("1999-W52", None, "week"), ("3000-W01", None, "week"), ("2026W48", None, "week"),
    ("2026-w48", None, "week"), (None, "2026-13", "month"), (None, "2026-00", "month"),
    (None, "1999-12", "month"), (None, "3000-01", "month"), (None, "2026-1", "month"),
    ("2026-W48", "2026-11", "week"),
])
def test_bad_periods_are_refused_naming_the_field(week: str | None, month: str | None,
                                                  field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        period(week, month, _utc(2026, 11, 27))
    assert [e.field for e in exc.value.errors] == [field]


@pytest.mark.parametrize(("week", "month"), [
    ("2026-W53", None), ("2026-W01", None), ("2000-W01", None), ("2999-W52", None),
    (None, "2000-01"), (None, "2999-12"), (None, "2026-01")])
def test_periods_at_the_limits_are_accepted(week: str | None, month: str | None) -> None:
    p = period(week, month, _utc(2026, 11, 27))
    assert p.end > p.start


# -- the published record ------------------------------------------------------------------------
T0 = _utc(2026, 11, 27, 2)


def _incident() -> Incident:
    inc = Incident(category="road_blocked", description="张三 13812345678 堵路",
                   location=Point(112.5, 35.1), reporter_id="r", territory_code="419001102",
                   territory_name="轵城镇", boundary_set_id=1, received_at=T0,
                   arrival_due=T0 + timedelta(minutes=30), restore_due=T0 + timedelta(hours=1),
                   resolve_due=T0 + timedelta(days=7), site_id="s1")
    inc.assignments = [Assignment("419001102", "轵城镇", "territory", T0 + timedelta(minutes=30),
                                  arrived_at=T0 + timedelta(minutes=30)),
                       Assignment("traffic_police", "交警", "department",
                                  T0 + timedelta(minutes=30))]
    inc.restored_at = T0 + timedelta(hours=1, microseconds=1)
    return inc


def test_the_record_judges_each_milestone_and_carries_nothing_personal() -> None:
    inc = _incident()
    inc.resolve_note = "张三 13812345678 已疏通"
    case = public_case(inc, Scrubber(["张三"]), now=T0 + timedelta(hours=2))
    # No free text until a commander reviewed it: the category's words, the status's.
    assert case["problem"] == "堵路" and case["result"]["note"] is None
    assert case["result"]["status_name"] == "已受理"
    assert case["territory"] == {"code": "419001102", "name": "轵城镇"}
    # At the deadline is on time; the department never came and its deadline passed.
    assert [a["on_time"] for a in case["milestones"]["arrival"]] == [True, False]
    assert case["milestones"]["restore"]["on_time"] is False  # a microsecond late
    assert case["milestones"]["resolve"]["on_time"] is None  # open, not yet due
    assert set(case) == {"id", "case_number", "received_at", "category", "category_name",
                         "territory",
                         "problem", "result", "milestones"}


def test_an_unmet_deadline_is_open_at_its_instant_and_missed_just_after() -> None:
    inc = _incident()
    due = inc.assignments[1].arrival_due
    assert public_case(inc, NONE, now=due)["milestones"]["arrival"][1]["on_time"] is None
    assert public_case(inc, NONE, now=due + timedelta(microseconds=1)
                       )["milestones"]["arrival"][1]["on_time"] is False


def test_an_extended_resolution_is_judged_against_its_first_deadline_and_shows_the_extension(
        ) -> None:
    inc = _incident()
    first = inc.resolve_due
    inc.resolve_due_original, inc.resolve_due = first, first + timedelta(days=3)
    inc.resolved_at = first + timedelta(days=1)  # within the extension, after the first deadline
    resolve = public_case(inc, NONE, now=first + timedelta(days=2))["milestones"]["resolve"]
    assert resolve == {"due": iso_utc(first), "extended_to": iso_utc(first + timedelta(days=3)),
                       "on_time": False}
    inc.resolved_at = first  # at the first deadline: on time
    assert public_case(inc, NONE, now=first + timedelta(days=2)
                       )["milestones"]["resolve"]["on_time"] is True
    assert public_case(_incident(), NONE, now=T0)["milestones"]["resolve"]["extended_to"] is None


def test_the_reviewed_text_is_published_and_still_scrubbed() -> None:
    inc = _incident()
    inc.public_problem, inc.public_result = "张三反映堵路,电话13812345678", "联系人李四:已疏通"
    case = public_case(inc, Scrubber(["张三"]), now=T0)
    assert case["problem"] == f"{NAME_MARK}反映堵路,电话{PHONE_MARK}"
    assert case["result"]["note"] == f"联系人{NAME_MARK}:已疏通"
    inc.public_problem = inc.public_result = None  # cleared: the category's words again
    case = public_case(inc, Scrubber(["张三"]), now=T0)
    assert case["problem"] == "堵路" and case["result"]["note"] is None


# -- every field of the record, and the refusals word for word -------------------------------------
def test_the_whole_record_of_a_solved_case() -> None:
    inc = _incident()
    inc.id = "c1"
    inc.status = "closed"
    inc.resolved_at = T0 + timedelta(days=2)
    inc.closed_at = T0 + timedelta(days=3)
    inc.public_result = "已疏通"
    case = public_case(inc, NONE, now=T0 + timedelta(days=9))
    assert case == {
        "id": "c1", "case_number": "", "received_at": "2026-11-27T02:00:00Z",
        "category": "road_blocked",
        "category_name": "堵路", "territory": {"code": "419001102", "name": "轵城镇"},
        "problem": "堵路",
        "result": {"status": "closed", "status_name": "已办结", "note": "已疏通",
                   "resolved_at": "2026-11-29T02:00:00Z", "closed_at": "2026-11-30T02:00:00Z"},
        "milestones": {
            "arrival": [
                {"unit": {"code": "419001102", "name": "轵城镇", "kind": "territory"},
                 "due": "2026-11-27T02:30:00Z", "on_time": True},
                {"unit": {"code": "traffic_police", "name": "交警", "kind": "department"},
                 "due": "2026-11-27T02:30:00Z", "on_time": False}],
            "restore": {"due": "2026-11-27T03:00:00Z", "on_time": False},
            "resolve": {"due": "2026-12-04T02:00:00Z", "extended_to": None, "on_time": True},
        },
    }


def test_an_open_case_has_no_times_of_its_result_yet() -> None:
    inc = _incident()
    result = public_case(inc, NONE, now=T0)["result"]
    assert (result["resolved_at"], result["closed_at"]) == (None, None)


def test_an_unknown_category_or_status_reads_as_its_code() -> None:
    inc = _incident()
    inc.category, inc.status = "landslide", "frozen"
    case = public_case(inc, NONE, now=T0)
    assert (case["category_name"], case["problem"]) == ("landslide", "landslide")
    assert case["result"]["status_name"] == "frozen"


def test_a_text_the_scrubber_empties_falls_back_to_the_category_s_words() -> None:
    inc = _incident()
    inc.public_problem, inc.public_result = "张三", "张三"
    case = public_case(inc, lambda text: "", now=T0)
    assert (case["problem"], case["result"]["note"]) == ("堵路", None)
    seen: list[str | None] = []
    public_case(inc, lambda text: seen.append(text) or text, now=T0)
    assert seen == ["张三", "张三"]  # each reviewed text passes the scrubber


@pytest.mark.parametrize(("week", "month", "field", "message"), [
    ("2026-W48", "2026-11", "week", "give a week or a month, not both"),
    ("2026W48", None, "week", "an ISO week such as 2026-W48"),
    ("2026-W54", None, "week", "2026 has no week 54"),
    ("1999-W52", None, "week", "the year is 2000 to 2999"),
    (None, "2026-1", "month", "a month such as 2026-11"),
    (None, "2026-13", "month", "the month is 01 to 12"),
    (None, "3000-01", "month", "the year is 2000 to 2999"),
])
def test_a_refused_period_says_why(week: str | None, month: str | None, field: str,
                                   message: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        period(week, month, _utc(2026, 11, 27))
    assert [(e.field, e.message) for e in exc.value.errors] == [(field, message)]


@pytest.mark.parametrize(("week", "month", "start", "end"), [
    ("2026-W01", None, _utc(2025, 12, 28, 16), _utc(2026, 1, 4, 16)),
    ("2026-W53", None, _utc(2026, 12, 27, 16), _utc(2027, 1, 3, 16)),
    (None, "2026-01", _utc(2025, 12, 31, 16), _utc(2026, 1, 31, 16)),
    (None, "2026-02", _utc(2026, 1, 31, 16), _utc(2026, 2, 28, 16)),
    (None, "2026-11", _utc(2026, 10, 31, 16), _utc(2026, 11, 30, 16)),
])
def test_a_period_s_instants_and_label(week: str | None, month: str | None, start: datetime,
                                       end: datetime) -> None:
    p = period(week, month, _utc(2026, 11, 27))
    assert (p.label, p.start, p.end) == (week or month, start, end)


def test_the_default_week_is_read_in_china_standard_time() -> None:
    # Monday 30 November 00:30 in Jiyuan is still Sunday in UTC: the last complete week is W48.
    p = period(None, None, datetime(2026, 11, 29, 16, 30, tzinfo=UTC))
    assert (p.label, p.start, p.end) == ("2026-W48", _utc(2026, 11, 22, 16), _utc(2026, 11, 29, 16))


def test_a_restore_at_its_deadline_is_published_on_time() -> None:
    inc = _incident()
    inc.restored_at = inc.restore_due
    case = public_case(inc, NONE, now=T0 + timedelta(days=1))
    assert case["milestones"]["restore"] == {"due": "2026-11-27T03:00:00Z", "on_time": True}
