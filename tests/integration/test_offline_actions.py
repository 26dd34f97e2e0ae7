"""Offline actions and honest device times over HTTP, on both databases (issue 16, item 10): an
offline check-in counts at its device time when the officer's stored positions vouch for it, is
marked sent late, and shows how it was judged on the case, the list and the live snapshot; a fix
too fast is refused (check-in) or stored flagged (positions); the mock-location flag reaches
command; restore and resolve keep their device time; `GET /api/v1/officers` gives command each
officer's last position and when it was taken."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.storage import tables as t
from geo.distance import offset_point
from tests.helpers import KEJING, ZHICHENG, location, report, seat
from tests.integration.test_races import new_officer

OFFICER = f"officer-{ZHICHENG}"


def _near(metres: float, accuracy_m: float = 6.0) -> dict[str, Any]:
    return location(*offset_point(*seat(), 90.0, metres), accuracy_m=accuracy_m)


def _positions(client: Any, headers: dict[str, str], *fixes: tuple[float, Any, bool | None]
               ) -> Any:
    body = [{**_near(metres), "recorded_at": at.isoformat(),
             **({} if mock is None else {"mock_location": mock})} for metres, at, mock in fixes]
    r = client.post("/api/v1/officers/me/positions", headers=headers, json=body)
    assert r.status_code == 202, r.get_json()
    return r.get_json()


def _counts(ctx: Any) -> tuple[int, ...]:
    tables = (t.incidents, t.events, t.incident_units, t.officer_positions,
              t.officer_last_positions, t.overdue_records, t.idempotency_keys)
    with ctx.engine.connect() as conn:
        return tuple(conn.execute(select(*[select(func.count()).select_from(x).scalar_subquery()
                                           for x in tables])).one())


def test_an_offline_check_in_counts_at_its_device_time_and_shows_how(client, login, clock, ctx):
    case = report(client, login("demo-reporter")).get_json()
    officer = login(OFFICER)
    device = clock.now + timedelta(minutes=20)
    clock.advance(minutes=50)  # the network is back: 20 minutes past the arrival deadline
    _positions(client, officer, (40.0, device - timedelta(minutes=4), None))  # backlog first
    r = client.post(f"/api/v1/incidents/{case['id']}/check-in", headers=officer, json={
        "location": _near(15.0), "recorded_at": device.isoformat(), "mock_location": True})
    assert r.status_code == 200, r.get_json()
    [unit] = [u for u in r.get_json()["units"] if u["code"] == ZHICHENG]
    assert unit["arrived_at"] == unit["arrival_device_time"] == "2026-11-27T02:20:00Z"
    assert (unit["arrival_sent_late"], unit["arrival_counted_at"], unit["arrival_on_time"],
            unit["arrival_mock_location"]) == (True, "device", True, True)
    assert "consistent with the stored positions" in unit["arrival_count_reason"]
    command = login("demo-commander")
    shown = client.get(f"/api/v1/incidents/{case['id']}", headers=command).get_json()
    listed = client.get("/api/v1/incidents", headers=command).get_json()["items"][0]
    assert [u for u in listed["units"] if u["code"] == ZHICHENG] == [unit]
    arrived = [e for e in shown["timeline"] if e["type"] == "arrived"][0]
    assert (arrived["at"], arrived["data"]["sent_late"], arrived["data"]["counted_at"]) == (
        "2026-11-27T02:20:00Z", True, "device")
    with ctx.engine.connect() as conn:
        snap = conn.execute(select(t.events.c.snapshot).where(t.events.c.type == "arrived")
                            ).scalar_one()
        assert [u["arrival_counted_at"] for u in snap["units"] if u["code"] == ZHICHENG] == [
            "device"]
        # Met at the device time, before the deadline: no overdue record.
        assert conn.execute(select(func.count()).select_from(t.overdue_records)).scalar() == 0


def test_with_no_stored_position_it_counts_at_the_upload(client, login, clock):
    case = report(client, login("demo-reporter")).get_json()
    device = clock.now + timedelta(minutes=20)
    clock.advance(minutes=50)
    r = client.post(f"/api/v1/incidents/{case['id']}/check-in", headers=login(OFFICER),
                    json={"location": _near(15.0), "recorded_at": device.isoformat()})
    [unit] = [u for u in r.get_json()["units"] if u["code"] == ZHICHENG]
    assert unit["arrived_at"] == "2026-11-27T02:50:00Z" and unit["arrival_on_time"] is False
    assert (unit["arrival_counted_at"], unit["arrival_sent_late"]) == ("upload", True)
    assert unit["arrival_count_reason"] == ("no stored position within 10 min of the device "
                                            "time")
    assert unit["arrival_mock_location"] is None


@pytest.mark.parametrize(("seconds", "refused"), [(60.0, True), (200.0, False)])
def test_a_check_in_implying_over_the_speed_limit_is_refused_and_writes_nothing(
        client, login, clock, ctx, seconds: float, refused: bool):
    """5 km from the site `seconds` ago, then a check-in at the site: 60 s is about 300 km/h
    (refused), 200 s about 90 km/h (arrives)."""
    case = report(client, login("demo-reporter")).get_json()
    officer = login(OFFICER)
    _positions(client, officer, (5000.0, clock.now - timedelta(seconds=seconds), None))
    before = _counts(ctx)
    r = client.post(f"/api/v1/incidents/{case['id']}/check-in", headers=officer,
                    json={"location": _near(10.0)})
    if refused:
        assert r.status_code == 422 and r.mimetype == "application/problem+json"
        [error] = r.get_json()["errors"]
        assert error["field"] == "location" and " km/h from your previous position" in \
            error["message"]
        assert r.get_json()["type"].endswith("/implausible-speed")
        assert _counts(ctx) == before
    else:
        assert r.status_code == 200 and r.get_json()["status"] == "on_site"


def test_a_flagged_position_is_stored_with_its_speed_and_is_not_the_latest(client, login, clock,
                                                                          ctx):
    officer = login(OFFICER)
    _positions(client, officer, (0.0, clock.now - timedelta(minutes=2), False))
    _positions(client, officer, (9000.0, clock.now - timedelta(minutes=1), True))
    with ctx.engine.connect() as conn:
        op, lp = t.officer_positions.c, t.officer_last_positions.c
        rows = conn.execute(select(op.mock_location, op.flagged_speed_kmh)
                            .order_by(op.recorded_at)).all()
        assert rows[0] == (False, None)
        # (9,000 m less the two fixes' 6 m accuracies) in 60 s
        assert rows[1][0] is True and rows[1][1] == pytest.approx(539.3, abs=1.0)
        last = conn.execute(select(lp.recorded_at, lp.mock_location)).one()
        assert last == (clock.now - timedelta(minutes=2), False)


def test_restore_and_resolve_keep_the_device_time_and_count_at_the_servers(client, login, clock):
    case = report(client, login("demo-reporter")).get_json()
    officer = login(OFFICER)
    client.post(f"/api/v1/incidents/{case['id']}/check-in", headers=officer,
                json={"location": _near(5.0)})
    clock.advance(minutes=20)
    sent = clock.now - timedelta(minutes=5)
    r = client.post(f"/api/v1/incidents/{case['id']}/restore", headers=officer,
                    json={"note": "通电了", "recorded_at": sent.isoformat()})
    milestones = r.get_json()["milestones"]
    assert (milestones["restored_at"], milestones["restore_device_time"],
            milestones["restore_sent_late"]) == ("2026-11-27T02:20:00Z", "2026-11-27T02:15:00Z",
                                                 True)
    r = client.post(f"/api/v1/incidents/{case['id']}/resolve", headers=officer,
                    json={"note": "换线", "recorded_at": clock.now.isoformat()})
    milestones = r.get_json()["milestones"]
    assert (milestones["resolve_device_time"], milestones["resolve_sent_late"]) == (
        "2026-11-27T02:20:00Z", False)
    listed = client.get("/api/v1/incidents", headers=officer).get_json()["items"][0]
    assert listed["milestones"] == milestones


@pytest.mark.parametrize(("body", "field"), [
    ({"note": "x", "recorded_at": "2026-11-27T10:00:00"}, "recorded_at"),   # no offset
    ({"note": "x", "recorded_at": 1764208800}, "recorded_at"),
    ({"note": "x", "recorded_at": "2026-11-26T01:59:59Z"}, "recorded_at"),  # 24 h and 1 s old
])
def test_a_bad_device_time_on_restore_is_refused_writing_nothing(client, login, ctx, body, field):
    case = report(client, login("demo-reporter")).get_json()
    officer = login(OFFICER)
    client.post(f"/api/v1/incidents/{case['id']}/check-in", headers=officer,
                json={"location": _near(5.0)})
    before = _counts(ctx)
    r = client.post(f"/api/v1/incidents/{case['id']}/restore", headers=officer, json=body)
    assert r.status_code == 422 and [e["field"] for e in r.get_json()["errors"]] == [field]
    assert _counts(ctx) == before


@pytest.mark.parametrize("flag", ["yes", 1, "true", None])
def test_a_mock_location_flag_must_be_a_boolean(client, login, clock, flag: Any):
    case = report(client, login("demo-reporter")).get_json()
    r = client.post(f"/api/v1/incidents/{case['id']}/check-in", headers=login(OFFICER),
                    json={"location": _near(5.0), "mock_location": flag})
    if flag is None:  # null: the phone did not say
        assert r.status_code == 200
    else:
        assert r.status_code == 422
        assert [e["field"] for e in r.get_json()["errors"]] == ["mock_location"]


def test_command_sees_each_officers_last_position_and_case(client, login, clock):
    case = report(client, login("demo-reporter")).get_json()
    officer = login(OFFICER)
    _positions(client, officer, (30.0, clock.now - timedelta(seconds=20), True))
    client.post(f"/api/v1/incidents/{case['id']}/accept", headers=officer)
    clock.advance(seconds=5)
    body = client.get("/api/v1/officers", headers=login("demo-commander")).get_json()
    assert body["generated_at"] == "2026-11-27T02:00:05Z"
    by_name = {o["username"]: o for o in body["items"]}
    me = by_name[OFFICER]
    assert me["unit"] == {"code": ZHICHENG, "name": "轵城镇"}
    assert (me["last_seen_at"], me["received_at"], me["accuracy_m"], me["mock_location"]) == (
        "2026-11-27T01:59:40Z", "2026-11-27T02:00:00Z", 6.0, True)
    assert me["position"]["lat"] == pytest.approx(_near(30.0)["lat"])
    assert me["case"] == {"id": case["id"], "case_number": case["case_number"],
                          "status": "dispatched", "distance_m": 30, "eta_s": 4}
    other = by_name[f"officer-{KEJING}"]
    assert (other["last_seen_at"], other["position"], other["case"]) == (None, None, None)
    assert {o["unit"]["code"] for o in body["items"]} >= {ZHICHENG, KEJING, "power_supply"}
    mine = client.get("/api/v1/officers", headers=login(f"dispatcher-{ZHICHENG}")).get_json()
    assert {o["unit"]["code"] for o in mine["items"]} == {ZHICHENG}
    for refused in (OFFICER, "demo-reporter", "demo-admin"):
        r = client.get("/api/v1/officers", headers=login(refused))
        assert r.status_code == 403 and r.mimetype == "application/problem+json"


def test_the_officers_answer_is_its_documented_schema(client, login, clock):
    from mobile_api.schemas import OfficersOut
    _positions(client, login(OFFICER), (30.0, clock.now, None))
    body = client.get("/api/v1/officers", headers=login("demo-commander")).get_json()
    assert OfficersOut.model_validate(body).model_dump(mode="json") == body


def test_a_socket_fix_carries_its_mock_flag_to_the_store_and_to_command(app, client, login,
                                                                         ctx, clock):
    from server.extensions import socketio

    def live(who: str) -> Any:
        token = login(who)["Authorization"].split(" ", 1)[1]
        return socketio.test_client(app, namespace="/live", auth={"token": token},
                                    flask_test_client=client)

    # An officer of its own: command hears each officer at most once a second (per process).
    command, officer = live("demo-commander"), live(new_officer(ctx))
    try:
        command.get_received("/live")
        fix = {**_near(20.0), "recorded_at": clock.now.isoformat(), "mock_location": True}
        assert officer.emit("position", fix, namespace="/live", callback=True)["ok"]
        bad = {**fix, "mock_location": "true"}
        answer = officer.emit("position", bad, namespace="/live", callback=True)
        assert answer["error"]["errors"][0]["field"] == "mock_location"
        [heard] = [m["args"][0] for m in command.get_received("/live")
                   if m["name"] == "officer.position"]
        assert (heard["mock_location"], heard["last_seen_at"], heard["flagged_speed_kmh"]) == (
            True, "2026-11-27T02:00:00Z", None)
        with ctx.engine.connect() as conn:
            assert conn.execute(select(t.officer_positions.c.mock_location)).scalars().all() == [
                True]
    finally:
        command.disconnect("/live")
        officer.disconnect("/live")
