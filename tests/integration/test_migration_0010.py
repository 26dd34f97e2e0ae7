"""Migration 0010 (the complaint's clock in its own column) on both databases: a complaint's
timer moves its number out of `attempt`, an overdue record finds its complaint, two complaints
due at the same instant each keep a record, and it goes back (and up again) over the rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch.storage import tables as t

NEW = {"timers": {"complaint"}, "overdue_records": {"complaint"}}


def _before(table: sa.Table) -> sa.TableClause:
    """The table as 0009 left it."""
    return sa.table(table.name, *[sa.column(c.name, c.type) for c in table.columns
                                  if c.name not in NEW.get(table.name, set())])


def _timers(conn: sa.Connection) -> list[tuple[object, ...]]:
    return conn.execute(sa.select(t.timers.c.kind, t.timers.c.attempt, t.timers.c.complaint)
                        .order_by(t.timers.c.id)).all()


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0010_moves_the_complaint_numbers_and_goes_back(store, tmp_path, clock):
    from alembic import command
    from shapely.geometry import Point

    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from tests.conftest import scratch_database

    now = clock.now
    due = now + timedelta(hours=24)
    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0009")
        with engine.begin() as conn:
            conn.execute(sa.insert(_before(t.users)).values(
                id="r1", username="r", password_hash="x", role="reporter", display_name="",
                active=True, token_version=0))
            conn.execute(sa.insert(_before(t.boundary_sets)).values(
                id=1, name="s", label="", source="", created_at=now, active=True))
            conn.execute(sa.insert(_before(t.incidents)).values(
                id="i1", category="power_cut", description="x", status="resolved",
                location=Point(112.6, 35.0), lon=112.6, lat=35.0, reported_crs="wgs84",
                reporter_id="r1", green_channel=False, territory_code="u1", territory_name="U",
                boundary_set_id=1, received_at=now, arrival_due=now, restore_due=now,
                resolve_due=now, round=0))
            for number in (1, 2):  # two complaints filed in the same instant: the same due
                conn.execute(sa.insert(_before(t.complaints)).values(
                    id=f"c{number}", incident_id="i1", number=number, author_id="r1",
                    text="slow", filed_at=now, reply_due=due))
                conn.execute(sa.insert(_before(t.timers)).values(
                    incident_id="i1", unit_code="command", kind="complaint",
                    milestone="complaint_reply", attempt=number, deadline=due,
                    due_at=due, round=0))
            conn.execute(sa.insert(_before(t.timers)).values(
                incident_id="i1", unit_code="u1", kind="offer", milestone="offer", attempt=3,
                deadline=now, due_at=now, round=0))
            conn.execute(sa.insert(_before(t.overdue_records)).values(
                incident_id="i1", unit_code="command", milestone="complaint_reply",
                due_at=due, recorded_at=due, round=0))

        migrate.upgrade(engine, "0010")
        with engine.begin() as conn:
            assert _timers(conn) == [("complaint", 0, 1), ("complaint", 0, 2), ("offer", 3, 0)]
            assert conn.execute(sa.select(t.overdue_records.c.complaint)).all() == [(1,)]
            # The second complaint's miss is a record of its own under the new key.
            conn.execute(sa.insert(t.overdue_records).values(
                incident_id="i1", unit_code="command", milestone="complaint_reply",
                due_at=due, recorded_at=due, round=0, complaint=2))
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.insert(t.overdue_records).values(
                    incident_id="i1", unit_code="command", milestone="complaint_reply",
                    due_at=due, recorded_at=due, round=0, complaint=2))

        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        inspector = sa.inspect(engine)
        for table, columns in NEW.items():
            assert not columns & {c["name"] for c in inspector.get_columns(table)}
        with engine.connect() as conn:
            timers = _before(t.timers)
            assert conn.execute(sa.select(timers.c.kind, timers.c.attempt)
                                .order_by(timers.c.id)).all() == [
                ("complaint", 1), ("complaint", 2), ("offer", 3)]
            assert conn.execute(sa.select(sa.func.count())
                                .select_from(_before(t.overdue_records))).scalar() == 1

        migrate.upgrade(engine, "0010")  # and up again over the rows the way back left
        with engine.connect() as conn:
            assert _timers(conn) == [("complaint", 0, 1), ("complaint", 0, 2), ("offer", 3, 0)]
        engine.dispose()
