"""Due timers fire in batches (issue 8): a batch costs a bounded number of statements whatever
its size, never reads a case's history, repeats an offer in its own row, and takes the event
log's counter only at its commit, so a report is not held up by a drain. On PostGIS and SQLite
where both apply."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from shapely.geometry import Point
from sqlalchemy import event, func, select

from dispatch import deadlines
from dispatch.storage import tables as t
from dispatch.timers import OverdueRecord
from tests.helpers import ZHICHENG, count_rows, report, seat

PS = "power_supply"


class Statements:
    """The SQL statements sent, per transaction (counted at each commit)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.current: list[str] = []
        self.transactions: list[list[str]] = []

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.current.append(" ".join(statement.split()))

    def _commit(self, _conn: Any) -> None:
        self.transactions.append(self.current)
        self.current = []


def _cases(client, login, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    reporter = login("demo-reporter")
    return [report(client, reporter).get_json()["id"] for _ in range(n)]


def _pending(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t.timers)
                            .where(t.timers.c.fired_at.is_(None))).scalar_one()


@pytest.mark.parametrize("cases", [2, 12])
def test_a_batch_fires_in_a_bounded_number_of_statements_without_reading_history(
        client, login, ctx, clock, cases):  # type: ignore[no-untyped-def]
    """Per case, 31 min after the report: each unit's offer, arrival warning and arrival
    notice are due (6 timers a case, 72 for 12 cases: one batch). The first transaction fires
    them all in the same number of statements for 2 cases as for 12."""
    ids = _cases(client, login, cases)
    clock.advance(minutes=31)
    with Statements(ctx.engine) as sql:
        deadlines.fire_due_timers(ctx)
    first = sql.transactions[0]
    with ctx.engine.connect() as conn:
        fired = conn.execute(select(func.count()).select_from(t.timers).where(
            t.timers.c.incident_id.in_(ids), t.timers.c.outcome.is_not(None))).scalar_one()
    assert fired == 6 * cases
    assert len(first) <= 16, "\n".join(first)
    assert not [s for s in first if s.startswith("SELECT") and "FROM events" in s]
    # Every later transaction (the offers' repeats, already due) is bounded the same way.
    assert max(len(x) for x in sql.transactions) <= 16


def test_a_repeated_offer_moves_its_own_row_until_the_arrival_deadline(
        client, login, ctx, clock):  # type: ignore[no-untyped-def]
    inc = _cases(client, login, 1)[0]
    offers = t.timers.c.kind == "offer"
    rows_before = count_rows(ctx, t.timers)
    clock.advance(seconds=1)
    for minute in (5, 10, 15, 20, 25):
        clock.advance(minutes=5)
        deadlines.fire_due_timers(ctx)
        with ctx.engine.connect() as conn:
            rows = conn.execute(select(t.timers.c.unit_code, t.timers.c.attempt,
                                       t.timers.c.fired_at.is_(None))
                                .where(offers).order_by(t.timers.c.unit_code)).all()
        last = minute == 25  # the next would be at the deadline: the notice speaks instead
        assert [tuple(r) for r in rows] == [
            (unit, minute // 5 + (0 if last else 1), not last) for unit in sorted((ZHICHENG, PS))]
    assert count_rows(ctx, t.timers) == rows_before  # no row per repeat
    with ctx.uow() as uow:
        repeats = [e.data["repeat"] for e in uow.incidents.events(inc)
                   if e.type == "offered" and e.data["unit"] == PS]
    assert repeats == [0, 1, 2, 3, 4, 5]


def test_a_batchs_offers_are_ranked_as_one_at_a_time(client, login, ctx, clock):  # type: ignore[no-untyped-def]
    from dispatch.positions import record_positions
    from geo.distance import offset_point

    lon, lat = seat()
    with ctx.uow() as uow:
        officer = uow.users.by_username(f"officer-{PS}")
    x, y = offset_point(lon, lat, 90, 500)
    record_positions(ctx, officer, [(Point(x, y), 5.0, clock.now)])
    here, there = Point(lon, lat), Point(*offset_point(lon, lat, 0, 2000))
    wanted = [(PS, here), (ZHICHENG, here), (PS, there), ("nobody", here), (PS, here)]
    since = clock.now - timedelta(minutes=30)
    with ctx.uow() as uow:
        one_by_one = [uow.positions.rank([unit], place, since)[unit] for unit, place in wanted]
        assert uow.positions.rank_each(wanted, since) == one_by_one
        assert [len(x) for x in one_by_one] == [1, 0, 1, 0, 1]
        assert uow.positions.rank_each(wanted, since, limit=0) == [[]] * 5
        assert uow.positions.rank_each(wanted, clock.now + timedelta(microseconds=1)) == [
            []] * 5  # one step past the window's edge
        assert uow.positions.rank_each([], since) == []


def test_a_batchs_missed_deadlines_are_recorded_once_in_one_statement(client, login, ctx,
                                                                    clock):  # type: ignore[no-untyped-def]
    inc = _cases(client, login, 1)[0]
    now = clock.now

    def miss(unit: str, milestone: str = "arrival") -> OverdueRecord:
        return OverdueRecord(inc, unit, milestone, now, now)

    with ctx.uow() as uow:
        assert uow.accountability.add_once(miss(ZHICHENG)) is True
        uow.commit()
    first, again = miss(PS), miss(PS)
    with ctx.uow() as uow, Statements(ctx.engine) as sql:
        new = uow.accountability.add_new([miss(ZHICHENG), first, again, miss(PS, "restore")])
        uow.commit()
    assert [(r.unit_code, r.milestone) for r in new] == [(PS, "arrival"), (PS, "restore")]
    assert new[0] is first
    assert len([s for s in sql.transactions[0] if "overdue_records" in s]) == 1
    with ctx.uow() as uow:
        assert uow.accountability.add_new([]) == []


@pytest.mark.parametrize("backend", ["postgis"])  # SQLite: one writer at a time, by design
def test_a_report_commits_while_a_drain_batch_is_still_open(app, client, login, ctx, clock):  # type: ignore[no-untyped-def]
    """The drain's batch is held open just before its commit (its work done): a report, which
    needs the event log's counter for its own events, still commits meanwhile. Before batches
    took the counter at their first flush, the report waited for the whole batch."""
    _cases(client, login, 5)
    clock.advance(minutes=31)
    at_commit, go = threading.Event(), threading.Event()

    def gated() -> Any:
        uow = ctx.uow()
        real = uow.commit

        def commit() -> Any:
            if not at_commit.is_set():
                at_commit.set()
                go.wait(60)
            return real()

        uow.commit = commit
        return uow

    drain_ctx = replace(ctx, uow=gated)
    fired: list[int] = []
    drain = threading.Thread(target=lambda: fired.append(deadlines.fire_due_timers(drain_ctx)))
    drain.start()
    try:
        assert at_commit.wait(30)
        answers: list[Any] = []
        reporter = login("demo-reporter")
        sender = threading.Thread(target=lambda: answers.append(report(app.test_client(),
                                                                       reporter)))
        sender.start()
        sender.join(20)  # generous: the report alone takes milliseconds
        assert [r.status_code for r in answers] == [201], "the report waited for the drain"
        assert not fired  # the drain's batch was still open
    finally:
        go.set()
        drain.join(60)
    assert fired and fired[0] >= 30
    assert _pending(ctx) > 0  # the new report's timers, and the later rounds'


def test_a_case_left_unplanned_during_a_drain_is_planned_before_the_drain_ends(
        client, login, ctx, clock, monkeypatch):  # type: ignore[no-untyped-def]
    """The sweep drains a backlog in slices and looks for unplanned cases between them: a case
    whose process died after its commit does not wait for the whole drain."""
    from sqlalchemy import delete, update

    from server import realtime

    _cases(client, login, 2)  # 12 timers due at 31 min, then the offers' repeats
    late = _cases(client, login, 1)[0]
    clock.advance(minutes=31)
    fire = deadlines.fire_due_timers
    slices: list[int] = []

    def fire_then_lose_a_plan(ctx_, **kw):  # type: ignore[no-untyped-def]
        fired = fire(ctx_, **kw)
        if not slices:  # the case's process dies after its commit, during the drain
            with ctx.engine.begin() as conn:
                conn.execute(delete(t.timers).where(t.timers.c.incident_id == late))
                conn.execute(update(t.incidents).where(t.incidents.c.id == late)
                             .values(timers_planned_at=None))
        slices.append(fired)
        return fired

    monkeypatch.setattr(realtime, "SWEEP_SLICE", 5)
    monkeypatch.setattr(deadlines, "fire_due_timers", fire_then_lose_a_plan)
    realtime.sweep(ctx)
    assert slices[0] >= 5 and len(slices) >= 2  # sliced: at least one more after the first
    with ctx.uow() as uow:
        assert uow.incidents.get(late).timers_planned_at == clock.now
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.timers)
                            .where(t.timers.c.incident_id == late)).scalar_one() > 0  # stored
