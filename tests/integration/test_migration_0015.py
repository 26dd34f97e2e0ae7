"""Migrations 0014 (the request ids of events and timers) and 0015 (the append-only record) on
both databases: rows written before stay, with no request id; after 0015 they cannot be
rewritten; both go back cleanly (0013: the columns and the guards gone) and up again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dispatch.storage import tables as t


def _as_of_0013(table: sa.Table) -> sa.TableClause:
    return sa.table(table.name, *[sa.column(c.name, c.type) for c in table.columns
                                  if c.name != "request_id"])


def _migrate(engine: sa.Engine, revision: str, down: bool = False) -> None:
    from alembic import command

    from dispatch.storage import migrate
    if not down:
        migrate.upgrade(engine, revision)
        return
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migrations_0014_0015_keep_the_log_and_guard_it_and_go_back(store, tmp_path, clock):  # type: ignore[no-untyped-def]
    from shapely.geometry import Point

    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from tests.conftest import scratch_database

    now = clock.now
    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0013")
        with engine.begin() as conn:
            conn.execute(sa.insert(t.users).values(
                id="r1", username="r", password_hash="x", role="reporter", display_name="",
                active=True, token_version=0))
            conn.execute(sa.insert(t.boundary_sets).values(
                id=1, name="s", label="", source="", created_at=now, active=True))
            conn.execute(sa.insert(t.incidents).values(
                id="i1", category="power_cut", description="停电", status="dispatched",
                location=Point(112.6, 35.0), lon=112.6, lat=35.0, reported_crs="wgs84",
                reporter_id="r1", green_channel=False, territory_code="u1", territory_name="U",
                boundary_set_id=1, received_at=now, arrival_due=now, restore_due=now,
                resolve_due=now, round=0, extensions=0, case_number="JY311-20261127-0001"))
            conn.execute(sa.insert(_as_of_0013(t.events)).values(
                seq=1, incident_id="i1", type="reported", at=now, actor_id="r1", data={},
                audience=["command"], snapshot={}))
            conn.execute(sa.insert(t.event_audience).values(room="command", seq=1))
            conn.execute(sa.insert(t.overdue_records).values(
                incident_id="i1", unit_code="u1", milestone="arrival", due_at=now,
                recorded_at=now, round=0, complaint=0))
        migrate.upgrade(engine, "0015")
        assert migrate.current(engine) == "0015"
        with engine.connect() as conn:
            assert conn.execute(sa.select(t.events.c.seq, t.events.c.request_id)).all() == [
                (1, None)]
        for statement in ("DELETE FROM event_audience", "DELETE FROM events",
                          "UPDATE overdue_records SET unit_code = 'u2'"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(sa.text(statement))
        with engine.begin() as conn:  # the one change allowed
            conn.execute(sa.text("UPDATE overdue_records SET met_at = due_at, "
                                 "late_by_seconds = 0"))

        _migrate(engine, "0013", down=True)
        assert migrate.current(engine) == "0013"
        for table in ("events", "timers"):
            assert "request_id" not in {c["name"] for c in sa.inspect(engine).get_columns(table)}
        with engine.begin() as conn:  # no guard left: the old schema's rules
            conn.execute(sa.text("UPDATE overdue_records SET unit_code = 'u2'"))
            conn.execute(sa.text("DELETE FROM event_audience"))
        migrate.upgrade(engine, "0015")  # and up again over the rows that went down
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM events"))
        engine.dispose()
