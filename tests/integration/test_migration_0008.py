"""Migration 0008 on both databases, over a row written before it: the supervision columns come
empty (a closed case gets the reason `closed`), the complaints table appears, and back again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch.storage import tables as t

NEW = {"lead_unit", "resolve_due_original", "extensions", "extension_reason", "feedback_due",
       "feedback_at", "feedback_satisfied", "feedback_rating", "feedback_comment",
       "closed_reason", "central_unit", "central_person", "central_due", "central_by",
       "central_at"}


def _as_of_0005(table: sa.Table) -> sa.TableClause:
    return sa.table(table.name, *[sa.column(c.name, c.type) for c in table.columns
                                  if c.name not in NEW])


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0008_keeps_the_cases_and_goes_back(store, tmp_path, clock):  # type: ignore[no-untyped-def]
    from alembic import command
    from shapely.geometry import Point

    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from tests.conftest import scratch_database

    now = clock.now
    due = now + timedelta(minutes=30)
    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(sa.insert(t.units).values(code="u1", name="U", kind="territory"))
            conn.execute(sa.insert(t.users).values(
                id="r1", username="r", password_hash="x", role="reporter", display_name="",
                active=True, token_version=0))
            conn.execute(sa.insert(t.boundary_sets).values(
                id=1, name="s", label="", source="", created_at=now, active=True))
            for inc_id, closed in (("open", None), ("done", due)):
                conn.execute(sa.insert(_as_of_0005(t.incidents)).values(
                    id=inc_id, category="power_cut", description="x", status="dispatched",
                    location=Point(112.6, 35.0), lon=112.6, lat=35.0, reported_crs="wgs84",
                    reporter_id="r1", green_channel=False, territory_code="u1",
                    territory_name="U", boundary_set_id=1, received_at=now, arrival_due=due,
                    restore_due=due, resolve_due=due, closed_at=closed, round=0))
        migrate.upgrade(engine, "0008")
        assert migrate.current(engine) == "0008"
        inc = t.incidents.c
        with engine.begin() as conn:
            rows = conn.execute(sa.select(inc.id, inc.closed_reason, inc.extensions,
                                          inc.central_unit, inc.feedback_at)
                                .order_by(inc.id)).all()
            assert rows == [("done", "closed", 0, None, None), ("open", None, 0, None, None)]
            conn.execute(sa.insert(t.complaints).values(
                id="c1", incident_id="open", number=1, author_id="r1", text="slow",
                filed_at=now, reply_due=due))
            with pytest.raises(sa.exc.IntegrityError):  # one number per case
                with conn.begin_nested():
                    conn.execute(sa.insert(t.complaints).values(
                        id="c2", incident_id="open", number=1, author_id="r1", text="again",
                        filed_at=now, reply_due=due))
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
        inspector = sa.inspect(engine)
        assert "complaints" not in inspector.get_table_names()
        assert not NEW & {c["name"] for c in inspector.get_columns("incidents")}
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(
                _as_of_0005(t.incidents))).scalar_one() == 2
        engine.dispose()
