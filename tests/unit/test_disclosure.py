"""The privacy rule of the public disclosure and its periods, case by case (dispatch.disclosure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point

from dispatch.utc import iso_utc
from dispatch.disclosure import (
    CST, EMAIL_MARK, ID_MARK, NAME_MARK, PHONE_MARK, period, personal_names, public_case, scrub,
)
from dispatch.errors import ValidationFailed
from dispatch.model import Assignment, Incident, Site, User

# -- scrub ---------------------------------------------------------------------------------------
MOBILES = ["13812345678", "19912345678", "138 1234 5678", "138-1234-5678", "+8613812345678",
           "+86 13812345678", "+86-138-1234-5678", "0086 13812345678", "008613812345678"]
LANDLINES = ["0391-6612345", "0391 66123456", "03916612345", "(0391)6612345",
             "(0391) 6612345", "（0391）66123456", "010-12345678".replace("1234", "2234"),
             "6612345", "66123456"]
IDS = ["410881199001011234", "41088119900101123X", "41088119900101123x"]
EMAILS = ["zhang.san@example.com", "a_b+c@mail.example.com.cn", "13812345678@163.com"]


@pytest.mark.parametrize("number", MOBILES)
def test_mobile_numbers_in_every_common_form_go(number: str) -> None:
    assert scrub(f"请联系{number}谢谢") == f"请联系{PHONE_MARK}谢谢"


@pytest.mark.parametrize("number", LANDLINES)
def test_landlines_with_or_without_area_code_go(number: str) -> None:
    assert scrub(f"座机:{number}。") == f"座机:{PHONE_MARK}。"


@pytest.mark.parametrize("number", IDS)
def test_id_card_numbers_go_whole(number: str) -> None:
    assert scrub(f"身份证{number}号") == f"身份证{ID_MARK}号"


@pytest.mark.parametrize("address", EMAILS)
def test_e_mail_addresses_go_whole(address: str) -> None:
    assert scrub(f"邮箱 {address}。") == f"邮箱 {EMAIL_MARK}。"


@pytest.mark.parametrize("text", [
    "2026年11月27日上午8点", "30分钟内到场", "G207国道 K12+300", "1号门", "12345热线",
    "1381234567",  # ten digits: one short of a mobile number
    "138123456789",  # twelve: one past
    "123456",  # six digits: shorter than any local number
    "0123456",  # local numbers do not start with 0 or 1
])
def test_ordinary_figures_stay(text: str) -> None:
    assert scrub(text) == text


def test_a_digit_past_a_mobile_or_an_id_is_not_taken_for_one() -> None:
    assert PHONE_MARK not in (scrub("编号 138123456780") or "")  # 12 digits
    assert ID_MARK not in (scrub("41088119900101123") or "")  # 17 digits: not an ID card
    assert scrub("4108811990010112345") == "4108811990010112345"  # 19 digits: neither


def test_names_go_ignoring_case_longest_first_and_one_letter_names_are_kept() -> None:
    names = ["王氏钢铁厂", "王氏", "Demo-Reporter", "A", None, ""]
    assert scrub("王氏钢铁厂的王氏找 demo-reporter, A 区", names) == \
        f"{NAME_MARK}的{NAME_MARK}找 {NAME_MARK}, A 区"
    assert scrub(None, names) is None


def test_a_name_made_of_regex_characters_is_matched_literally() -> None:
    assert scrub("找 a.b(c) 和 axb", ["a.b(c)"]) == f"找 {NAME_MARK} 和 axb"


def test_personal_names_read_users_and_sites() -> None:
    user = User(username="demo-reporter", password_hash="x", role="reporter",
                display_name="济源示范企业 A")
    site = Site(owner_id="u", name="一号厂区", location=Point(0, 0), address="工业路 1 号")
    assert personal_names(user, site, None) == ["济源示范企业 A", "demo-reporter", "一号厂区",
                                                "工业路 1 号"]


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
    case = public_case(_incident(), ["张三"], now=T0 + timedelta(hours=2))
    assert case["problem"] == f"{NAME_MARK} {PHONE_MARK} 堵路"
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
    assert public_case(inc, [], now=due)["milestones"]["arrival"][1]["on_time"] is None
    assert public_case(inc, [], now=due + timedelta(microseconds=1)
                       )["milestones"]["arrival"][1]["on_time"] is False


def test_an_extended_resolution_is_judged_against_its_first_deadline_and_shows_the_extension(
        ) -> None:
    inc = _incident()
    first = inc.resolve_due
    inc.resolve_due_original, inc.resolve_due = first, first + timedelta(days=3)
    inc.resolved_at = first + timedelta(days=1)  # within the extension, after the first deadline
    resolve = public_case(inc, [], now=first + timedelta(days=2))["milestones"]["resolve"]
    assert resolve == {"due": iso_utc(first), "extended_to": iso_utc(first + timedelta(days=3)),
                       "on_time": False}
    inc.resolved_at = first  # at the first deadline: on time
    assert public_case(inc, [], now=first + timedelta(days=2)
                       )["milestones"]["resolve"]["on_time"] is True
    assert public_case(_incident(), [], now=T0)["milestones"]["resolve"]["extended_to"] is None
