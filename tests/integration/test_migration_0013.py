"""Migration 0013 on both databases: the cases stored before get their numbers, each CST day's in
the order they were received (the day turning at 16:00 UTC), the counters go on from there, a
number is unique, and it goes down (and up again) over the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dispatch.storage import tables as t

NEW = {"incidents": {"case_number", "restore_device_time", "restore_sent_late",
                     "resolve_device_time", "resolve_sent_late"},
       "incident_units": {"arrival_sent_late", "arrival_counted_at", "arrival_count_reason",
                          "arrival_mock_location"},
       "officer_positions": {"mock_location", "flagged_speed_kmh"},
       "officer_last_positions": {"mock_location"}}
MIDNIGHT = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 00:00 on the 8th in Jiyuan
US = timedelta(microseconds=1)
# id -> received_at; ids out of time order, two at the same instant (then by id).
CASES = {"c": MIDNIGHT - timedelta(hours=9), "a": MIDNIGHT - US, "b": MIDNIGHT - US,
         "d": MIDNIGHT, "e": MIDNIGHT + timedelta(hours=1)}
NUMBERS = [("a", "ZZ9-20261207-0002"), ("b", "ZZ9-20261207-0003"), ("c", "ZZ9-20261207-0001"),
           ("d", "ZZ9-20261208-0001"), ("e", "ZZ9-20261208-0002")]


def _before(table: sa.Table) -> sa.TableClause:
    """The table as 0012 left it."""
    return sa.table(table.name, *[sa.column(c.name, c.type) for c in table.columns
                                  if c.name not in NEW.get(table.name, set())])


def _numbers(conn: sa.Connection) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.execute(sa.select(t.incidents.c.id, t.incidents.c.case_number)
                                           .order_by(t.incidents.c.id))]


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0013_numbers_the_stored_cases_by_day_and_goes_back(store, tmp_path):
    from alembic import command
    from shapely.geometry import Point

    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from tests.conftest import scratch_database

    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0012")
        with engine.begin() as conn:
            conn.execute(sa.insert(_before(t.users)).values(
                id="r1", username="r", password_hash="x", role="reporter", display_name="",
                active=True, token_version=0))
            conn.execute(sa.insert(_before(t.units)).values(code="u1", name="U",
                                                            kind="territory"))
            conn.execute(sa.insert(_before(t.boundary_sets)).values(
                id=1, name="s", label="", source="", created_at=MIDNIGHT, active=True))
            for case_id, at in CASES.items():
                conn.execute(sa.insert(_before(t.incidents)).values(
                    id=case_id, category="power_cut", description="x", status="dispatched",
                    location=Point(112.6, 35.0), lon=112.6, lat=35.0, reported_crs="wgs84",
                    reporter_id="r1", green_channel=False, territory_code="u1",
                    territory_name="U", boundary_set_id=1, received_at=at, arrival_due=at,
                    restore_due=at, resolve_due=at, round=0))
            conn.execute(sa.insert(_before(t.incident_units)).values(
                incident_id="a", unit_code="u1", unit_name="U", kind="territory",
                arrival_due=MIDNIGHT))

        migrate.upgrade(engine, "0013", case_number_prefix="ZZ9")
        with engine.begin() as conn:
            assert _numbers(conn) == NUMBERS
            counters = t.case_number_counters.c
            assert conn.execute(sa.select(counters.day, counters.value)
                                .order_by(counters.day)).all() == [("20261207", 3),
                                                                   ("20261208", 2)]
            assert conn.execute(sa.select(t.incident_units.c.arrival_counted_at)).all() == [
                (None,)]
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.update(t.incidents).where(t.incidents.c.id == "b")
                             .values(case_number="ZZ9-20261207-0002"))
        if store == "postgis":  # where the database can add NOT NULL in place
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(sa.update(t.incidents).where(t.incidents.c.id == "b")
                             .values(case_number=None))

        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012")
        inspector = sa.inspect(engine)
        for table, columns in NEW.items():
            assert not columns & {c["name"] for c in inspector.get_columns(table)}
        assert "case_number_counters" not in inspector.get_table_names()
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count())
                                .select_from(_before(t.incidents))).scalar() == len(CASES)

        migrate.upgrade(engine, "0013")  # up again over the rows, with the default prefix
        with engine.connect() as conn:
            assert _numbers(conn) == [(i, n.replace("ZZ9", "JY311")) for i, n in NUMBERS]
        engine.dispose()
