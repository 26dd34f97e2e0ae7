"""The supervision cycle end to end through HTTP on both databases: feedback and return for redo,
the no-feedback close, extensions with reasons, complaints and their reply clock, central
assignment and the green channel; what `/live` pushes, what the timeline shows, and that every
refusal writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from dispatch import deadlines
from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, count_rows, location, report, seat

NAMESPACE = "/live"
PS = "power_supply"
US = timedelta(microseconds=1)


def _sio():  # type: ignore[no-untyped-def]
    from server.extensions import socketio
    return socketio


@pytest.fixture
def live(app, ctx, client):  # type: ignore[no-untyped-def]
    """The relay started, as in a serving web process: commits are pushed to test sockets."""
    ctx.relay.start()
    sockets: list[Any] = []

    def connect(username: str):  # type: ignore[no-untyped-def]
        token = client.post("/api/v1/auth/token", json={"username": username,
                                                        "password": "demo"}).get_json()
        sock = _sio().test_client(app, namespace=NAMESPACE,
                                  auth={"token": token["access_token"]})
        assert sock.is_connected(NAMESPACE)
        sockets.append(sock)
        return sock

    yield connect
    for sock in sockets:
        if sock.is_connected(NAMESPACE):
            sock.disconnect(namespace=NAMESPACE)
    ctx.relay.watermark = None


def heard(sock) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m["name"], m["args"][0]["type"]) for m in sock.get_received(NAMESPACE)]


def _writes(ctx) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(count_rows(ctx, table) for table in (t.events, t.timers, t.complaints,
                                                      t.overdue_records))


def _user_id(ctx, username: str) -> str:  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return uow.users.by_username(username).id


def _get(client, login, inc_id: str, who: str = "demo-commander") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/incidents/{inc_id}", headers=login(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _timeline(client, login, inc_id: str, who: str = "demo-commander") -> list[str]:  # type: ignore[no-untyped-def]
    return [e["type"] for e in _get(client, login, inc_id, who)["timeline"]]


def _worked(client, login, clock, late: bool = False) -> str:  # type: ignore[no-untyped-def]
    """A power cut at 轵城镇 whose two units arrive and restore in time; not yet solved."""
    inc = report(client, login("demo-reporter")).get_json()
    lon, lat = seat()
    for officer in (f"officer-{ZHICHENG}", f"officer-{PS}"):
        clock.advance(minutes=1)
        r = client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=login(officer),
                        json={"location": location(lon, lat)})
        assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=login(f"officer-{PS}"),
                    json={"note": "power back"})
    assert r.status_code == 200
    return str(inc["id"])


def _resolve(client, login, inc_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post(f"/api/v1/incidents/{inc_id}/resolve", headers=login(f"officer-{PS}"),
                    json={"note": "cable replaced"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _feedback(client, login, inc_id: str, who: str = "demo-reporter", **body: Any):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/incidents/{inc_id}/feedback", headers=login(who), json=body)


# -- 1. feedback and return for redo ---------------------------------------------------------

def test_the_reporter_is_asked_and_a_satisfied_answer_closes_the_case(client, login, ctx, clock,
                                                                      live):
    inc_id = _worked(client, login, clock)
    reporter, unit = live("demo-reporter"), live(f"officer-{PS}")
    clock.advance(hours=2)
    solved = _resolve(client, login, inc_id)
    assert solved["feedback"]["requested_due"].startswith(
        (clock.now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S"))
    assert ("feedback.requested", "feedback_requested") in heard(reporter)
    assert "feedback_requested" not in [x[1] for x in heard(unit)]  # the reporter is asked

    clock.advance(hours=1)
    r = _feedback(client, login, inc_id, satisfied=True, rating=5, comment="很好")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "closed" and body["closed_reason"] == "satisfied"
    assert body["feedback"] == {**body["feedback"], "satisfied": True, "rating": 5,
                                "comment": "很好", "requested_due": None}
    assert body["milestones"]["closed_at"] is not None
    assert [x[1] for x in heard(unit)] == ["feedback_given", "closed"]
    assert _timeline(client, login, inc_id, "demo-reporter")[-4:] == [
        "resolved", "feedback_requested", "feedback_given", "closed"]
    # The no-feedback clock finds the case answered: nothing more happens, ever.
    clock.advance(days=4)
    before = count_rows(ctx, t.events)
    deadlines.fire_due_timers(ctx)
    assert count_rows(ctx, t.events) == before
    # Answered once: a second answer is refused, and writes nothing.
    writes = _writes(ctx)
    r = _feedback(client, login, inc_id, satisfied=False, rating=1)
    assert r.status_code == 409 and "closed" in r.get_json()["detail"]
    assert _writes(ctx) == writes


def test_an_unsatisfied_reporter_sends_the_case_back_with_new_deadlines_missed_again(
        client, login, ctx, clock, live):
    inc_id = _worked(client, login, clock)
    first_due = _get(client, login, inc_id)["deadlines"]["resolve"]
    with ctx.uow() as uow:
        first = uow.incidents.get(inc_id).resolve_due
    clock.set(first + timedelta(minutes=1))
    deadlines.fire_due_timers(ctx)  # round 0 is missed: both units recorded
    _resolve(client, login, inc_id)
    unit = live(f"officer-{ZHICHENG}")
    clock.advance(hours=1)
    r = _feedback(client, login, inc_id, satisfied=False, rating=2, comment="又停电了")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    new_due = clock.now + timedelta(days=7)
    assert body["status"] == "reopened" and body["deadlines"]["resolve"] != first_due
    assert body["deadlines"]["resolve"].startswith(new_due.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["feedback"]["satisfied"] is False and body["milestones"]["resolved_at"] is None
    assert [x[1] for x in heard(unit)] == ["feedback_given", "reopened"]  # told live
    assert _timeline(client, login, inc_id)[-3:] == ["feedback_requested", "feedback_given",
                                                    "reopened"]
    # The new deadline is watched in this same transaction, and can be missed again.
    clock.set(new_due + US)
    deadlines.fire_due_timers(ctx)
    deadlines.fire_due_timers(ctx)
    with ctx.uow() as uow:
        records = sorted((r.round, r.unit_code, r.due_at) for r in
                         uow.accountability.for_incident(inc_id))
    assert records == [(0, ZHICHENG, first), (0, PS, first), (1, ZHICHENG, new_due),
                       (1, PS, new_due)]
    # The old feedback clock is stale; a new solution asks again.
    again = _resolve(client, login, inc_id)
    assert again["status"] == "resolved" and again["feedback"]["requested_due"] is not None


def test_without_an_answer_the_case_closes_as_no_feedback_exactly_once(client, login, ctx, clock,
                                                                      live):
    inc_id = _worked(client, login, clock)
    _resolve(client, login, inc_id)
    due = clock.now + timedelta(days=3)
    reporter = live("demo-reporter")
    clock.set(due - US)
    deadlines.fire_due_timers(ctx)
    assert _get(client, login, inc_id)["status"] == "resolved"
    clock.set(due)
    deadlines.fire_due_timers(ctx)
    deadlines.fire_due_timers(ctx)
    body = _get(client, login, inc_id)
    assert body["status"] == "closed" and body["closed_reason"] == "no_feedback"
    assert [e["type"] for e in body["timeline"]].count("closed") == 1
    assert heard(reporter) == [("incident.updated", "closed")]
    writes = _writes(ctx)
    assert _feedback(client, login, inc_id, satisfied=True, rating=4).status_code == 409
    assert _writes(ctx) == writes


def test_feedback_is_refused_when_unresolved_foreign_or_malformed_and_writes_nothing(
        client, login, ctx, clock):
    inc_id = _worked(client, login, clock)
    writes = _writes(ctx)
    r = _feedback(client, login, inc_id, satisfied=True, rating=5)
    assert r.status_code == 409 and "solved" in r.get_json()["detail"]
    _resolve(client, login, inc_id)
    writes = _writes(ctx)
    assert _feedback(client, login, inc_id, "demo-reporter-2", satisfied=True,
                     rating=5).status_code == 404
    assert _feedback(client, login, inc_id, f"officer-{PS}", satisfied=True,
                     rating=5).status_code == 403
    for bad, field in (({"satisfied": True, "rating": 6}, "rating"),
                       ({"satisfied": True, "rating": 0}, "rating"),
                       ({"satisfied": "yes", "rating": 3}, "satisfied"),
                       ({"rating": 3}, "satisfied")):
        r = _feedback(client, login, inc_id, **bad)
        assert r.status_code == 422 and r.mimetype == "application/problem+json"
        assert [e["field"] for e in r.get_json()["errors"]] == [field], r.get_json()
    assert _writes(ctx) == writes
    # The limits themselves are accepted.
    assert _feedback(client, login, inc_id, satisfied=False, rating=1).status_code == 200


# -- 2. extensions ---------------------------------------------------------------------------

def _extend(client, login, inc_id: str, who: str = f"dispatcher-{PS}", **body: Any):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/incidents/{inc_id}/extend", headers=login(who), json=body)


def test_an_extension_needs_a_reason_and_a_date_within_the_maximum_and_tells_the_reporter(
        client, login, ctx, clock, live):
    inc_id = _worked(client, login, clock)
    with ctx.uow() as uow:
        original = uow.incidents.get(inc_id).resolve_due
    limit = original + timedelta(days=30)
    writes = _writes(ctx)
    refusals = [
        ({"until": (original + timedelta(days=2)).isoformat()}, "reason", 422),
        ({"reason": "   ", "until": (original + timedelta(days=2)).isoformat()}, "reason", 422),
        ({"reason": "等待设备", "until": original.isoformat()}, "until", 422),
        ({"reason": "等待设备", "until": (original - timedelta(days=1)).isoformat()}, "until",
         422),
        ({"reason": "等待设备", "until": (limit + US).isoformat()}, "until", 422),
        ({"reason": "等待设备", "until": "2026-12-40T00:00:00Z"}, "until", 422),
    ]
    for body, field, status in refusals:
        r = _extend(client, login, inc_id, **body)
        assert r.status_code == status, (body, r.get_json())
        assert [e["field"] for e in r.get_json()["errors"]] == [field], r.get_json()
    assert _extend(client, login, inc_id, f"officer-{PS}", reason="x",
                   until=(original + timedelta(days=1)).isoformat()).status_code == 403
    assert _extend(client, login, inc_id, "dispatcher-water_supply", reason="x",
                   until=(original + timedelta(days=1)).isoformat()).status_code == 404
    assert _writes(ctx) == writes

    reporter = live("demo-reporter")
    r = _extend(client, login, inc_id, reason="等待变压器到货", until=limit.isoformat())
    assert r.status_code == 200, r.get_json()
    assert [x[1] for x in heard(reporter)] == ["extended"]
    mine = _get(client, login, inc_id, "demo-reporter")
    assert mine["extension"]["reason"] == "等待变压器到货" and mine["extension"]["count"] == 1
    assert mine["extension"]["original_deadline"] == original.isoformat().replace("+00:00", "Z")
    assert mine["deadlines"]["resolve"] == limit.isoformat().replace("+00:00", "Z")
    entry = [e for e in mine["timeline"] if e["type"] == "extended"][0]
    assert entry["data"]["reason"] == "等待变压器到货" and entry["data"]["unit"] == PS
    # New clocks for the new deadline; the original deadline passes without a miss.
    with ctx.engine.connect() as conn:
        watching = sorted(conn.execute(
            sa.select(t.timers.c.unit_code, t.timers.c.kind)
            .where(t.timers.c.incident_id == inc_id, t.timers.c.deadline == limit,
                   t.timers.c.milestone == "resolve")).all())
    assert watching == [(ZHICHENG, "deadline_near"), (ZHICHENG, "overdue"),
                        (PS, "deadline_near"), (PS, "overdue")]
    clock.set(original + timedelta(hours=1))
    deadlines.fire_due_timers(ctx)
    with ctx.uow() as uow:
        assert uow.accountability.for_incident(inc_id) == []
    # Past the maximum counted from the ORIGINAL deadline, not the extended one.
    r = _extend(client, login, inc_id, reason="再等", until=(limit + US).isoformat())
    assert r.status_code == 422


# -- 3. complaints ---------------------------------------------------------------------------

def test_a_complaint_goes_to_command_and_is_answered_on_its_own_clock(client, login, ctx, clock,
                                                                    live):
    inc_id = _worked(client, login, clock)
    command, unit = live("demo-commander"), live(f"officer-{PS}")
    r = client.post(f"/api/v1/incidents/{inc_id}/complaints", headers=login("demo-reporter"),
                    json={"text": "处理太慢"})
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["id"] == 1 and first["replied_at"] is None
    assert first["reply_due"].startswith((clock.now + timedelta(hours=24)).strftime(
        "%Y-%m-%dT%H:%M:%S"))
    assert heard(command) == [("complaint.filed", "complained")] and heard(unit) == []
    clock.advance(hours=3)
    r = client.post(f"/api/v1/incidents/{inc_id}/complaints/1/reply",
                    headers=login("demo-commander"), json={"reply": "已督办供电公司"})
    assert r.status_code == 200 and r.get_json()["replied_on_time"] is True

    # A second one is not answered in time: a timer, an overdue record, command told.
    r = client.post(f"/api/v1/incidents/{inc_id}/complaints", headers=login("demo-reporter"),
                    json={"text": "还是没人来"})
    second_due = clock.now + timedelta(hours=24)
    clock.set(second_due)
    deadlines.fire_due_timers(ctx)
    with ctx.uow() as uow:
        assert uow.accountability.for_incident(inc_id) == []
    clock.set(second_due + US)
    deadlines.fire_due_timers(ctx)
    deadlines.fire_due_timers(ctx)
    with ctx.uow() as uow:
        records = [(r.unit_code, r.milestone, r.due_at) for r in
                   uow.accountability.for_incident(inc_id)]
    assert records == [("command", "complaint_reply", second_due)]
    assert heard(command)[-1] == ("complaint.overdue", "complaint_overdue")
    r = client.post(f"/api/v1/incidents/{inc_id}/complaints/2/reply",
                    headers=login("demo-commander"), json={"reply": "已处理"})
    assert r.status_code == 200 and r.get_json()["replied_on_time"] is False
    with ctx.uow() as uow:
        assert [r.met_at for r in uow.accountability.for_incident(inc_id)] == [clock.now]
    body = _get(client, login, inc_id, "demo-reporter")
    assert [c["id"] for c in body["complaints"]] == [1, 2]
    assert [e["type"] for e in body["timeline"] if "complain" in e["type"]] == [
        "complained", "complaint_replied", "complained", "complaint_replied"]  # not the alarm
    types = _timeline(client, login, inc_id)
    assert [x for x in types if x.startswith("complain")] == [
        "complained", "complaint_replied", "complained", "complaint_overdue",
        "complaint_replied"]


def test_complaints_and_replies_are_refused_to_others_and_write_nothing(client, login, ctx,
                                                                       clock):
    inc_id = _worked(client, login, clock)
    url = f"/api/v1/incidents/{inc_id}/complaints"
    writes = _writes(ctx)
    assert client.post(url, headers=login("demo-reporter-2"),
                       json={"text": "x"}).status_code == 404
    assert client.post(url, headers=login(f"officer-{PS}"), json={"text": "x"}).status_code == 403
    r = client.post(url, headers=login("demo-reporter"), json={"text": ""})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "text"
    r = client.post(url + "/1/reply", headers=login("demo-commander"), json={"reply": "ok"})
    assert r.status_code == 404
    assert _writes(ctx) == writes
    assert client.post(url, headers=login("demo-reporter"), json={"text": "慢"}).status_code == 201
    writes = _writes(ctx)
    assert client.post(url + "/1/reply", headers=login(f"dispatcher-{PS}"),
                       json={"reply": "ok"}).status_code == 403
    assert client.post(url + "/1/reply", headers=login("demo-commander"),
                       json={"reply": ""}).status_code == 422
    assert _writes(ctx) == writes
    assert client.post(url + "/1/reply", headers=login("demo-commander"),
                       json={"reply": "好"}).status_code == 200
    writes = _writes(ctx)
    r = client.post(url + "/1/reply", headers=login("demo-commander"), json={"reply": "again"})
    assert r.status_code == 409 and _writes(ctx) == writes


# -- 4. central assignment -------------------------------------------------------------------

def test_a_central_assignment_names_a_person_of_the_unit_and_is_flagged_on_every_view(
        client, login, ctx, clock, live):
    inc_id = _worked(client, login, clock)
    url = f"/api/v1/incidents/{inc_id}/assign"
    person = _user_id(ctx, f"officer-{PS}")
    due = (clock.now + timedelta(days=2)).isoformat()
    writes = _writes(ctx)
    for body, field in (
            ({"unit": PS, "person": _user_id(ctx, f"officer-{ZHICHENG}"), "due": due}, "person"),
            ({"unit": PS, "person": _user_id(ctx, "demo-reporter"), "due": due}, "person"),
            ({"unit": PS, "person": "nobody", "due": due}, "person"),
            ({"unit": "water_supply", "person": _user_id(ctx, "officer-water_supply"),
              "due": due}, "unit"),
            ({"unit": PS, "person": person, "due": clock.now.isoformat()}, "due")):
        r = client.post(url, headers=login("demo-commander"), json=body)
        assert r.status_code == 422, r.get_json()
        assert [e["field"] for e in r.get_json()["errors"]] == [field]
    assert client.post(url, headers=login(f"dispatcher-{PS}"),
                       json={"unit": PS, "person": person, "due": due}).status_code == 403
    assert _writes(ctx) == writes

    unit = live(f"officer-{PS}")
    r = client.post(url, headers=login("demo-commander"),
                    json={"unit": PS, "person": person, "due": due})
    assert r.status_code == 200, r.get_json()
    assert heard(unit) == [("incident.updated", "centrally_assigned")]
    flag = r.get_json()["central_assignment"]
    assert flag["unit"] == PS and flag["person"] == person
    for who in ("demo-reporter", f"officer-{PS}", f"officer-{ZHICHENG}", "demo-commander"):
        assert _get(client, login, inc_id, who)["central_assignment"] == flag
        page = client.get("/api/v1/incidents", headers=login(who)).get_json()
        assert [i["central_assignment"] for i in page["items"] if i["id"] == inc_id] == [flag]
    assert unit.get_received(NAMESPACE) == []
    assert "centrally_assigned" in _timeline(client, login, inc_id)


# -- 5. green channel ------------------------------------------------------------------------

def test_a_green_channel_case_has_its_lead_department_marked_and_tighter_clocks(client, login,
                                                                               ctx, clock):
    me = _user_id(ctx, "demo-reporter")
    lon, lat = seat()
    site = client.post("/api/v1/sites", headers=login("demo-admin"), json={
        "name": "重点项目工地", "location": location(lon, lat), "green_channel": True,
        "owner_id": me}).get_json()
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"), json={
        "category": "power_cut", "description": "工地停电", "site_id": site["id"]})
    assert r.status_code == 201, r.get_json()
    inc = r.get_json()
    assert inc["green_channel"] is True
    assert {u["code"]: u["lead"] for u in inc["units"]} == {
        ZHICHENG: False, "development_reform": True, PS: False}
    received = inc["received_at"]
    assert inc["deadlines"]["arrival"] == (clock.now + timedelta(minutes=20)).isoformat(
        ).replace("+00:00", "Z") and received
    assert inc["deadlines"]["restore"] == (clock.now + timedelta(hours=1)).isoformat(
        ).replace("+00:00", "Z")
    officer = client.get("/api/v1/incidents", headers=login("officer-development_reform"))
    item = [i for i in officer.get_json()["items"] if i["id"] == inc["id"]][0]
    assert item["green_channel"] is True and [u["lead"] for u in item["units"]] == [
        False, True, False]
    plain = report(client, login("demo-reporter")).get_json()
    assert plain["green_channel"] is False and not any(u["lead"] for u in plain["units"])
    assert plain["deadlines"]["arrival"] == (clock.now + timedelta(minutes=30)).isoformat(
        ).replace("+00:00", "Z")
