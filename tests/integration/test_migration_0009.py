"""Migration 0009 (withheld cases, media URLs, outside systems' API keys) on both databases:
rows written before it stay, the new columns start empty, and it goes back cleanly."""

from __future__ import annotations


import pytest
import sqlalchemy as sa

from dispatch.storage import tables as t

NEW = {"incidents": {"withheld_at", "withheld_by", "withheld_reason", "media_url"},
       "users": {"api_key_hash", "api_key_issued_at"}}


def _before(table: sa.Table) -> sa.TableClause:
    """The table as 0005 left it."""
    return sa.table(table.name, *[sa.column(c.name, c.type) for c in table.columns
                                  if c.name not in NEW.get(table.name, set())])


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0009_keeps_the_rows_and_goes_back(store, tmp_path, clock):
    from alembic import command
    from shapely.geometry import Point

    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from tests.conftest import scratch_database

    now = clock.now
    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(sa.insert(_before(t.users)).values(
                id="r1", username="r", password_hash="x", role="reporter", display_name="",
                active=True, token_version=0))
            conn.execute(sa.insert(_before(t.boundary_sets)).values(
                id=1, name="s", label="", source="", created_at=now, active=True))
            conn.execute(sa.insert(_before(t.incidents)).values(
                id="i1", category="power_cut", description="x", status="dispatched",
                location=Point(112.6, 35.0), lon=112.6, lat=35.0, reported_crs="wgs84",
                reporter_id="r1", green_channel=False, territory_code="u1", territory_name="U",
                boundary_set_id=1, received_at=now, arrival_due=now, restore_due=now,
                resolve_due=now, round=0))
        migrate.upgrade(engine, "0009")
        with engine.begin() as conn:
            assert conn.execute(sa.select(t.incidents.c.id, t.incidents.c.withheld_at,
                                          t.incidents.c.media_url)).all() == [("i1", None, None)]
            assert conn.execute(sa.select(t.users.c.api_key_hash)).all() == [(None,)]
            conn.execute(sa.update(t.users).values(api_key_hash="a" * 64))
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.insert(t.users).values(
                    id="r2", username="r2", password_hash="x", role="reporter",
                    display_name="", active=True, token_version=0, api_key_hash="a" * 64))
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
        inspector = sa.inspect(engine)
        for table, columns in NEW.items():
            assert not columns & {c["name"] for c in inspector.get_columns(table)}
        with engine.connect() as conn:
            assert conn.execute(sa.select(_before(t.incidents).c.id)).all() == [("i1",)]
        engine.dispose()
