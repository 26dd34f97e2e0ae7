"""The API's `overdue` field, the `?overdue=true` list filter and the timers agree on a case placed
exactly on each deadline and one microsecond past it, on both databases (one rule: clock.late)."""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch import deadlines
from tests.helpers import ZHICHENG, location, report, seat

US = timedelta(microseconds=1)
PS = "power_supply"


def _stored(ctx, incident_id):  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return uow.incidents.get(incident_id)


def _views(client, ctx, headers, incident_id):  # type: ignore[no-untyped-def]
    """(the API field, whether the list filter finds it, what the timers record when fired now)."""
    one = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).get_json()
    api = sorted((o["milestone"], o["unit"]) for o in one["overdue"])
    page = client.get("/api/v1/incidents?overdue=true&per_page=100", headers=headers).get_json()
    listed = incident_id in [i["id"] for i in page["items"]]
    with ctx.uow() as uow:
        before = {r.id for r in uow.accountability.for_incident(incident_id)}
    deadlines.fire_due_timers(ctx)
    with ctx.uow() as uow:
        new = sorted((r.milestone, r.unit_code) for r in
                     uow.accountability.for_incident(incident_id) if r.id not in before)
        events = [e for e in uow.incidents.events(incident_id) if e.type == "overdue"]
    assert len(events) == len(before) + len(new)  # every record announced once
    return api, listed, new, one


def _at(clock, when: datetime) -> None:
    clock.set(when)


def test_api_field_list_filter_and_timers_agree_on_every_boundary(client, login, ctx, clock):
    command = login("demo-commander")
    z_officer, ps_officer = login(f"officer-{ZHICHENG}"), login(f"officer-{PS}")
    inc_id = report(client, login("demo-reporter")).get_json()["id"]
    inc = _stored(ctx, inc_id)
    lon, lat = seat()

    def check_in(headers):  # type: ignore[no-untyped-def]
        r = client.post(f"/api/v1/incidents/{inc_id}/check-in", headers=headers,
                        json={"location": location(lon, lat)})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    # Arrival: exactly at the deadline nothing is late, and an arrival then is on time.
    _at(clock, inc.arrival_due)
    assert _views(client, ctx, command, inc_id)[:3] == ([], False, [])
    units = {u["code"]: u for u in check_in(z_officer)["units"]}
    assert units[ZHICHENG]["arrival_on_time"] is True
    _at(clock, inc.arrival_due + US)
    assert _views(client, ctx, command, inc_id)[:3] == ([("arrival", PS)], True,
                                                         [("arrival", PS)])
    units = {u["code"]: u for u in check_in(ps_officer)["units"]}
    assert units[PS]["arrival_on_time"] is False

    # Restore: the case's own deadline, which every unit answers for.
    _at(clock, inc.restore_due)
    assert _views(client, ctx, command, inc_id)[:3] == ([], False, [])
    _at(clock, inc.restore_due + US)
    assert _views(client, ctx, command, inc_id)[:3] == (
        [("restore", None)], True, [("restore", ZHICHENG), ("restore", PS)])
    r = client.post(f"/api/v1/incidents/{inc_id}/restore", headers=z_officer,
                    json={"note": "power back"})
    assert r.status_code == 200 and r.get_json()["milestones"]["restored_on_time"] is False

    # Resolve, the same.
    _at(clock, inc.resolve_due)
    assert _views(client, ctx, command, inc_id)[:3] == ([], False, [])
    _at(clock, inc.resolve_due + US)
    api, listed, new, one = _views(client, ctx, command, inc_id)
    assert (api, listed, new) == ([("resolve", None)], True,
                                  [("resolve", ZHICHENG), ("resolve", PS)])
    assert one["milestones"]["resolved_on_time"] is None
    with ctx.uow() as uow:
        arrivals = {e.data["unit"]: e.data["on_time"] for e in uow.incidents.events(inc_id)
                    if e.type == "arrived"}
    assert arrivals == {ZHICHENG: True, PS: False}  # the events judge by the same rule

