"""Timers, accountability, the relay and the replay, in-process on PostGIS and SQLite, with the
clock moved by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import deadlines
from dispatch.errors import ValidationFailed
from dispatch.relay import Relay, replay
from geo.distance import offset_point
from tests.helpers import ZHICHENG, location, report, seat


def _events(ctx, incident_id):  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return uow.incidents.events(incident_id)


def _overdue(ctx, incident_id):  # type: ignore[no-untyped-def]
    return [(e.data["unit"], e.data["milestone"]) for e in _events(ctx, incident_id)
            if e.type == "overdue"]


def test_arrival_overdue_fires_once_per_unit_and_records_accountability(client, login, ctx,
                                                                        clock):
    inc = report(client, login("demo-reporter")).get_json()
    clock.advance(minutes=20, seconds=1)
    deadlines.fire_due_timers(ctx)
    near = [e for e in _events(ctx, inc["id"]) if e.type == "deadline_near"]
    assert sorted(e.data["unit"] for e in near) == [ZHICHENG, "power_supply"]
    assert all(e.audience == [f"unit:{e.data['unit']}"] for e in near)
    assert _overdue(ctx, inc["id"]) == []

    clock.advance(minutes=10)  # 30 min and 1 s after reception
    deadlines.fire_due_timers(ctx)
    deadlines.fire_due_timers(ctx)  # a second sweep finds nothing left to fire
    assert sorted(_overdue(ctx, inc["id"])) == [(ZHICHENG, "arrival"),
                                                 ("power_supply", "arrival")]
    # The unit still arrives, late: the record says by how much.
    lon, lat = seat()
    r = client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=login(
        f"officer-{ZHICHENG}"), json={"location": location(lon, lat)})
    assert r.status_code == 200
    with ctx.uow() as uow:
        records = {(x.unit_code, x.milestone): x for x in
                   uow.accountability.for_incident(inc["id"])}
    assert records[(ZHICHENG, "arrival")].late_by_seconds == pytest.approx(1.0)
    assert records[("power_supply", "arrival")].met_at is None


def test_a_doubled_overdue_is_refused_by_the_database(ctx, client, login, clock):
    from dispatch.timers import OverdueRecord
    inc = report(client, login("demo-reporter")).get_json()
    record = OverdueRecord(inc["id"], ZHICHENG, "arrival", clock.now, clock.now)
    with ctx.uow() as uow:
        assert uow.accountability.add_once(record) is True
        assert uow.accountability.add_once(OverdueRecord(inc["id"], ZHICHENG, "arrival",
                                                         clock.now, clock.now)) is False
        uow.commit()


def test_a_met_milestone_fires_no_notice(client, login, ctx, clock):
    inc = report(client, login("demo-reporter")).get_json()
    lon, lat = seat()
    for officer in (f"officer-{ZHICHENG}", "officer-power_supply"):
        clock.advance(minutes=2)
        assert client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=login(officer),
                           json={"location": location(lon, lat)}).status_code == 200
    clock.advance(minutes=40)
    deadlines.fire_due_timers(ctx)
    assert _overdue(ctx, inc["id"]) == []
    assert [e for e in _events(ctx, inc["id"]) if e.type == "offer_unanswered"] == []


def test_an_unanswered_offer_is_repeated_and_the_dispatcher_told(client, login, ctx, clock):
    inc = report(client, login("demo-reporter")).get_json()
    client.post(f"/api/v1/incidents/{inc['id']}/accept", headers=login(f"officer-{ZHICHENG}"))
    clock.advance(minutes=5, seconds=1)
    deadlines.fire_due_timers(ctx)
    events = _events(ctx, inc["id"])
    repeats = [e for e in events if e.type == "offered" and e.data["repeat"] == 1]
    told = [e for e in events if e.type == "offer_unanswered"]
    assert [e.data["unit"] for e in repeats] == ["power_supply"]  # the town had accepted
    assert [e.audience for e in told] == [["dispatch:power_supply", "command"]]
    clock.advance(minutes=5)
    deadlines.fire_due_timers(ctx)
    assert [e.data["repeat"] for e in _events(ctx, inc["id"]) if e.type == "offered"
            and e.data["unit"] == "power_supply"] == [0, 1, 2]


def test_offer_ranks_the_units_on_duty_officers_by_distance(client, login, ctx, clock, app):
    from dispatch.model import Role, User
    lon, lat = seat()
    with ctx.uow() as uow:
        for name in ("near", "far", "stale"):
            uow.users.add(User(username=f"ps-{name}", password_hash="x", role=Role.OFFICER,
                               unit_code="power_supply", display_name=name))
        uow.commit()
        ids = {u.display_name: u.id for u in uow.users.officers_of("power_supply")}
    from dispatch.positions import record_positions
    from shapely.geometry import Point
    for name, metres, age in (("far", 3000, 5), ("near", 400, 5), ("stale", 10, 90)):
        with ctx.uow() as uow:
            officer = uow.users.get(ids[name])
        x, y = offset_point(lon, lat, 30, metres)
        record_positions(ctx, officer, [(Point(x, y), 5.0, clock.now - timedelta(minutes=age))])
    inc = report(client, login("demo-reporter")).get_json()
    offer = next(e for e in _events(ctx, inc["id"]) if e.type == "offered"
                 and e.data["unit"] == "power_supply")
    ranked = [(o["name"], round(o["distance_m"], -2)) for o in offer.data["officers"]]
    assert ranked == [("near", 400), ("far", 3000)]  # "stale" is not on duty


def test_relay_emits_each_new_event_once_to_its_rooms(client, login, ctx):
    sent: list[tuple[str, dict, list[str]]] = []
    relay = Relay(ctx.uow, lambda name, data, rooms: sent.append((name, data, rooms)),
                  ctx.settings)
    assert relay.flush() == 0  # not started: a process without clients relays nothing
    relay.start()
    inc = report(client, login("demo-reporter")).get_json()
    assert relay.flush() == 4 and relay.flush() == 0
    pushed_before = len(sent)
    with ctx.uow() as uow:
        latest = uow.incidents.events(inc["id"])[-1]
    relay.push([latest])  # already relayed by the tail: not sent again
    assert len(sent) == pushed_before
    names = [(n, d["type"]) for n, d, _ in sent]
    assert names == [("incident.updated", "reported"), ("incident.updated", "dispatched"),
                     ("task.offered", "offered"), ("task.offered", "offered")]
    offered = [(d["data"]["unit"], rooms) for n, d, rooms in sent if n == "task.offered"]
    assert offered == [(ZHICHENG, [f"unit:{ZHICHENG}", "command"]),
                       ("power_supply", ["unit:power_supply", "command"])]
    assert all(d["incident_id"] == inc["id"] and d["incident"]["id"] == inc["id"]
               for _, d, _ in sent)
    seqs = [d["seq"] for _, d, _ in sent]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4


def test_replay_gives_a_rooms_events_in_order_and_refuses_bad_seqs(client, login, ctx):
    report(client, login("demo-reporter"))
    report(client, login("demo-reporter"), category="other")
    with ctx.uow() as uow:
        last = uow.events.last_seq()
    power = replay(ctx.uow, ["unit:power_supply"], 0, ctx.settings)
    assert [e["data"]["type"] for e in power["events"]] == ["offered"]
    town = replay(ctx.uow, [f"unit:{ZHICHENG}"], 0, ctx.settings)
    assert [e["data"]["type"] for e in town["events"]] == ["offered", "offered"]
    command = replay(ctx.uow, ["command"], 0, ctx.settings)
    assert len(command["events"]) == 7  # reported, dispatched, 2 offers; then 3 for "other"
    since = town["events"][0]["data"]["seq"]
    assert [e["data"]["seq"] for e in replay(ctx.uow, [f"unit:{ZHICHENG}"], since,
                                             ctx.settings)["events"]] \
        == [e["data"]["seq"] for e in town["events"][1:]]
    for bad in (-1, last + 1, "7", None, 1.5, True):
        with pytest.raises(ValidationFailed) as err:
            replay(ctx.uow, ["command"], bad, ctx.settings)
        assert err.value.errors[0].field == "since_seq"


def test_the_sweep_keeps_position_history_within_its_retention(client, login, ctx, clock):
    from dispatch.storage import tables as t
    from server import realtime
    from tests.helpers import count_rows

    officer = login(f"officer-{ZHICHENG}")
    lon, lat = seat()
    now = clock.now
    for days in (45, 31, 2):  # each sent when it was fresh: the server refuses stale device times
        clock.set(now - timedelta(days=days))
        fix = {"lat": lat, "lon": lon, "accuracy_m": 5, "recorded_at": clock.now.isoformat()}
        assert client.post("/api/v1/officers/me/positions", headers=officer,
                           json=[fix]).get_json()["stored"] == 1
    clock.set(now)
    realtime._last_purge[0] = None  # the purge runs at most hourly; make this sweep do it
    realtime.sweep(ctx)
    assert count_rows(ctx, t.officer_positions) == 1
    assert count_rows(ctx, t.officer_last_positions) == 1


def test_events_pushed_from_memory_are_not_sent_again_by_the_tail(client, login, ctx):
    sent: list[int] = []
    relay = Relay(ctx.uow, lambda name, data, rooms: sent.append(data["seq"]), ctx.settings)
    relay.start()
    inc = report(client, login("demo-reporter")).get_json()
    with ctx.uow() as uow:
        events = uow.incidents.events(inc["id"])
    relay.push(events)
    assert relay.flush() == 0
    report(client, login("demo-reporter"))
    assert relay.flush() == 4
    assert len(sent) == len(set(sent)) == 8 and sent == sorted(sent)


def test_a_case_whose_timers_were_not_stored_is_planned_by_the_next_sweep(client, login, ctx,
                                                                          clock):
    from sqlalchemy import delete, update

    from dispatch.storage import tables as t
    from server import realtime
    inc = report(client, login("demo-reporter")).get_json()
    with ctx.engine.begin() as conn:  # as if the process died between commit and planning
        conn.execute(delete(t.timers).where(t.timers.c.incident_id == inc["id"]))
        conn.execute(update(t.incidents).where(t.incidents.c.id == inc["id"])
                     .values(timers_planned_at=None))
    realtime.sweep(ctx)
    with ctx.uow() as uow:
        pending = uow.timers.next_pending([inc["id"]])
        assert uow.incidents.get(inc["id"]).timers_planned_at == clock.now
    assert [(t.kind, t.due_at) for t in pending] == [("offer", clock.now + timedelta(minutes=5))]
    realtime.sweep(ctx)  # planning twice stores nothing twice
    clock.advance(minutes=31)
    deadlines.fire_due_timers(ctx)
    assert sorted(_overdue(ctx, inc["id"])) == [(ZHICHENG, "arrival"),
                                                 ("power_supply", "arrival")]


def test_a_push_after_another_process_committed_keeps_seq_order(client, login, ctx):
    sent: list[int] = []
    relay = Relay(ctx.uow, lambda name, data, rooms: sent.append(data["seq"]), ctx.settings)
    relay.start()
    report(client, login("demo-reporter"))  # committed elsewhere: this relay was not told
    mine = report(client, login("demo-reporter")).get_json()
    with ctx.uow() as uow:
        relay.push(uow.incidents.events(mine["id"]))
    assert len(sent) == 8 and sent == sorted(sent)  # the other's four first, then these
    assert relay.flush() == 0
