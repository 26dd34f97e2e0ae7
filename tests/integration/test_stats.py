"""The units' assessment on a seeded period, built with the fake clock through HTTP: several
units, on time and late, reopened, extended, complained, central assignment, satisfied /
unsatisfied / no feedback. The JSON agrees with a hand count, and the CSV and XLSX agree with the
JSON; scope by role; bad periods refused naming the field."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from dispatch import deadlines, labels
from dispatch.assessment import COLUMNS
from tests.conftest import START
from tests.helpers import KEJING, ZHICHENG, location, report, seat

PS = "power_supply"
URL = "/api/v1/stats/units"
PERIOD = "?from=2026-11-01&to=2026-11-30"


class Seeder:
    def __init__(self, client: Any, login: Any, ctx: Any, clock: Any) -> None:
        self.client, self.login, self.ctx, self.clock = client, login, ctx, clock

    def at(self, when: datetime) -> None:
        """Move the clock and let every due timer fire, as the sweep would."""
        self.clock.set(when)
        deadlines.fire_due_timers(self.ctx)

    def report(self, category: str, code: str) -> str:
        r = report(self.client, self.login("demo-reporter"), category=category, code=code)
        assert r.status_code == 201, r.get_json()
        return str(r.get_json()["id"])

    def post(self, who: str, path: str, **body: Any) -> dict[str, Any]:
        r = self.client.post(f"/api/v1/incidents/{path}", headers=self.login(who), json=body)
        assert r.status_code in (200, 201), (path, r.get_json())
        return dict(r.get_json())

    def check_in(self, inc: str, unit: str, code: str) -> None:
        lon, lat = seat(code)
        self.post(f"officer-{unit}", f"{inc}/check-in", location=location(lon, lat))


def seed(s: Seeder) -> None:
    """The period of the hand count in `EXPECTED` (T = the report's time, 10:00 CST)."""
    t = START
    s.clock.set(datetime(2026, 10, 31, 15, 59, 59, 999999, tzinfo=UTC))
    s.report("other", KEJING)              # E: 23:59:59.999999 CST on 31 October: outside
    s.clock.set(datetime(2026, 10, 31, 16, 0, tzinfo=UTC))
    s.report("other", KEJING)              # F: midnight CST, 1 November: inside, never worked
    s.clock.set(t)
    a = s.report("power_cut", ZHICHENG)   # A: Z and PS
    b = s.report("power_cut", KEJING)     # B: K and PS
    c = s.report("other", ZHICHENG)       # C: Z alone
    for _ in range(3):
        s.report("other", ZHICHENG)       # D1-D3: Z, never worked
    s.at(t + timedelta(minutes=5))
    s.check_in(a, ZHICHENG, ZHICHENG)
    s.at(t + timedelta(minutes=10))
    s.check_in(b, KEJING, KEJING)
    s.check_in(b, PS, KEJING)
    s.at(t + timedelta(minutes=20))
    s.check_in(c, ZHICHENG, ZHICHENG)
    s.at(t + timedelta(minutes=30))
    s.post(f"officer-{ZHICHENG}", f"{c}/restore", note="ok")
    s.at(t + timedelta(minutes=40))       # PS late on A: recorded, then arrives
    s.check_in(a, PS, ZHICHENG)
    s.at(t + timedelta(minutes=50))
    s.post(f"officer-{PS}", f"{a}/restore", note="ok")
    s.at(t + timedelta(minutes=70))       # B restored late: recorded for K and PS
    s.post(f"officer-{KEJING}", f"{b}/restore", note="ok")
    s.at(t + timedelta(hours=2))
    s.post(f"officer-{PS}", f"{a}/resolve", note="ok")
    s.post("demo-reporter", f"{a}/feedback", satisfied=True, rating=5)
    s.post(f"dispatcher-{PS}", f"{b}/extend", reason="等待变压器",
           until=(t + timedelta(days=9)).isoformat())
    s.post("demo-reporter", f"{b}/complaints", text="太慢")
    person = s.client.post("/api/v1/auth/token", json={
        "username": f"officer-{ZHICHENG}", "password": "demo"}).get_json()["user_id"]
    s.post("demo-commander", f"{c}/assign", unit=ZHICHENG, person=person,
           due=(t + timedelta(days=2)).isoformat())
    s.at(t + timedelta(days=1))
    s.post(f"officer-{ZHICHENG}", f"{c}/resolve", note="ok")
    s.post("demo-reporter", f"{c}/complaints", text="态度不好")
    s.post("demo-commander", f"{c}/complaints/1/reply", reply="已批评教育")
    s.post("demo-reporter", f"{c}/feedback", satisfied=True, rating=4)
    s.at(t + timedelta(days=8))           # B solved after its original deadline
    s.post(f"officer-{PS}", f"{b}/resolve", note="ok")
    s.post("demo-reporter", f"{b}/feedback", satisfied=False, rating=2)
    s.at(t + timedelta(days=8, hours=1))
    s.post(f"officer-{KEJING}", f"{b}/resolve", note="again")
    s.at(t + timedelta(days=12))          # B's follow-up unanswered: closed, no feedback


ZERO = dict(cases=0, too_few_cases=True, score=None, response_rate=None, completion_rate=None,
            resolution_rate=None, satisfaction_rate=None, arrivals_decided=0,
            arrivals_on_time=0, arrival_median_s=None, arrival_p90_s=None, restores_decided=0,
            restores_on_time=0, restore_rate=None, restore_median_s=None, restore_p90_s=None,
            resolutions_decided=0, resolutions_on_time=0, resolve_median_s=None,
            resolve_p90_s=None, closed=0, closed_resolved=0, overdue_records=0, reopenings=0,
            extensions=0, complaints=0, centrally_assigned=0, feedback_answered=0,
            feedback_satisfied=0, mean_rating=None)
B_SOLVED_S = (timedelta(days=8, hours=1)).total_seconds()
# The hand count (see `seed`): Z has A, C, D1-D3; K has B, F; PS has A, B.
EXPECTED = {
    ZHICHENG: dict(
        rank=1, cases=5, too_few_cases=False, score=0.7, response_rate=0.4,
        completion_rate=0.4, resolution_rate=1.0, satisfaction_rate=1.0, arrivals_decided=5,
        arrivals_on_time=2, arrival_median_s=750.0, arrival_p90_s=1200.0, restores_decided=5,
        restores_on_time=2, restore_rate=0.4, restore_median_s=2400.0, restore_p90_s=3000.0,
        resolutions_decided=5, resolutions_on_time=2, resolve_median_s=46800.0,
        resolve_p90_s=86400.0, closed=2, closed_resolved=2, overdue_records=9, reopenings=0,
        extensions=0, complaints=1, centrally_assigned=1, feedback_answered=2,
        feedback_satisfied=2, mean_rating=4.5),
    PS: dict(
        rank=2, cases=2, too_few_cases=True, score=0.625, response_rate=0.5,
        completion_rate=1.0, resolution_rate=0.5, satisfaction_rate=0.5, arrivals_decided=2,
        arrivals_on_time=1, arrival_median_s=1500.0, arrival_p90_s=2400.0, restores_decided=2,
        restores_on_time=1, restore_rate=0.5, restore_median_s=3600.0, restore_p90_s=4200.0,
        resolutions_decided=2, resolutions_on_time=2, resolve_median_s=(7200 + B_SOLVED_S) / 2,
        resolve_p90_s=B_SOLVED_S, closed=2, closed_resolved=1, overdue_records=2,
        reopenings=1, extensions=1, complaints=1, centrally_assigned=0, feedback_answered=2,
        feedback_satisfied=1, mean_rating=3.5),
    KEJING: dict(
        rank=3, cases=2, too_few_cases=True, score=0.25, response_rate=0.5,
        completion_rate=0.5, resolution_rate=0.0, satisfaction_rate=0.0, arrivals_decided=2,
        arrivals_on_time=1, arrival_median_s=600.0, arrival_p90_s=600.0, restores_decided=2,
        restores_on_time=0, restore_rate=0.0, restore_median_s=4200.0, restore_p90_s=4200.0,
        resolutions_decided=2, resolutions_on_time=1, resolve_median_s=B_SOLVED_S,
        resolve_p90_s=B_SOLVED_S, closed=1, closed_resolved=0, overdue_records=4,
        reopenings=1, extensions=1, complaints=1, centrally_assigned=0, feedback_answered=1,
        feedback_satisfied=0, mean_rating=2.0),
}


@pytest.fixture
def seeded(client, login, ctx, clock):  # type: ignore[no-untyped-def]
    seed(Seeder(client, login, ctx, clock))


def _json(client, login, who: str = "demo-commander", query: str = PERIOD):  # type: ignore[no-untyped-def]
    r = client.get(URL + query, headers=login(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_assessment_agrees_with_a_hand_count_and_ranks_the_units(seeded, client, login):
    body = _json(client, login)
    assert body["period"] == {"from": "2026-10-31T16:00:00Z", "to": "2026-11-30T16:00:00Z"}
    assert body["min_cases"] == 5
    rows = {row["unit"]: row for row in body["units"]}
    for unit, expected in EXPECTED.items():
        got = {k: rows[unit][k] for k in expected}
        assert got == pytest.approx(expected), unit
    # Every other unit is listed, empty, after the ranked ones, by code.
    rest = body["units"][3:]
    assert [r["rank"] for r in body["units"]] == list(range(1, len(body["units"]) + 1))
    assert [r["unit"] for r in rest] == sorted(r["unit"] for r in rest)
    for row in rest:
        assert {k: row[k] for k in ZERO} == ZERO


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    """The CSV's rows keyed by column code (its header row names the columns; see below)."""
    header, *lines = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert header == labels.headers(COLUMNS)
    return [dict(zip(COLUMNS, line, strict=True)) for line in lines]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def test_a_unit_scored_zero_ranks_above_the_units_without_a_score(client, login, ctx, clock):
    """One case, every deadline of it missed: its two units score 0.0, which is a score, and
    rank above every unit with none, whatever their codes (power_supply sorts after most)."""
    s = Seeder(client, login, ctx, clock)
    s.clock.set(START)
    s.report("power_cut", ZHICHENG)
    s.at(START + timedelta(days=8))
    units = _json(client, login)["units"]
    assert [(r["unit"], r["score"]) for r in units[:2]] == [(ZHICHENG, 0.0), (PS, 0.0)]
    assert all(r["too_few_cases"] for r in units)  # one case each: the minimum plays no part
    assert [r["score"] for r in units[2:]] == [None] * (len(units) - 2)
    assert [r["rank"] for r in units] == list(range(1, len(units) + 1))


def test_csv_and_xlsx_carry_the_same_figures_as_the_json(seeded, client, login):
    rows = _json(client, login)["units"]
    head = login("demo-commander")
    r = client.get(URL + PERIOD + "&format=csv", headers=head)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    from_csv = _csv_rows(r.data)
    negotiated = client.get(URL + PERIOD, headers={**head, "Accept": "text/csv"})
    assert negotiated.mimetype == "text/csv" and _csv_rows(negotiated.data) == from_csv
    assert set(rows[0]) == set(COLUMNS)  # (the header row holds them in the documented order)
    assert from_csv == [{k: _cell(v) for k, v in row.items()} for row in rows]

    x = client.get(URL + PERIOD + "&format=xlsx", headers=head)
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(x.data)).active
    table = [list(r) for r in sheet.iter_rows(values_only=True, max_col=len(COLUMNS))]
    assert table[0] == labels.headers(COLUMNS)
    assert [dict(zip(COLUMNS, line, strict=True)) for line in table[1:]] == rows


def test_the_exports_header_row_names_the_columns_in_the_language_asked(seeded, client, login):
    """The catalogue's names (a column naming a milestone says the milestone's name), Chinese by
    default; the JSON keeps the codes. A language the catalogue does not speak is a 422."""
    head = login("demo-commander")
    zh = client.get(URL + PERIOD + "&format=csv", headers=head).data.decode("utf-8-sig")
    en = client.get(URL + PERIOD + "&format=csv&lang=en", headers=head).data.decode("utf-8-sig")
    assert zh.splitlines()[0].startswith("排名,单位代码,单位,单位类型,案件数,")
    assert "到场按时数,到场用时中位数 (秒)," in zh.splitlines()[0]
    assert "恢复秩序按时率" in zh.splitlines()[0] and "退回重办次数" in zh.splitlines()[0]
    assert en.splitlines()[0].startswith("Rank,Unit code,Unit,Unit kind,Cases,")
    assert zh.splitlines()[1:] == en.splitlines()[1:]  # the same figures
    x = client.get(URL + PERIOD + "&format=xlsx&lang=en", headers=head)
    sheet = load_workbook(io.BytesIO(x.data)).active
    assert [c.value for c in next(sheet.iter_rows())][:2] == ["Rank", "Unit code"]
    bad = client.get(URL + PERIOD + "&format=csv&lang=fr", headers=head)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "lang"


def test_a_dispatcher_sees_its_unit_only_and_other_roles_are_refused(seeded, client, login):
    mine = _json(client, login, f"dispatcher-{PS}")["units"]
    assert [r["unit"] for r in mine] == [PS]
    assert {k: mine[0][k] for k in EXPECTED[PS] if k != "rank"} == pytest.approx(
        {k: v for k, v in EXPECTED[PS].items() if k != "rank"})
    for who in ("demo-reporter", f"officer-{PS}", "demo-admin"):
        r = client.get(URL + PERIOD, headers=login(who))
        assert r.status_code == 403 and r.mimetype == "application/problem+json"
    assert client.get(URL + PERIOD).status_code == 401


@pytest.mark.parametrize("query, field", [
    ("?from=yesterday", "from"),
    ("?from=2026-11-01T00:00:00", "from"),           # no offset
    ("?to=2026-02-30", "to"),
    ("?from=2026-11-02&to=2026-11-01", "to"),         # reversed
    ("?from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z", "to"),  # empty
    ("?from=2025-11-29&to=2026-11-30", "to"),         # 367 days
    ("?from=9999-12-30&to=9999-12-31", "to"),         # past the calendar's end
    ("?format=pdf", "format"),
    ("?since=2026-11-01", "since"),
])
def test_a_bad_period_is_refused_naming_the_field(client, login, query, field):
    r = client.get(URL + query, headers=login("demo-commander"))
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_json()
    assert [e["field"] for e in r.get_json()["errors"]] == [field]


def test_the_default_period_is_the_current_month_in_china_and_the_longest_span_is_accepted(
        client, login, clock):
    clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 00:30 on 1 December in Jiyuan
    assert _json(client, login, query="")["period"] == {
        "from": "2026-11-30T16:00:00Z", "to": "2026-12-31T16:00:00Z"}
    body = _json(client, login, query="?from=2025-11-30&to=2026-11-30")  # 366 days
    assert body["period"] == {"from": "2025-11-29T16:00:00Z", "to": "2026-11-30T16:00:00Z"}
    mixed = _json(client, login, query="?from=2026-11-01T08:00:00%2B08:00&to=2026-11-02")
    assert mixed["period"] == {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T16:00:00Z"}
