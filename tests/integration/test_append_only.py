"""The record cannot be rewritten (migration 0014), on PostGIS and SQLite: the application's own
connection is refused every UPDATE and DELETE (and TRUNCATE) of the event log and of the
accountability records, except the one change the product makes, a late milestone met, which
still goes through; each refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch import deadlines
from dispatch.storage import append_only
from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, count_rows, location, report, seat


def _late_case(client, login, ctx, clock):  # type: ignore[no-untyped-def]
    """A case whose two units missed their arrival (two records), one of which then arrived."""
    inc = report(client, login("demo-reporter")).get_json()
    clock.advance(minutes=30, seconds=1)
    deadlines.fire_due_timers(ctx)
    lon, lat = seat()
    r = client.post(f"/api/v1/incidents/{inc['id']}/check-in",
                    headers=login(f"officer-{ZHICHENG}"), json={"location": location(lon, lat)})
    assert r.status_code == 200, r.get_json()
    return inc["id"]


def _records(ctx, incident_id):  # type: ignore[no-untyped-def]
    r = t.overdue_records.c
    with ctx.engine.connect() as conn:
        return {row.unit_code: row for row in conn.execute(
            sa.select(t.overdue_records).where(r.incident_id == incident_id))}


def _snapshot(ctx):  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return [conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                for table in (t.events, t.event_audience, t.overdue_records)]


def test_a_late_milestone_met_still_fills_its_record(client, login, ctx, clock):  # type: ignore[no-untyped-def]
    inc_id = _late_case(client, login, ctx, clock)
    records = _records(ctx, inc_id)
    assert records[ZHICHENG].met_at == clock.now
    assert records[ZHICHENG].late_by_seconds == pytest.approx(1.0)
    assert records["power_supply"].met_at is None


@pytest.mark.parametrize("statement", [
    "UPDATE events SET type = 'resolved'",
    "UPDATE events SET data = '{}'",
    "DELETE FROM events",
    "DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)",
    "UPDATE event_audience SET room = 'command'",
    "DELETE FROM event_audience",
    "DELETE FROM overdue_records",
    # The facts of a miss never change, met or not:
    "UPDATE overdue_records SET unit_code = 'petition'",
    "UPDATE overdue_records SET due_at = recorded_at",
    "UPDATE overdue_records SET recorded_at = due_at WHERE met_at IS NULL",
    # A met time is written once and never moves; nor is a met milestone made unmet again:
    "UPDATE overdue_records SET met_at = due_at WHERE met_at IS NOT NULL",
    "UPDATE overdue_records SET late_by_seconds = 0 WHERE met_at IS NOT NULL",
    "UPDATE overdue_records SET met_at = NULL, late_by_seconds = NULL WHERE met_at IS NOT NULL",
    # Filling it while changing anything else, or filling the lateness without the time:
    "UPDATE overdue_records SET met_at = due_at, milestone = 'restore' WHERE met_at IS NULL",
    "UPDATE overdue_records SET late_by_seconds = 5 WHERE met_at IS NULL",
])
def test_the_applications_connection_cannot_rewrite_the_record(client, login, ctx, clock,
                                                               statement):  # type: ignore[no-untyped-def]
    _late_case(client, login, ctx, clock)
    before = _snapshot(ctx)
    assert all(before), "every table holds rows to rewrite"
    with pytest.raises(sa.exc.DBAPIError, match=append_only.REFUSED):
        with ctx.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert _snapshot(ctx) == before


@pytest.mark.parametrize("backend", ["postgis"])  # SQLite has no TRUNCATE (see DELETE above)
def test_truncate_is_refused_on_postgresql(client, login, ctx, clock, backend):  # type: ignore[no-untyped-def]
    _late_case(client, login, ctx, clock)
    for table in ("event_audience", "events", "overdue_records"):
        before = count_rows(ctx, getattr(t, table))
        with pytest.raises(sa.exc.DBAPIError, match=append_only.REFUSED):
            with ctx.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {table} CASCADE"))
        assert count_rows(ctx, getattr(t, table)) == before


def test_the_one_allowed_change_fills_an_empty_record_once(client, login, ctx, clock):  # type: ignore[no-untyped-def]
    """The boundary: filling met_at (with or without the lateness) of an unmet record is the
    product's own change and passes, at the database, exactly once."""
    inc_id = _late_case(client, login, ctx, clock)
    r = t.overdue_records.c
    met = clock.now + timedelta(minutes=5)
    where = (r.incident_id == inc_id) & (r.unit_code == "power_supply")
    with ctx.engine.begin() as conn:
        assert conn.execute(sa.update(t.overdue_records).where(where).values(
            met_at=met, late_by_seconds=301.0)).rowcount == 1
    assert _records(ctx, inc_id)["power_supply"].met_at == met
    with pytest.raises(sa.exc.DBAPIError, match=append_only.REFUSED):
        with ctx.engine.begin() as conn:
            conn.execute(sa.update(t.overdue_records).where(where).values(
                met_at=met + timedelta(seconds=1), late_by_seconds=302.0))
    assert _records(ctx, inc_id)["power_supply"].met_at == met


def test_the_guards_can_be_lifted_only_deliberately_and_come_back(client, login, ctx, clock):  # type: ignore[no-untyped-def]
    """`lifted` (the tests' reset) empties the log inside one transaction and leaves the
    guards in place after it."""
    _late_case(client, login, ctx, clock)
    with ctx.engine.begin() as conn, append_only.lifted(conn):
        conn.execute(sa.delete(t.event_audience))
    assert count_rows(ctx, t.event_audience) == 0
    with pytest.raises(sa.exc.DBAPIError, match=append_only.REFUSED):
        with ctx.engine.begin() as conn:
            conn.execute(sa.delete(t.events))


def test_the_sqlite_trigger_names_every_column_but_the_met_ones() -> None:
    """A column added to overdue_records needs a migration that makes the SQLite trigger
    again with it (PostgreSQL's compares whole rows)."""
    assert set(append_only.FIXED) | set(append_only.MET) == {c.name for c in
                                                            t.overdue_records.columns}
