"""Clocks that run again: a case sent back (reopened) gets new deadlines, its timers fire again and
a second miss is recorded, while the first round's record stays; and migration 0005 on both
databases, over rows written before it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch import deadlines, supervision
from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, location, report, seat

US = timedelta(microseconds=1)
PS = "power_supply"


def _records(ctx, incident_id):  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return sorted(((r.round, r.milestone, r.unit_code, r.due_at, r.met_at is not None)
                       for r in uow.accountability.for_incident(incident_id)),
                      key=lambda x: (x[0], x[1], x[2]))


def _overdue_events(ctx, incident_id):  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return [(e.data["milestone"], e.data["unit"], e.data["due"])
                for e in uow.incidents.events(incident_id) if e.type == "overdue"]


def _pending(ctx, incident_id):  # type: ignore[no-untyped-def]
    """The case's unfired clocks of the 311 deadlines, earliest first (the follow-up's clock,
    stale once the case is reopened, is left aside)."""
    with ctx.engine.connect() as conn:
        return conn.execute(sa.select(t.timers.c.kind, t.timers.c.milestone, t.timers.c.round)
                            .where(t.timers.c.incident_id == incident_id,
                                   t.timers.c.fired_at.is_(None), t.timers.c.kind != "feedback")
                            .order_by(t.timers.c.due_at)).all()


def _solve_late(client, login, ctx, clock):  # type: ignore[no-untyped-def]
    """A case whose units arrive and restore in time but solve it a minute late (round 0)."""
    inc = report(client, login("demo-reporter")).get_json()
    lon, lat = seat()
    for officer in (f"officer-{ZHICHENG}", f"officer-{PS}"):
        clock.advance(minutes=1)
        assert client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=login(officer),
                           json={"location": location(lon, lat)}).status_code == 200
    assert client.post(f"/api/v1/incidents/{inc['id']}/restore",
                       headers=login(f"officer-{ZHICHENG}"),
                       json={"note": "power back"}).status_code == 200
    with ctx.uow() as uow:
        first_due = uow.incidents.get(inc["id"]).resolve_due
    clock.set(first_due + timedelta(minutes=1))
    deadlines.fire_due_timers(ctx)
    r = client.post(f"/api/v1/incidents/{inc['id']}/resolve", headers=login(f"officer-{PS}"),
                    json={"note": "fixed"})
    assert r.status_code == 200 and r.get_json()["milestones"]["resolved_on_time"] is False
    return inc["id"], first_due


def test_a_reopened_case_gets_new_deadlines_and_a_second_miss_is_recorded(client, login, ctx,
                                                                          clock):
    inc_id, first_due = _solve_late(client, login, ctx, clock)
    first_round = [(0, "resolve", ZHICHENG, first_due, True), (0, "resolve", PS, first_due, True)]
    assert _records(ctx, inc_id) == first_round

    clock.advance(hours=2)
    with ctx.uow() as uow:
        reporter = uow.users.by_username("demo-reporter")
    reopened_at = clock.now
    incident = supervision.reopen(ctx, reporter, inc_id, "the power keeps failing")
    new_due = reopened_at + timedelta(days=7)  # the default policy's resolve allowance

    # New deadlines, seen by the API as by the domain.
    one = client.get(f"/api/v1/incidents/{inc_id}", headers=login("demo-commander")).get_json()
    assert one["status"] == "reopened" and incident.round == 1
    assert one["deadlines"]["resolve"].startswith(new_due.strftime("%Y-%m-%dT%H:%M:%S"))
    assert one["milestones"]["resolved_at"] is None and one["overdue"] == []
    assert one["milestones"]["restored_on_time"] is True  # restored order stands
    assert [e["data"]["round"] for e in one["timeline"] if e["type"] == "reopened"] == [1]
    with ctx.uow() as uow:
        planned = uow.incidents.get(inc_id).timers_planned_at
    assert planned == reopened_at and {(m, r) for _, m, r in _pending(ctx, inc_id)} == {
        ("resolve", 1)}

    # The new deadline itself is still in time; one microsecond later the timers record it.
    clock.set(new_due)
    deadlines.fire_due_timers(ctx)
    assert _records(ctx, inc_id) == first_round
    clock.set(new_due + US)
    deadlines.fire_due_timers(ctx)
    deadlines.fire_due_timers(ctx)  # nothing doubles
    assert _records(ctx, inc_id) == first_round + [(1, "resolve", ZHICHENG, new_due, False),
                                                   (1, "resolve", PS, new_due, False)]
    assert sorted(_overdue_events(ctx, inc_id)) == sorted(
        (("resolve", unit, due.isoformat().replace("+00:00", "Z")))
        for unit in (ZHICHENG, PS) for due in (first_due, new_due))
    page = client.get("/api/v1/incidents?overdue=true",
                      headers=login("demo-commander")).get_json()
    assert inc_id in [i["id"] for i in page["items"]]

    # Solved again, late: the second round's records are met; the first stay as they were.
    r = client.post(f"/api/v1/incidents/{inc_id}/resolve", headers=login(f"officer-{PS}"),
                    json={"note": "cable replaced"})
    assert r.status_code == 200 and r.get_json()["milestones"]["resolved_on_time"] is False
    assert [x[4] for x in _records(ctx, inc_id)] == [True] * 4


def test_a_reopening_whose_process_died_before_planning_is_planned_by_the_sweep(
        client, login, ctx, clock):
    inc_id, _ = _solve_late(client, login, ctx, clock)
    clock.advance(hours=1)
    with ctx.uow() as uow:  # the reopening commits, and the process dies before planning
        incident = uow.incidents.get(inc_id, for_update=True)
        incident.reopen(clock.now, ctx.settings.policies.for_category(incident.category),
                        incident.reporter_id)
        uow.commit()
    assert deadlines.plan_unplanned(ctx) == 1
    assert deadlines.plan_unplanned(ctx) == 0
    assert [(k, r) for k, _, r in _pending(ctx, inc_id)][0] == ("deadline_near", 1)


def test_only_its_reporter_reopens_a_solved_case(client, login, ctx, clock):
    from dispatch.errors import Conflict, Forbidden, NotFound
    inc = report(client, login("demo-reporter")).get_json()
    with ctx.uow() as uow:
        reporter = uow.users.by_username("demo-reporter")
        other = uow.users.by_username("demo-reporter-2")
        commander = uow.users.by_username("demo-commander")
    with pytest.raises(Conflict):
        supervision.reopen(ctx, reporter, inc["id"])  # not solved
    with pytest.raises(NotFound):
        supervision.reopen(ctx, other, inc["id"])
    with pytest.raises(Forbidden):
        supervision.reopen(ctx, commander, inc["id"])
    with ctx.uow() as uow:
        assert uow.incidents.get(inc["id"]).round == 0


# -- migration 0005 ---------------------------------------------------------------------------
NEW_COLUMNS = {"round", "reopened_at"}


def _as_of_0004(table: sa.Table) -> sa.TableClause:
    """The table as 0004 left it: without the columns 0005 adds."""
    return sa.table(table.name, *[sa.column(c.name, c.type) for c in table.columns
                                  if c.name not in NEW_COLUMNS])


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0005_keeps_the_rows_and_lets_a_new_deadline_be_missed_again(store, tmp_path,
                                                                                 clock):
    from alembic import command
    from shapely.geometry import Point

    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from dispatch.storage.live_repositories import Accountability
    from dispatch.storage.orm import start_mappers
    from dispatch.timers import OverdueRecord
    from sqlalchemy.orm import Session
    from tests.conftest import scratch_database

    start_mappers()
    now = clock.now
    due = now + timedelta(minutes=30)
    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(sa.insert(_as_of_0004(t.units)).values(code="u1", name="U",
                                                                 kind="territory"))
            conn.execute(sa.insert(_as_of_0004(t.users)).values(
                id="r1", username="r", password_hash="x", role="reporter", display_name="",
                active=True, token_version=0))
            conn.execute(sa.insert(_as_of_0004(t.boundary_sets)).values(
                id=1, name="s", label="", source="", created_at=now, active=True))
            conn.execute(sa.insert(_as_of_0004(t.incidents)).values(
                id="i1", category="power_cut", description="x", status="dispatched",
                location=Point(112.6, 35.0), lon=112.6, lat=35.0, reported_crs="wgs84",
                reporter_id="r1", green_channel=False, territory_code="u1", territory_name="U",
                boundary_set_id=1, received_at=now, arrival_due=due, restore_due=due,
                resolve_due=due, timers_planned_at=now))
            conn.execute(sa.insert(_as_of_0004(t.timers)).values(
                incident_id="i1", unit_code="u1", kind="overdue", milestone="arrival",
                attempt=0, deadline=due, due_at=due))
            conn.execute(sa.insert(_as_of_0004(t.overdue_records)).values(
                incident_id="i1", unit_code="u1", milestone="arrival", due_at=due,
                recorded_at=due))
        migrate.upgrade(engine, "0005")  # this test is about 0005, whatever follows it
        assert migrate.current(engine) == "0005"
        with engine.connect() as conn:
            assert conn.execute(sa.select(t.incidents.c.round, t.incidents.c.reopened_at)
                                ).all() == [(0, None)]
            assert conn.execute(sa.select(t.timers.c.round, t.timers.c.due_at)).all() == [
                (0, due)]
            assert conn.execute(sa.select(t.overdue_records.c.round)).scalars().all() == [0]
        migrate.upgrade(engine)  # today's repository needs today's schema over those rows
        with Session(engine) as session:
            records = Accountability(session)
            again = OverdueRecord("i1", "u1", "arrival", due, due + US)
            assert records.add_once(again) is False  # the same deadline: recorded once
            later = due + timedelta(days=1)
            assert records.add_once(OverdueRecord("i1", "u1", "arrival", later, later + US,
                                                  round=1)) is True
            session.commit()
            assert [(r.round, r.due_at) for r in records.for_incident("i1")] == [
                (0, due), (1, later)]
        # And back: the old key keeps the first record of each milestone.
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        with engine.connect() as conn:
            rows = conn.execute(sa.select(_as_of_0004(t.overdue_records).c.due_at)).all()
            assert rows == [(due,)]
        engine.dispose()
