"""Races are part of the design: N identical requests at once give one effect and N well-formed
answers (the first result replayed), never a 5xx; and no fix dated in the future pins "latest".

The concurrent tests send 20 requests at once from 20 threads (each with its own test client,
released together by a barrier) on both stores: PostgreSQL is where these races are real;
SQLite serialises writers and must give the same answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import Point
from sqlalchemy import insert, select

from dispatch.model import Role, User
from dispatch.storage import tables as t
from tests.conftest import START
from tests.helpers import ZHICHENG, count_rows, location, report, seat

N = 20


def together(app, n: int, send: Callable[[Any, int], Any]) -> list[Any]:  # type: ignore[no-untyped-def]
    """Run `send(client, i)` in n threads released at the same instant; their responses."""
    barrier = threading.Barrier(n)

    def one(i: int) -> Any:
        client = app.test_client()
        barrier.wait(timeout=30)
        return send(client, i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def statuses(responses: list[Any]) -> list[int]:
    return sorted(r.status_code for r in responses)


def well_formed(responses: list[Any]) -> None:
    """Nothing 5xx, and every answer is JSON (a problem or a resource)."""
    for r in responses:
        assert r.status_code < 500, r.get_data(as_text=True)
        assert r.is_json, r.get_data(as_text=True)


def new_officer(ctx, unit_code: str = ZHICHENG, name: str = "officer-new") -> str:  # type: ignore[no-untyped-def]
    """A second officer of a unit (the demo has one each), with the demo password."""
    import uuid
    with ctx.uow() as uow:
        template = uow.users.by_username(f"officer-{unit_code}")
        username = f"{name}-{uuid.uuid4().hex[:8]}"
        uow.users.add(User(username=username, password_hash=template.password_hash,
                           role=Role.OFFICER, unit_code=unit_code, display_name=username))
        uow.commit()
    return username


def fix(lon: float, lat: float, at: datetime, accuracy_m: float = 8.0) -> dict[str, Any]:
    return {**location(lon, lat, accuracy_m=accuracy_m), "recorded_at": at.isoformat()}


def last_position(ctx, officer_username: str) -> Any:  # type: ignore[no-untyped-def]
    lp, u = t.officer_last_positions, t.users
    with ctx.engine.connect() as conn:
        return conn.execute(select(lp).join(u, u.c.id == lp.c.officer_id)
                            .where(u.c.username == officer_username)).first()


def history(ctx, officer_username: str) -> list[datetime]:  # type: ignore[no-untyped-def]
    op, u = t.officer_positions, t.users
    with ctx.engine.connect() as conn:
        return sorted(conn.scalars(select(op.c.recorded_at).join(u, u.c.id == op.c.officer_id)
                                   .where(u.c.username == officer_username)))


def events_of(ctx, incident_id: str, type_: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    q = select(t.events.c.type).where(t.events.c.incident_id == incident_id)
    if type_ is not None:
        q = q.where(t.events.c.type == type_)
    with ctx.engine.connect() as conn:
        return list(conn.scalars(q.order_by(t.events.c.seq)))


# -- Idempotency-Key on reports -------------------------------------------------------------------

def test_one_idempotency_key_sent_20_times_at_once_makes_one_incident(app, ctx, login):
    headers = {**login("demo-reporter"), "Idempotency-Key": "phone-1-report-1"}
    answers = together(app, N, lambda c, i: report(c, headers))
    well_formed(answers)
    assert statuses(answers) == [200] * (N - 1) + [201]
    ids = {r.get_json()["id"] for r in answers}
    assert len(ids) == 1
    (incident_id,) = ids
    # One incident, one set of events and assignments, one key: exactly what one report writes.
    assert count_rows(ctx, t.incidents) == 1 and count_rows(ctx, t.idempotency_keys) == 1
    assert events_of(ctx, incident_id) == ["reported", "dispatched", "offered", "offered"]
    assert count_rows(ctx, t.incident_units) == 2
    # Every replay shows the incident the first answer created, with the same units.
    first = next(r.get_json() for r in answers if r.status_code == 201)
    for r in answers:
        assert r.get_json()["units"] == first["units"]


def test_a_refused_first_request_leaves_its_key_free_and_replays_nothing(app, ctx, login):
    """Half the requests are refused (a site that is not theirs) and half are good, under one key:
    the refused ones leave nothing behind, so a good one creates the incident, exactly once, and
    no one is answered with a resource that does not exist."""
    headers = {**login("demo-reporter"), "Idempotency-Key": "phone-1-report-2"}
    lon, lat = seat()
    good = {"category": "power_cut", "description": "停电", "location": location(lon, lat)}
    bad = {"category": "power_cut", "description": "停电", "site_id": "not-a-site"}

    answers = together(app, N, lambda c, i: c.post("/api/v1/incidents", headers=headers,
                                                   json=bad if i % 2 else good))
    well_formed(answers)
    goods = [r for i, r in enumerate(answers) if not i % 2]
    bads = [r for i, r in enumerate(answers) if i % 2]
    assert all(r.status_code == 422 for r in bads)
    assert {r.get_json()["errors"][0]["field"] for r in bads} <= {"site_id", "Idempotency-Key"}
    assert statuses(goods) == [200] * (N // 2 - 1) + [201]
    assert len({r.get_json()["id"] for r in goods}) == 1
    assert count_rows(ctx, t.incidents) == 1 and count_rows(ctx, t.idempotency_keys) == 1


def test_a_refused_request_does_not_claim_its_key(client, ctx, login):
    headers = {**login("demo-reporter"), "Idempotency-Key": "phone-1-report-3"}
    refused = client.post("/api/v1/incidents", headers=headers,
                          json={"category": "power_cut", "description": "x",
                                "site_id": "not-a-site"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "site_id"
    assert count_rows(ctx, t.idempotency_keys) == 0
    created = report(client, headers)
    assert created.status_code == 201
    assert report(client, headers).get_json()["id"] == created.get_json()["id"]


# -- positions ------------------------------------------------------------------------------------

def test_the_same_position_batch_20_times_at_once_stores_each_fix_once(app, ctx, login):
    officer = f"officer-{ZHICHENG}"
    headers = login(officer)
    lon, lat = seat()
    batch = [fix(lon + k * 1e-4, lat, START - timedelta(seconds=60 - 10 * k)) for k in range(5)]
    answers = together(app, N, lambda c, i: c.post("/api/v1/officers/me/positions",
                                                   headers=headers, json=batch))
    well_formed(answers)
    assert statuses(answers) == [202] * N
    assert all(r.get_json()["received"] == 5 for r in answers)
    # Each fix was new for exactly one of the requests.
    assert sum(r.get_json()["stored"] for r in answers) == 5
    assert len(history(ctx, officer)) == 5
    latest = last_position(ctx, officer)
    assert latest.recorded_at == START - timedelta(seconds=20)
    assert latest.location.x == pytest.approx(lon + 4e-4)


def test_a_new_officers_first_fixes_in_parallel_give_one_latest_and_every_fix(app, ctx, login):
    officer = new_officer(ctx)
    headers = login(officer)
    lon, lat = seat()
    times = [START - timedelta(seconds=100 - i) for i in range(N)]

    answers = together(app, N, lambda c, i: c.post(
        "/api/v1/officers/me/positions", headers=headers,
        json={"positions": [fix(lon + i * 1e-5, lat, times[i])]}))
    well_formed(answers)
    assert statuses(answers) == [202] * N
    assert [r.get_json()["stored"] for r in answers] == [1] * N
    assert history(ctx, officer) == times
    latest = last_position(ctx, officer)
    assert latest.recorded_at == times[-1] and latest.location.x == pytest.approx(lon + 19e-5)


def test_a_new_officers_same_first_fix_in_parallel_is_stored_once(app, ctx, login):
    officer = new_officer(ctx)
    headers = login(officer)
    lon, lat = seat()
    one = [fix(lon, lat, START - timedelta(seconds=5))]
    answers = together(app, N, lambda c, i: c.post("/api/v1/officers/me/positions",
                                                   headers=headers, json=one))
    well_formed(answers)
    assert sorted(r.get_json()["stored"] for r in answers) == [0] * (N - 1) + [1]
    assert history(ctx, officer) == [START - timedelta(seconds=5)]
    assert last_position(ctx, officer).recorded_at == START - timedelta(seconds=5)


def test_overlapping_batches_in_parallel_do_not_deadlock(app, ctx, login):
    """Batches sharing fixes in different orders: each fix is stored once, nobody is refused."""
    officer = new_officer(ctx)
    headers = login(officer)
    lon, lat = seat()
    fixes = [fix(lon, lat + k * 1e-5, START - timedelta(seconds=30 - k)) for k in range(10)]

    def send(c, i):  # type: ignore[no-untyped-def]
        mine = fixes[i % 5:] if i % 2 else list(reversed(fixes[: 10 - i % 5]))
        return c.post("/api/v1/officers/me/positions", headers=headers, json=mine)

    answers = together(app, N, send)
    well_formed(answers)
    assert statuses(answers) == [202] * N
    assert sum(r.get_json()["stored"] for r in answers) == 10
    assert len(history(ctx, officer)) == 10
    assert last_position(ctx, officer).recorded_at == START - timedelta(seconds=21)


# -- a fix dated in the future never pins "latest" -----------------------------------------------

def _poison(ctx, username: str, recorded_at: datetime) -> None:  # type: ignore[no-untyped-def]
    """Write a latest position directly, as an older release (or a bad clock) could have."""
    lon, lat = seat()
    with ctx.engine.begin() as conn:
        officer = conn.execute(select(t.users.c.id, t.users.c.unit_code)
                               .where(t.users.c.username == username)).one()
        conn.execute(insert(t.officer_last_positions).values(
            officer_id=officer.id, unit_code=officer.unit_code,
            location=Point(lon + 0.05, lat + 0.05), accuracy_m=5.0,
            recorded_at=recorded_at, received_at=START - timedelta(days=1)))


@pytest.mark.parametrize("stored_at, replaced", [
    (START + timedelta(days=365), True),           # far in the future
    (START + timedelta(microseconds=1), True),     # just after the server's time: one step past
    (START, False),                                # at the server's time: a real, newer fix
])
def test_a_future_dated_latest_heals_with_the_next_honest_fix(client, ctx, login,
                                                              stored_at, replaced):
    officer = f"officer-{ZHICHENG}"
    _poison(ctx, officer, stored_at)
    lon, lat = seat()
    honest = START - timedelta(seconds=10)
    r = client.post("/api/v1/officers/me/positions", headers=login(officer),
                    json=[fix(lon, lat, honest)])
    assert r.status_code == 202
    latest = last_position(ctx, officer)
    if replaced:
        assert latest.recorded_at == honest and latest.received_at == START
        assert latest.location.x == pytest.approx(lon)
    else:
        assert latest.recorded_at == stored_at
    assert history(ctx, officer) == [honest]


def test_an_older_honest_fix_never_replaces_a_newer_one(client, ctx, login):
    officer = f"officer-{ZHICHENG}"
    headers = login(officer)
    lon, lat = seat()
    newer, older = START - timedelta(seconds=5), START - timedelta(seconds=50)
    assert client.post("/api/v1/officers/me/positions", headers=headers,
                       json=[fix(lon, lat, newer)]).status_code == 202
    assert client.post("/api/v1/officers/me/positions", headers=headers,
                       json=[fix(lon + 0.01, lat, older)]).status_code == 202
    latest = last_position(ctx, officer)
    assert latest.recorded_at == newer and latest.location.x == pytest.approx(lon)
    assert history(ctx, officer) == [older, newer]


def test_a_healed_officer_is_ranked_at_the_honest_place(client, ctx, login):
    """The poisoned latest put the officer 7 km away; the offer after the honest fix does not."""
    officer = f"officer-{ZHICHENG}"
    _poison(ctx, officer, START + timedelta(days=365))
    lon, lat = seat()
    client.post("/api/v1/officers/me/positions", headers=login(officer),
                json=[fix(lon, lat, START - timedelta(seconds=10))])
    inc = report(client, login("demo-reporter")).get_json()
    with ctx.engine.connect() as conn:
        data = conn.scalars(select(t.events.c.data).where(
            t.events.c.incident_id == inc["id"], t.events.c.type == "offered")).all()
    offer = next(d for d in data if d["unit"] == ZHICHENG)
    assert [o["distance_m"] for o in offer["officers"]] == [0.0]


# -- accept ---------------------------------------------------------------------------------------

def test_one_officer_accepting_20_times_at_once_accepts_once(app, ctx, login, client):
    inc = report(client, login("demo-reporter")).get_json()
    headers = login(f"officer-{ZHICHENG}")
    answers = together(app, N, lambda c, i: c.post(f"/api/v1/incidents/{inc['id']}/accept",
                                                   headers=headers))
    well_formed(answers)
    assert statuses(answers) == [200] * N
    accepted = {next(u["accepted_at"] for u in r.get_json()["units"] if u["code"] == ZHICHENG)
                for r in answers}
    assert len(accepted) == 1 and None not in accepted
    assert events_of(ctx, inc["id"], "accepted") == ["accepted"]


def test_two_officers_of_a_unit_accepting_at_once_one_wins(app, ctx, login, client):
    inc = report(client, login("demo-reporter")).get_json()
    first, second = f"officer-{ZHICHENG}", new_officer(ctx)
    heads = [login(first), login(second)]
    answers = together(app, N, lambda c, i: c.post(f"/api/v1/incidents/{inc['id']}/accept",
                                                   headers=heads[i % 2]))
    well_formed(answers)
    # The unit took the task once; every officer of it is told so (200, the case unchanged).
    assert statuses(answers) == [200] * N
    assert events_of(ctx, inc["id"], "accepted") == ["accepted"]
    with ctx.engine.connect() as conn:
        by = conn.scalars(select(t.incident_units.c.accepted_by).where(
            t.incident_units.c.incident_id == inc["id"],
            t.incident_units.c.unit_code == ZHICHENG)).one()
        ids = set(conn.scalars(select(t.users.c.id).where(
            t.users.c.username.in_([first, second]))))
    assert by in ids


# -- check-in -------------------------------------------------------------------------------------

def _check_in(c, headers, incident_id):  # type: ignore[no-untyped-def]
    lon, lat = seat()
    return c.post(f"/api/v1/incidents/{incident_id}/check-in", headers=headers,
                  json={"location": location(lon, lat)})


@pytest.mark.parametrize("with_key", [True, False])
def test_one_officer_checking_in_20_times_at_once_arrives_once(app, ctx, login, client,
                                                               with_key):
    inc = report(client, login("demo-reporter")).get_json()
    headers = login(f"officer-{ZHICHENG}")
    if with_key:
        headers["Idempotency-Key"] = "checkin-race-1"
    answers = together(app, N, lambda c, i: _check_in(c, headers, inc["id"]))
    well_formed(answers)
    assert statuses(answers) == [200] * N
    arrived = {next(u["arrived_at"] for u in r.get_json()["units"] if u["code"] == ZHICHENG)
               for r in answers}
    assert len(arrived) == 1 and None not in arrived
    assert all(r.get_json()["status"] == "on_site" for r in answers)
    assert events_of(ctx, inc["id"], "arrived") == ["arrived"]
    assert count_rows(ctx, t.idempotency_keys) == (1 if with_key else 0)


def test_a_refused_check_in_leaves_its_key_free(client, ctx, login):
    inc = report(client, login("demo-reporter")).get_json()
    headers = {**login(f"officer-{ZHICHENG}"), "Idempotency-Key": "checkin-far-then-near"}
    lon, lat = seat()
    far = client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=headers,
                      json={"location": location(lon + 0.05, lat)})
    assert far.status_code == 422
    assert count_rows(ctx, t.idempotency_keys) == 0
    # Refused, it left no claim: the same key on the near fix arrives (not "key already used").
    near = _check_in(client, headers, inc["id"])
    assert near.status_code == 200 and near.get_json()["status"] == "on_site"
    assert events_of(ctx, inc["id"], "arrived") == ["arrived"]


def test_a_check_in_key_replays_across_incidents_as_a_conflict_of_keys(client, ctx, login):
    """One key used for two different requests is refused on the field, never a 500."""
    reporter = login("demo-reporter")
    a = report(client, reporter).get_json()
    b = report(client, reporter).get_json()
    headers = {**login(f"officer-{ZHICHENG}"), "Idempotency-Key": "checkin-reused"}
    assert _check_in(client, headers, a["id"]).status_code == 200
    reused = _check_in(client, headers, b["id"])
    assert reused.status_code == 422
    assert reused.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert events_of(ctx, b["id"], "arrived") == []


# -- restore and resolve --------------------------------------------------------------------------

def _on_site(client, login) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    inc = report(client, login("demo-reporter")).get_json()
    officer = login(f"officer-{ZHICHENG}")
    assert _check_in(client, officer, inc["id"]).status_code == 200
    return inc["id"], officer


def test_the_same_restore_and_resolve_20_times_at_once_happen_once(app, ctx, login, client):
    """A phone's retries of one restore (same officer, same note) are answered like the first."""
    incident_id, officer = _on_site(client, login)
    for action, status in (("restore", "restored"), ("resolve", "resolved")):
        path = f"/api/v1/incidents/{incident_id}/{action}"
        answers = together(app, N, lambda c, i, path=path: c.post(
            path, headers=officer, json={"note": "恢复通行"}))
        well_formed(answers)
        assert statuses(answers) == [200] * N
        assert {r.get_json()["status"] for r in answers} == {status}
        assert len({r.get_json()["milestones"][f"{status}_at"] for r in answers}) == 1
        assert events_of(ctx, incident_id, status) == [status]


def test_different_restores_at_once_one_wins_the_others_conflict(app, ctx, login, client):
    incident_id, _ = _on_site(client, login)
    officers = [login(f"officer-{ZHICHENG}"), login(new_officer(ctx))]
    answers = together(app, N, lambda c, i: c.post(
        f"/api/v1/incidents/{incident_id}/restore", headers=officers[i % 2],
        json={"note": f"note {i}"}))
    well_formed(answers)
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert events_of(ctx, incident_id, "restored") == ["restored"]
    # Once it stands, a repeat by someone else, or with another note, is still out of order.
    winner = next(r.get_json() for r in answers if r.status_code == 200)
    again = client.post(f"/api/v1/incidents/{incident_id}/restore", headers=officers[0],
                        json={"note": "another note"})
    assert again.status_code == 409
    assert winner["milestones"]["restored_at"] is not None


# -- lock order -----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["postgis"])  # SQLite: one write lock, no lock order
def test_locking_a_second_case_does_not_take_the_event_log_lock_first(app, ctx, login, client):
    """A timer sweep changes case A, then locks case B, which an accept holds; the accept then
    writes its event. Were B locked after A's event was flushed (the event log's counter row
    locked), each would wait for the other: PostgreSQL would abort one (a 500 or a lost
    sweep). The counter is taken at commit, after every case's lock."""
    import time

    from sqlalchemy import text

    reporter = login("demo-reporter")
    a, b = (report(client, reporter).get_json()["id"] for _ in range(2))
    with ctx.uow() as uow:
        officer = uow.users.by_username(f"officer-{ZHICHENG}")
    holder = ctx.uow().__enter__()
    held = holder.incidents.get(b, for_update=True)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            with ctx.uow() as uow:
                uow.incidents.get(a, for_update=True).accept(ZHICHENG, officer.id, START)
                uow.incidents.get(b, for_update=True)  # waits for the holder
                uow.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=sweep)
    thread.start()
    with ctx.engine.connect() as conn:
        for _ in range(200):
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar_one()
            if waiting:
                break
            time.sleep(0.02)
    held.accept(ZHICHENG, officer.id, START)
    holder.commit()
    holder.__exit__(None, None, None)
    thread.join(30)
    assert errors == []
    assert events_of(ctx, a, "accepted") == ["accepted"]
    assert events_of(ctx, b, "accepted") == ["accepted"]
