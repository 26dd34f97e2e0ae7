"""The assessment's figures (dispatch.assessment), each one checked: a unit's row computed by hand
from five cases that cover every branch (met, met at the deadline, met late, unmet and decided,
unmet and still open; closed satisfied, closed by the follow-up's clock, closed unsatisfied), the
facts read off a case, the period read from a query, and who sees which units. The ranking's
order is tests/unit/test_supervision_cycle.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from shapely.geometry import Point

from dispatch import assessment
from dispatch.errors import Forbidden, ValidationFailed
from dispatch.model import Assignment, Complaint, Incident, Unit
from dispatch.ports import CaseFacts
from tests.unit.fakes import EAST, POWER, REFORM, WATER, WEST, World, new_world

T = datetime(2026, 11, 1, tzinfo=UTC)
NOW = T + timedelta(days=30)
MIN, HOUR, DAY, US = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), \
    timedelta(microseconds=1)
U1, U2, U3 = Unit("u1", "One", "territory"), Unit("u2", "Two", "department"), \
    Unit("u3", "Three", "department")


def _facts(received: datetime, unit: str = "u1", *, arrived: timedelta | None = None,
           restored: timedelta | None = None, resolved: timedelta | None = None,
           **kw: object) -> CaseFacts:
    """A case's facts with the default policy's deadlines (30 min, 1 h, 7 days); the milestone
    times are given from the reception."""
    def at(d: timedelta | None) -> datetime | None:
        return None if d is None else received + d
    fields: dict[str, object] = dict(
        incident_id=f"c-{received.isoformat()}-{unit}", unit_code=unit, received_at=received,
        arrival_due=received + 30 * MIN, arrived_at=at(arrived), restore_due=received + HOUR,
        restored_at=at(restored), resolve_due=received + 7 * DAY, resolved_at=at(resolved),
        status="dispatched", closed_reason=None, round=0, extensions=0, complaints=0,
        central_unit=None, feedback_at=None, feedback_satisfied=None, feedback_rating=None)
    fields.update(kw)
    return CaseFacts(**fields)  # type: ignore[arg-type]


FIVE = [
    # Every milestone met, restore late; closed satisfied despite four complaints.
    _facts(T, arrived=10 * MIN, restored=2 * HOUR, resolved=3 * DAY, status="closed",
           closed_reason="satisfied", round=1, extensions=1, complaints=4, central_unit="u1",
           feedback_at=T + 4 * DAY, feedback_satisfied=True, feedback_rating=5),
    # Arrived at the deadline itself (on time); restore and resolve unmet and past due.
    _facts(T + DAY, arrived=30 * MIN),
    # Received just before now: nothing decided yet.
    _facts(NOW - 10 * MIN, status="reported"),
    # Arrived late, restored at the deadline, solved a microsecond late; closed by the
    # follow-up's clock with no complaint; answered unsatisfied without a rating.
    _facts(T + 2 * DAY, arrived=40 * MIN, restored=HOUR, resolved=7 * DAY + US, status="closed",
           closed_reason="timeout", extensions=3, central_unit="u2",
           feedback_at=T + 10 * DAY, feedback_satisfied=False),
    # All on time; closed unsatisfied with a complaint: not counted as resolved.
    _facts(T + 3 * DAY, arrived=5 * MIN, restored=30 * MIN, resolved=DAY, status="closed",
           closed_reason="unsatisfied", round=2, complaints=1, feedback_at=T + 5 * DAY,
           feedback_satisfied=False, feedback_rating=2),
]


def test_every_figure_of_a_unit_computed_by_hand() -> None:
    facts = [*FIVE, _facts(T, "nobody", arrived=MIN)]  # a unit not assessed is passed over
    [row, *_] = assessment.unit_rows([U1], facts, {"u1": 2, "nobody": 9}, NOW, min_cases=5)
    assert row == {
        "rank": 1, "unit": "u1", "name": "One", "kind": "territory", "cases": 5,
        "too_few_cases": False, "score": 0.5625,
        "response_rate": 0.75, "completion_rate": 0.5, "resolution_rate": 0.6667,
        "satisfaction_rate": 0.3333,
        "arrivals_decided": 4, "arrivals_on_time": 3, "arrival_median_s": 1200.0,
        "arrival_p90_s": 2400.0,
        "restores_decided": 4, "restores_on_time": 2, "restore_rate": 0.5,
        "restore_median_s": 3600.0, "restore_p90_s": 7200.0,
        "resolutions_decided": 4, "resolutions_on_time": 2, "resolve_median_s": 259200.0,
        "resolve_p90_s": 604800.000001,
        "closed": 3, "closed_resolved": 2, "overdue_records": 2, "reopenings": 3,
        "extensions": 4, "complaints": 5, "centrally_assigned": 1, "feedback_answered": 3,
        "feedback_satisfied": 1, "mean_rating": 3.5,
    }
    assert list(row) == list(assessment.COLUMNS)


def test_a_unit_with_nothing_has_no_rates_and_no_times() -> None:
    [row] = assessment.unit_rows([U3], FIVE, {}, NOW, min_cases=1)
    assert (row["cases"], row["too_few_cases"], row["score"]) == (0, True, None)
    assert all(row[c] is None for c in assessment.COLUMNS if c.endswith(("_rate", "_s")))
    assert row["mean_rating"] is None
    assert all(row[c] == 0 for c in ("arrivals_decided", "closed", "overdue_records",
                                     "reopenings", "extensions", "complaints",
                                     "centrally_assigned", "feedback_answered"))


def test_a_deadline_is_decided_strictly_after_it_and_met_at_it_is_on_time() -> None:
    due = T + 30 * MIN
    open_at_due = _facts(T)
    [row] = assessment.unit_rows([U1], [open_at_due], {}, due, min_cases=1)
    assert (row["arrivals_decided"], row["response_rate"]) == (0, None)
    [row] = assessment.unit_rows([U1], [open_at_due], {}, due + US, min_cases=1)
    assert (row["arrivals_decided"], row["arrivals_on_time"], row["response_rate"]) == (1, 0, 0.0)
    met_at_due = _facts(T, arrived=30 * MIN)
    [row] = assessment.unit_rows([U1], [met_at_due], {}, T, min_cases=1)  # decided once met
    assert (row["arrivals_decided"], row["arrivals_on_time"]) == (1, 1)
    assert (row["arrival_median_s"], row["arrival_p90_s"]) == (1800.0, 1800.0)


def test_the_minimum_of_cases_counts_the_unit_s_own() -> None:
    rows = assessment.unit_rows([U1, U2], FIVE + [_facts(T, "u2")], {}, NOW, min_cases=5)
    assert [(r["unit"], r["cases"], r["too_few_cases"], r["rank"]) for r in rows] == [
        ("u1", 5, False, 1), ("u2", 1, True, 2)]
    rows = assessment.unit_rows([U1, U2], FIVE + [_facts(T, "u2")], {}, NOW, min_cases=6)
    assert [r["too_few_cases"] for r in rows] == [True, True]


def test_the_higher_score_ranks_first() -> None:
    good = [_facts(T, "u2", arrived=MIN, restored=MIN, resolved=MIN)]
    rows = assessment.unit_rows([U1, U2], FIVE + good, {}, NOW, min_cases=1)
    assert [(r["unit"], r["score"], r["rank"]) for r in rows] == [("u2", 1.0, 1),
                                                                 ("u1", 0.5625, 2)]


# -- the facts read off a case ---------------------------------------------------------------------
def test_the_facts_of_a_case_one_row_per_unit() -> None:
    inc = Incident(category="power_cut", description="d", location=Point(0, 0), reporter_id="r",
                   territory_code="t", territory_name="T", boundary_set_id=1, received_at=T,
                   arrival_due=T + 30 * MIN, restore_due=T + HOUR, resolve_due=T + 9 * DAY,
                   id="c1", status="closed", restored_at=T + 2 * HOUR,
                   resolved_at=T + 8 * DAY, closed_reason="satisfied", round=2, extensions=1,
                   resolve_due_original=T + 7 * DAY, central_unit="p",
                   feedback_at=T + 9 * DAY, feedback_satisfied=True, feedback_rating=4)
    inc.assignments = [Assignment("t", "T", "territory", T + 30 * MIN, arrived_at=T + 20 * MIN),
                       Assignment("p", "P", "department", T + 25 * MIN)]
    inc.complaints = [Complaint("c1", n, "r", "x", T, T + DAY) for n in (1, 2, 3)]
    common = dict(incident_id="c1", received_at=T, restore_due=T + HOUR,
                  restored_at=T + 2 * HOUR, resolve_due=T + 7 * DAY, resolved_at=T + 8 * DAY,
                  status="closed", closed_reason="satisfied", round=2, extensions=1,
                  complaints=3, central_unit="p", feedback_at=T + 9 * DAY,
                  feedback_satisfied=True, feedback_rating=4)
    assert assessment.facts_of(inc) == [
        CaseFacts(unit_code="t", arrival_due=T + 30 * MIN, arrived_at=T + 20 * MIN,
                  **common),  # type: ignore[arg-type]
        CaseFacts(unit_code="p", arrival_due=T + 25 * MIN, arrived_at=None,
                  **common),  # type: ignore[arg-type]
    ]
    never_extended = replace(inc, resolve_due_original=None)
    assert {f.resolve_due for f in assessment.facts_of(never_extended)} == {T + 9 * DAY}


# -- the period of a query -------------------------------------------------------------------------
CST_MIDNIGHT = timedelta(hours=-8)


def test_a_period_of_dates_runs_from_midnight_to_the_midnight_after_the_last_day() -> None:
    p = assessment.period(NOW, date(2026, 11, 3), date(2026, 11, 5), timedelta(days=31))
    assert (p.start, p.end) == (datetime(2026, 11, 3, tzinfo=UTC) + CST_MIDNIGHT,
                                datetime(2026, 11, 6, tzinfo=UTC) + CST_MIDNIGHT)
    one_day = assessment.period(NOW, date(2026, 11, 3), date(2026, 11, 3), timedelta(days=1))
    assert one_day.end - one_day.start == timedelta(days=1)


def test_a_missing_end_of_a_period_comes_from_the_current_month() -> None:
    month = assessment.month_of(NOW)
    assert (month.start, month.end) == (datetime(2026, 11, 30, 16, tzinfo=UTC),
                                        datetime(2026, 12, 31, 16, tzinfo=UTC))
    span = timedelta(days=62)
    assert assessment.period(NOW, None, None, span) == month
    start = datetime(2026, 11, 15, tzinfo=UTC)
    assert assessment.period(NOW, start, None, span) == assessment.Period(start, month.end)
    end = datetime(2026, 12, 5, tzinfo=UTC)
    assert assessment.period(NOW, None, end, span) == assessment.Period(month.start, end)


def test_a_refused_period_names_the_field_and_says_why() -> None:
    span = timedelta(days=31)
    for start, end, message in (
            (date(2026, 11, 5), date(2026, 11, 4), "must be after `from`"),
            (date(2026, 11, 1), date(2026, 12, 2), "a period is at most 31 days"),
            (date(9999, 12, 1), date(9999, 12, 31), "out of range")):
        with pytest.raises(ValidationFailed) as exc:
            assessment.period(NOW, start, end, span)
        assert [(e.field, e.message) for e in exc.value.errors] == [("to", message)]
    # 31 days from the 1st: to the 31st included.
    assert assessment.period(NOW, date(2026, 12, 1), date(2026, 12, 31), span).end == \
        datetime(2027, 1, 1, tzinfo=UTC) + CST_MIDNIGHT


# -- who sees which units --------------------------------------------------------------------------
@pytest.fixture
def w() -> World:
    return new_world()


def test_a_commander_sees_every_unit_and_a_dispatcher_only_its_own(w: World) -> None:
    period = assessment.month_of(w.clock())
    rows = assessment.stats_by_unit(w.ctx, w.user("commander"), period)
    assert sorted(r["unit"] for r in rows) == sorted([EAST, POWER, REFORM, WATER, WEST])
    assert [r["unit"] for r in assessment.stats_by_unit(w.ctx, w.user("dispatcher"), period)] \
        == [WEST]
    for who in ("reporter", "officer", "admin"):
        with pytest.raises(Forbidden):
            assessment.stats_by_unit(w.ctx, w.user(who), period)


def test_the_use_case_ranks_by_the_minimum_in_the_settings(w: World) -> None:
    period = assessment.month_of(w.clock())
    rows = assessment.stats_by_unit(w.ctx, w.user("commander"), period)
    assert all(r["too_few_cases"] for r in rows)  # no case at all, the default minimum 5
    w0 = new_world(stats_min_cases=0)
    rows = assessment.stats_by_unit(w0.ctx, w0.user("commander"), period)
    assert not any(r["too_few_cases"] for r in rows)


def test_a_closed_case_is_resolved_when_closed_satisfied_or_without_a_complaint() -> None:
    closed = [_facts(T, status="closed", closed_reason="satisfied", complaints=2),
              _facts(T, status="closed", closed_reason="unsatisfied", complaints=1),
              _facts(T, status="closed", closed_reason="unsatisfied", complaints=3),
              _facts(T, status="closed", closed_reason="timeout"),
              _facts(T, status="resolved", closed_reason=None)]  # not closed: not counted
    [row] = assessment.unit_rows([U1], closed, {}, NOW, min_cases=1)
    assert (row["closed"], row["closed_resolved"], row["resolution_rate"]) == (4, 2, 0.5)


def test_the_score_and_the_mean_rating_are_rounded_to_four_places() -> None:
    later = NOW + DAY  # a resolve deadline not yet passed: undecided
    answered = dict(feedback_at=T, feedback_satisfied=False)
    facts = [_facts(T, arrived=MIN, resolve_due=later, feedback_rating=5, **answered),
             _facts(T, resolve_due=later, feedback_rating=4, **answered),
             _facts(T, resolve_due=later, feedback_rating=4, **answered),
             _facts(T, resolved=DAY), _facts(T, resolved=8 * DAY)]
    [row] = assessment.unit_rows([U1], facts, {}, NOW, min_cases=1)
    assert (row["response_rate"], row["completion_rate"]) == (0.2, 0.5)  # 1 of 5, 1 of 2
    assert (row["satisfaction_rate"], row["resolution_rate"]) == (0.0, None)
    assert row["score"] == 0.2333  # (0.2 + 0.5 + 0.0) / 3, not 0.23333
    assert row["mean_rating"] == 4.3333  # (5 + 4 + 4) / 3, not 4.33333


def test_a_score_of_zero_ranks_below_any_higher_score() -> None:
    missed = [_facts(T, "u1")]  # every deadline passed unmet: 0.0
    half = [_facts(T, "u2", arrived=MIN), _facts(T, "u2")]  # 0.5 on arrival and 0.0 after
    rows = assessment.unit_rows([U1, U2], missed + half, {}, NOW, min_cases=1)
    assert [(r["unit"], r["score"]) for r in rows] == [("u2", 0.25), ("u1", 0.0)]


def test_a_commander_attached_to_a_unit_still_sees_every_unit(w: World) -> None:
    commander = replace(w.user("commander"), unit_code=WEST)
    rows = assessment.stats_by_unit(w.ctx, commander, assessment.month_of(w.clock()))
    assert len(rows) == 5


def test_a_dispatcher_s_figures_are_read_for_its_unit_alone(
        w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, object]] = []
    with w.db.uow() as uow:
        repo = type(uow.incidents)
    facts, overdue = repo.facts_between, repo.overdue_between

    def facts_spy(self: object, start: datetime, end: datetime, unit: str | None = None
                  ) -> list[CaseFacts]:
        asked.append(("facts", unit))
        return facts(self, start, end, unit)  # type: ignore[arg-type]

    def overdue_spy(self: object, start: datetime, end: datetime, unit: str | None = None
                    ) -> dict[str, int]:
        asked.append(("overdue", unit))
        return overdue(self, start, end, unit)  # type: ignore[arg-type]
    monkeypatch.setattr(repo, "facts_between", facts_spy)
    monkeypatch.setattr(repo, "overdue_between", overdue_spy)
    period = assessment.month_of(w.clock())
    assessment.stats_by_unit(w.ctx, w.user("dispatcher"), period)
    assessment.stats_by_unit(w.ctx, w.user("commander"), period)
    assert asked == [("facts", WEST), ("overdue", WEST), ("facts", None), ("overdue", None)]
