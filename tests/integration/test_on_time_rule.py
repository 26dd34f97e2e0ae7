"""One answer to "was it on time" on every surface, on PostGIS and SQLite (issue 14, item 7).

- A resolution is judged against the round's FIRST deadline: a case extended and solved between
  the first and the extended deadline is late in its detail, in the list, in its `resolved`
  event, in the assessment and in the public disclosure; solved exactly at the first deadline it
  is on time everywhere.
- A milestone met after its deadline but before its overdue timer fired is a miss on record at
  once; the timer firing afterwards finds it met and writes no second record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from dispatch import deadlines
from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, location, report, seat

PS = "power_supply"
US = timedelta(microseconds=1)
WEEK = "2026-W48"  # the tests' START, 27 November 2026


def _post(client: Any, login: Any, who: str, path: str, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/incidents/{path}", headers=login(who), json=body)
    assert r.status_code == 200, (path, r.get_json())
    return dict(r.get_json())


def _reported(client: Any, login: Any) -> dict[str, Any]:
    r = report(client, login("demo-reporter"))
    assert r.status_code == 201, r.get_json()
    return dict(r.get_json())


def _worked(client: Any, login: Any, clock: Any) -> str:
    """A power cut at 轵城镇: both units arrive, order restored, all in time; not yet solved."""
    inc = _reported(client, login)
    for unit in (ZHICHENG, PS):
        clock.advance(minutes=1)
        _post(client, login, f"officer-{unit}", f"{inc['id']}/check-in",
              location=location(*seat()))
    _post(client, login, f"officer-{PS}", f"{inc['id']}/restore", note="恢复供电")
    return str(inc["id"])


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _resolve_clock(clocks: dict[str, Any]) -> bool | None:
    """The page's view of the case (`clocks`, which it colours by): the resolve milestone's."""
    [resolve] = [m for m in clocks["milestones"] if m["milestone"] == "resolve"]
    return resolve["on_time"]


def _surfaces(client: Any, login: Any, inc_id: str) -> dict[str, Any]:
    """Every answer to "was the resolution on time" the product gives for this case."""
    commander = login("demo-commander")
    detail = client.get(f"/api/v1/incidents/{inc_id}", headers=commander).get_json()
    [listed] = [i for i in client.get("/api/v1/incidents", headers=commander,
                                      query_string={"per_page": 100}).get_json()["items"]
                if i["id"] == inc_id]
    [event] = [e for e in detail["timeline"] if e["type"] == "resolved"]
    rows = client.get("/api/v1/stats/units?from=2026-11-01&to=2026-11-30",
                      headers=commander).get_json()["units"]
    public = client.get("/api/v1/public/cases", query_string={"week": WEEK}).get_json()
    [case] = [c for c in public["cases"] if c["id"] == inc_id]
    by_unit = {r["unit"]: r for r in rows}
    [feature] = [f for f in client.get("/api/v1/map/incidents", headers=commander)
                 .get_json()["features"] if f["id"] == inc_id]
    return {
        "detail": detail["milestones"]["resolved_on_time"],
        "list": listed["milestones"]["resolved_on_time"],
        "detail clocks": _resolve_clock(detail["clocks"]),
        "list clocks": _resolve_clock(listed["clocks"]),
        "map clocks": _resolve_clock(feature["properties"]["clocks"]),
        "event": event["data"]["on_time"],
        "assessment": {u: (by_unit[u]["resolutions_decided"], by_unit[u]["resolutions_on_time"])
                       for u in (ZHICHENG, PS)},
        "public": case["milestones"]["resolve"]["on_time"],
        "_detail": detail, "_listed": listed, "_public": case,
    }


@pytest.mark.parametrize("after_first", [US, timedelta(days=1), timedelta(days=2)],
                         ids=["1us-late", "a-day-late", "at-the-extended-deadline"])
def test_solved_between_the_first_and_the_extended_deadline_is_late_everywhere(
        client, login, ctx, clock, after_first):
    inc_id = _worked(client, login, clock)
    with ctx.uow() as uow:
        first = uow.incidents.get(inc_id).resolve_due
    extended = first + timedelta(days=2)
    _post(client, login, f"dispatcher-{PS}", f"{inc_id}/extend", reason="等待变压器到货",
          until=extended.isoformat())
    clock.set(first + after_first)
    deadlines.fire_due_timers(ctx)  # the first deadline's timers are stale: no miss recorded
    _post(client, login, f"officer-{PS}", f"{inc_id}/resolve", note="更换电缆")

    seen = _surfaces(client, login, inc_id)
    assert {k: v for k, v in seen.items() if not k.startswith("_")} == {
        "detail": False, "list": False, "event": False, "detail clocks": False,
        "list clocks": False, "map clocks": False,
        "assessment": {ZHICHENG: (1, 0), PS: (1, 0)}, "public": False}
    # The extended deadline is its own field, with its own answer under its own name.
    detail = seen["_detail"]
    assert detail["deadlines"]["resolve"] == _iso(extended)
    assert detail["extension"] == {"count": 1, "reason": "等待变压器到货",
                                   "original_deadline": _iso(first), "deadline": _iso(extended),
                                   "met_extended_deadline": True}
    assert seen["_listed"]["extension"] == detail["extension"]
    assert seen["_public"]["milestones"]["resolve"] == {
        "due": _iso(first), "extended_to": _iso(extended), "on_time": False}


def test_solved_exactly_at_the_first_deadline_is_on_time_everywhere(client, login, ctx, clock):
    inc_id = _worked(client, login, clock)
    with ctx.uow() as uow:
        first = uow.incidents.get(inc_id).resolve_due
    _post(client, login, f"dispatcher-{PS}", f"{inc_id}/extend", reason="等待变压器到货",
          until=(first + timedelta(days=2)).isoformat())
    clock.set(first)
    _post(client, login, f"officer-{PS}", f"{inc_id}/resolve", note="更换电缆")
    seen = _surfaces(client, login, inc_id)
    assert {k: v for k, v in seen.items() if not k.startswith("_")} == {
        "detail": True, "list": True, "event": True, "detail clocks": True,
        "list clocks": True, "map clocks": True,
        "assessment": {ZHICHENG: (1, 1), PS: (1, 1)}, "public": True}
    assert seen["_detail"]["extension"]["met_extended_deadline"] is True


def test_unextended_solved_after_its_deadline_is_late_and_the_extension_field_absent(
        client, login, ctx, clock):
    inc_id = _worked(client, login, clock)
    with ctx.uow() as uow:
        first = uow.incidents.get(inc_id).resolve_due
    clock.set(first + US)
    _post(client, login, f"officer-{PS}", f"{inc_id}/resolve", note="更换电缆")
    seen = _surfaces(client, login, inc_id)
    assert (seen["detail"], seen["list"], seen["event"], seen["public"]) == (False,) * 4
    assert seen["_detail"]["extension"] is None


# -- a late milestone is a miss on record at once ----------------------------------------------

def _records(ctx: Any, inc_id: str) -> list[tuple[Any, ...]]:
    r = t.overdue_records.c
    with ctx.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            sa.select(r.unit_code, r.milestone, r.due_at, r.met_at, r.late_by_seconds, r.round)
            .where(r.incident_id == inc_id).order_by(r.milestone, r.unit_code))]


@pytest.mark.parametrize("late_by", [US, timedelta(minutes=3)], ids=["1us", "3min"])
def test_a_late_check_in_before_the_timer_fired_records_one_miss(client, login, ctx, clock,
                                                                 late_by):
    inc = _reported(client, login)
    due = datetime.fromisoformat(inc["deadlines"]["arrival"].replace("Z", "+00:00"))
    clock.set(due + late_by)  # no timer has fired: nothing was recorded yet
    assert _records(ctx, inc["id"]) == []
    _post(client, login, f"officer-{ZHICHENG}", f"{inc['id']}/check-in",
          location=location(*seat()))
    once = [(ZHICHENG, "arrival", due, due + late_by, late_by.total_seconds(), 0)]
    assert _records(ctx, inc["id"]) == once
    deadlines.fire_due_timers(ctx)
    # The town's miss stays one record; the department, still away, is missed by its timer.
    assert _records(ctx, inc["id"]) == once + [(PS, "arrival", due, None, None, 0)]


def test_a_check_in_exactly_at_the_deadline_records_nothing(client, login, ctx, clock):
    inc = _reported(client, login)
    due = datetime.fromisoformat(inc["deadlines"]["arrival"].replace("Z", "+00:00"))
    clock.set(due)
    _post(client, login, f"officer-{ZHICHENG}", f"{inc['id']}/check-in",
          location=location(*seat()))
    assert _records(ctx, inc["id"]) == []
    clock.set(due + timedelta(hours=1))
    deadlines.fire_due_timers(ctx)
    assert [x for x in _records(ctx, inc["id"]) if x[0] == ZHICHENG and x[1] == "arrival"] == []


def test_a_late_restore_and_resolve_before_their_timers_record_one_miss_per_unit(
        client, login, ctx, clock):
    inc = _reported(client, login)
    inc_id = str(inc["id"])
    for unit in (ZHICHENG, PS):
        clock.advance(minutes=1)
        _post(client, login, f"officer-{unit}", f"{inc_id}/check-in", location=location(*seat()))
    restore_due = datetime.fromisoformat(inc["deadlines"]["restore"].replace("Z", "+00:00"))
    resolve_due = datetime.fromisoformat(inc["deadlines"]["resolve"].replace("Z", "+00:00"))
    clock.set(restore_due + US)
    _post(client, login, f"officer-{PS}", f"{inc_id}/restore", note="恢复供电")
    clock.set(resolve_due + timedelta(hours=2))
    _post(client, login, f"officer-{PS}", f"{inc_id}/resolve", note="更换电缆")
    expected = [
        (PS, "resolve", resolve_due, resolve_due + timedelta(hours=2), 7200.0, 0),
        (ZHICHENG, "resolve", resolve_due, resolve_due + timedelta(hours=2), 7200.0, 0),
        (PS, "restore", restore_due, restore_due + US, 1e-06, 0),
        (ZHICHENG, "restore", restore_due, restore_due + US, 1e-06, 0),
    ]
    key = lambda x: (x[1], x[0])  # noqa: E731
    assert sorted(_records(ctx, inc_id), key=key) == sorted(expected, key=key)
    deadlines.fire_due_timers(ctx)
    assert sorted(_records(ctx, inc_id), key=key) == sorted(expected, key=key)
    # The assessment counts each unit's misses once.
    rows = client.get("/api/v1/stats/units?from=2026-11-01&to=2026-11-30",
                      headers=login("demo-commander")).get_json()["units"]
    assert {r["unit"]: r["overdue_records"] for r in rows if r["unit"] in (ZHICHENG, PS)} == {
        ZHICHENG: 2, PS: 2}


def test_a_late_complaint_reply_before_its_timer_records_one_miss(client, login, ctx, clock):
    inc_id = _worked(client, login, clock)
    r = client.post(f"/api/v1/incidents/{inc_id}/complaints", headers=login("demo-reporter"),
                    json={"text": "处理太慢"})
    assert r.status_code == 201, r.get_json()
    due = datetime.fromisoformat(r.get_json()["reply_due"].replace("Z", "+00:00"))
    clock.set(due + US)
    r = client.post(f"/api/v1/incidents/{inc_id}/complaints/1/reply",
                    headers=login("demo-commander"), json={"reply": "已督办"})
    assert r.status_code == 200 and r.get_json()["replied_on_time"] is False
    once = [("command", "complaint_reply", due, due + US, 1e-06, 0)]
    assert _records(ctx, inc_id) == once
    deadlines.fire_due_timers(ctx)
    assert _records(ctx, inc_id) == once
