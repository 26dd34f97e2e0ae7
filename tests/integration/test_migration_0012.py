"""Migration 0012 (the public text a commander reviewed) on both databases: a case written before
it stays, its new columns start empty (it is published with its category's words), and the
migration goes back cleanly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dispatch.storage import tables as t

NEW = {"public_problem", "public_result", "public_text_by", "public_text_at"}


def _as_of_0011(table: sa.Table) -> sa.TableClause:
    return sa.table(table.name, *[sa.column(c.name, c.type) for c in table.columns
                                  if c.name not in NEW])


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0012_keeps_the_cases_and_goes_back(store, tmp_path, clock):  # type: ignore[no-untyped-def]
    from alembic import command
    from shapely.geometry import Point

    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from tests.conftest import scratch_database

    now = clock.now
    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0011")
        with engine.begin() as conn:
            conn.execute(sa.insert(t.users).values(
                id="r1", username="r", password_hash="x", role="reporter", display_name="",
                active=True, token_version=0))
            conn.execute(sa.insert(t.boundary_sets).values(
                id=1, name="s", label="", source="", created_at=now, active=True))
            conn.execute(sa.insert(_as_of_0011(t.incidents)).values(
                id="i1", category="power_cut", description="联系 13812345678", status="resolved",
                location=Point(112.6, 35.0), lon=112.6, lat=35.0, reported_crs="wgs84",
                reporter_id="r1", green_channel=False, territory_code="u1", territory_name="U",
                boundary_set_id=1, received_at=now, arrival_due=now, restore_due=now,
                resolve_due=now, round=0, extensions=0))
        migrate.upgrade(engine, "0012")
        assert migrate.current(engine) == "0012"
        inc = t.incidents.c
        with engine.begin() as conn:
            assert conn.execute(sa.select(inc.id, inc.description, inc.public_problem,
                                          inc.public_result, inc.public_text_by,
                                          inc.public_text_at)).all() == [
                ("i1", "联系 13812345678", None, None, None, None)]
            conn.execute(sa.update(t.incidents).values(
                public_problem="大门被堵", public_result="已疏通", public_text_by="c1",
                public_text_at=now))
            assert conn.execute(sa.select(inc.public_text_at)).scalar_one() == now
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0011")
        assert migrate.current(engine) == "0011"
        assert not NEW & {c["name"] for c in sa.inspect(engine).get_columns("incidents")}
        old = _as_of_0011(t.incidents).c
        with engine.connect() as conn:
            assert conn.execute(sa.select(old.id, old.description)).all() == [
                ("i1", "联系 13812345678")]
        migrate.upgrade(engine, "0012")  # and up again over the row that went down
        with engine.connect() as conn:
            assert conn.execute(sa.select(inc.id, inc.public_problem)).all() == [("i1", None)]
        engine.dispose()
