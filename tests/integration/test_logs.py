"""The logs, on PostGIS and SQLite: JSON lines; one request id followed from the POST of a report
to the push of its events, into its timers, its RQ job and the job's pushes; and no personal data
(the description, a phone number, a name) anywhere in what a scenario logged."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from dispatch import deadlines
from dispatch.storage import tables as t
from server import logs
from tests.helpers import ZHICHENG, location, report, seat

PHONE = "13812345678"
DESCRIPTION = f"三号门被堵死了, 货车进不来, 联系王建国 {PHONE}"
COMPLAINT = "一直没人来, 请回电 13987654321"
RID = "phone-7f3a9c2e-0001"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every line the process logs at INFO and above, as JSON lines (the production format)."""
    out = io.StringIO()
    handler = logs.handler(as_json=True, stream=out)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    text = out.getvalue()
    parsed = [json.loads(line) for line in text.splitlines()]  # every line is one object
    for line in parsed:
        assert {"time", "level", "logger", "message", "request_id", "pid"} <= set(line), line
    return parsed


def test_one_request_id_from_the_post_to_the_push_and_the_job(app, client, login, ctx, clock,
                                                              captured, tmp_path):  # type: ignore[no-untyped-def]
    from rq.job import Job

    from server import jobs
    from server.realtime import rq_scheduler
    from tests.e2e.procs import Processes, free_port

    ctx.relay.start()
    redis_port = free_port()
    side = Processes(tmp_path, dict(os.environ))
    side.redis(redis_port)
    try:
        lon, lat = seat()
        r = client.post("/api/v1/incidents", headers={**login("demo-reporter"),
                                                      "X-Request-Id": RID}, json={
            "category": "gate_blocked", "description": DESCRIPTION,
            "location": location(lon, lat)})
        assert r.status_code == 201 and r.headers["X-Request-Id"] == RID
        inc = r.get_json()
        with ctx.engine.connect() as conn:
            events = conn.execute(sa.select(t.events.c.seq, t.events.c.request_id).where(
                t.events.c.incident_id == inc["id"])).all()
            planned = conn.execute(sa.select(t.timers).where(
                t.timers.c.incident_id == inc["id"])).all()
        assert events and {rid for _, rid in events} == {RID}
        assert planned and {x.request_id for x in planned} == {RID}
        log = lines(captured)
        [posted] = [x for x in log if x["logger"] == "server.requests"
                    and x["route"] == "/api/v1/incidents" and x["method"] == "POST"]
        assert posted["request_id"] == RID and posted["status"] == 201
        pushed = {x["seq"]: x for x in log if x["message"].startswith("pushed ")}
        assert {seq for seq, _ in events} <= set(pushed)
        assert {pushed[seq]["request_id"] for seq, _ in events} == {RID}

        # Its timers' RQ job carries the id in its meta; the worker runs it as that request's
        # work, and the events the job writes are pushed naming it.
        url = f"redis://127.0.0.1:{redis_port}/0"
        with ctx.uow() as uow:
            first = uow.timers.next_pending([inc["id"]])
        rq_scheduler(url)(first)
        import redis
        connection = redis.Redis.from_url(url)
        [job_id] = [k.decode().removeprefix("rq:job:") for k in connection.keys("rq:job:*")]
        job = Job.fetch(job_id, connection=connection)
        assert job.meta["request_id"] == RID
        clock.advance(minutes=30, seconds=1)  # the arrival's overdue notices are due
        before = len(lines(captured))
        jobs.bind(ctx)
        try:
            assert job.perform() > 0
        finally:
            jobs.bind(None)  # type: ignore[arg-type]
        ctx.relay.flush()
        after = lines(captured)[before:]
        [ran] = [x for x in after if x["logger"] == "server.jobs"]
        assert ran["request_id"] == RID and ran["incident_id"] == inc["id"]
        overdue = [x for x in after if x["message"] == "pushed overdue"]
        assert overdue and {x["request_id"] for x in overdue} == {RID}
        assert {x["incident_id"] for x in overdue} == {inc["id"]}
    finally:
        ctx.relay.watermark = None
        side.stop_all()


def test_the_sweep_names_the_request_that_planned_each_timer(client, login, ctx, clock,
                                                             captured):  # type: ignore[no-untyped-def]
    r = report(client, {**login("demo-reporter"), "X-Request-Id": RID})
    assert r.headers["X-Request-Id"] == RID
    clock.advance(minutes=30, seconds=1)
    deadlines.fire_due_timers(ctx)
    fired = [x for x in lines(captured) if x["logger"] == "dispatch.deadlines"]
    assert fired and {x["planned_by"] for line in fired for x in line["timers"]} == {RID}
    with ctx.engine.connect() as conn:
        written = conn.execute(sa.select(t.events.c.request_id).where(
            t.events.c.incident_id == r.get_json()["id"], t.events.c.type == "overdue")).all()
    assert written and {rid for (rid,) in written} == {RID}


@pytest.mark.parametrize(("given", "kept"), [
    ("a" * 64, True),              # at the limit
    ("a" * 65, False),             # one past it
    ("req-1.2_3:x@y/z+w=", True),
    ("has space", False), ('quote"d', False), ("zh-请求", False), ("", False),
])
def test_an_incoming_request_id_is_kept_only_when_sane(client, given, kept):  # type: ignore[no-untyped-def]
    r = client.get("/healthz", headers={"X-Request-Id": given})
    got = r.headers["X-Request-Id"]
    if kept:
        assert got == given
    else:
        assert got != given and len(got) == 32 and int(got, 16) >= 0


def test_no_personal_data_is_logged(app, client, login, ctx, clock, captured):  # type: ignore[no-untyped-def]
    """A scenario that touches every kind of text: the report, an accept, a late check-in, a
    restore with a note, a complaint, a refused report (422), a wrong password, a 404."""
    ctx.relay.start()
    try:
        reporter = login("demo-reporter")
        inc = report(client, reporter, category="gate_blocked", description=DESCRIPTION).get_json()
        officer = login(f"officer-{ZHICHENG}")
        assert client.post(f"/api/v1/incidents/{inc['id']}/accept",
                           headers=officer).status_code == 200
        clock.advance(minutes=31)
        deadlines.fire_due_timers(ctx)
        lon, lat = seat()
        assert client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=officer,
                           json={"location": location(lon, lat)}).status_code == 200
        assert client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=officer,
                           json={"note": f"已疏通, 业主王建国 {PHONE} 确认"}).status_code == 200
        assert client.post(f"/api/v1/incidents/{inc['id']}/complaints", headers=reporter,
                           json={"text": COMPLAINT}).status_code == 201
        bad = report(client, reporter, description=DESCRIPTION + "\x0b")
        assert bad.status_code == 422
        assert client.post("/api/v1/auth/token", json={"username": f"王建国{PHONE}",
                                                       "password": PHONE}).status_code == 401
        assert client.get(f"/api/v1/incidents/{PHONE}", headers=reporter).status_code == 404
        ctx.relay.flush()
    finally:
        ctx.relay.watermark = None
    text = captured.getvalue()
    assert len(lines(captured)) >= 10 and inc["id"] in text  # it did log, by id
    for secret in (DESCRIPTION, "三号门", PHONE, "13987654321", COMPLAINT, "王建国", "已疏通"):
        assert secret not in text, secret


def test_a_socket_request_gets_an_id_of_its_own(app, client, login, ctx):  # type: ignore[no-untyped-def]
    from server.channels import NAMESPACE
    from server.extensions import socketio

    inc = report(client, login("demo-reporter")).get_json()
    officer = socketio.test_client(app, namespace=NAMESPACE, auth={
        "token": login(f"officer-{ZHICHENG}")["Authorization"].split()[1]})
    try:
        answer = officer.emit("task.accept", {"incident_id": inc["id"]}, namespace=NAMESPACE,
                              callback=True)
    finally:
        officer.disconnect(namespace=NAMESPACE)
    assert answer["ok"], answer
    with ctx.engine.connect() as conn:
        ids = dict(conn.execute(sa.select(t.events.c.type, t.events.c.request_id).where(
            t.events.c.incident_id == inc["id"])).all())
    assert len(ids["accepted"]) == 32 and ids["accepted"] != ids["reported"]
