"""Case numbers on both databases (issue 16, item 11): given at intake from the day's counter in
the report's own transaction, on every surface (the case, the list, the map, the live snapshot,
Open311, the public disclosure), searchable by number and by text within the caller's scope;
20 reports at once get 20 distinct consecutive numbers; the day turns at 16:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.storage import tables as t
from tests.helpers import KEJING, ZHICHENG, count_rows, location, report, seat
from tests.integration.test_races import N, together, well_formed

US = timedelta(microseconds=1)
FIRST = "JY311-20261127-0001"  # the suite's clock: 2026-11-27 10:00 in Jiyuan


def _list(client: Any, headers: dict[str, str], **query: str) -> Any:
    r = client.get("/api/v1/incidents", headers=headers, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_case_carries_its_number_on_every_surface(client, login, ctx):
    reporter, command = login("demo-reporter"), login("demo-commander")
    created = report(client, reporter).get_json()
    assert created["case_number"] == FIRST
    second = report(client, reporter, code=KEJING).get_json()
    assert second["case_number"] == "JY311-20261127-0002"

    shown = client.get(f"/api/v1/incidents/{created['id']}", headers=command).get_json()
    assert shown["case_number"] == FIRST
    listed = {i["id"]: i["case_number"] for i in _list(client, command)["items"]}
    assert listed == {created["id"]: FIRST, second["id"]: "JY311-20261127-0002"}
    features = client.get("/api/v1/map/incidents", headers=command).get_json()["features"]
    assert {f["id"]: f["properties"]["case_number"] for f in features} == listed
    with ctx.engine.connect() as conn:  # every live event's snapshot (pushed and replayed)
        snapshots = conn.execute(select(t.events.c.snapshot)
                                 .where(t.events.c.incident_id == created["id"])).scalars()
        assert {s["case_number"] for s in snapshots} == {FIRST}
        assert conn.execute(select(t.case_number_counters.c.day, t.case_number_counters.c.value)
                            ).all() == [("20261127", 2)]


def test_open311_and_the_public_disclosure_show_the_number(client, login, clock):
    created = report(client, login("demo-reporter")).get_json()
    got = client.get(f"/open311/v2/requests/{created['id']}.json").get_json()
    assert got[0]["service_request_id"] == created["id"] and got[0]["case_number"] == FIRST
    xml = client.get(f"/open311/v2/requests/{created['id']}.xml").get_data(as_text=True)
    assert f"<case_number>{FIRST}</case_number>" in xml
    lon, lat = seat()
    posted = client.post("/open311/v2/requests.json", data={
        "api_key": "demo-open311-key", "service_code": "power_cut", "lat": str(lat),
        "long": str(lon), "description": "停电"})
    assert posted.status_code == 201 and posted.get_json()[0]["case_number"] == (
        "JY311-20261127-0002")
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # the week is over: published
    public = client.get("/api/v1/public/cases?week=2026-W48").get_json()
    assert {c["case_number"] for c in public["cases"]} == {FIRST, "JY311-20261127-0002"}
    assert FIRST in client.get("/public/cases?week=2026-W48").get_data(as_text=True)


def test_the_list_finds_a_number_exactly_trimmed_and_in_any_case_within_scope(client, login):
    mine, other = login("demo-reporter"), login("demo-reporter-2")
    created = report(client, mine).get_json()
    report(client, mine)
    for asked in (FIRST, f"  {FIRST.lower()} ", FIRST.replace("JY", "jy")):
        found = _list(client, mine, number=asked)
        assert [i["id"] for i in found["items"]] == [created["id"]] and found["total"] == 1
    assert _list(client, mine, number="JY311-20261127-0003")["items"] == []
    assert _list(client, mine, number="JY311-20261127-001")["items"] == []  # exact, not a prefix
    assert _list(client, other, number=FIRST)["total"] == 0  # another enterprise's case
    assert _list(client, login(f"dispatcher-{KEJING}"), number=FIRST)["total"] == 0
    assert _list(client, login(f"dispatcher-{ZHICHENG}"), number=FIRST)["total"] == 1


def test_q_searches_number_description_territory_site_and_enterprise(client, login, ctx):
    reporter, command = login("demo-reporter"), login("demo-commander")
    site = client.post("/api/v1/sites", headers=reporter, json={
        "name": "钢铁三号厂区", "location": location(*seat())}).get_json()["id"]
    at_site = client.post("/api/v1/incidents", headers=reporter, json={
        "category": "gate_blocked", "description": "大门被堵", "site_id": site}).get_json()
    plain = report(client, reporter, description="100% 停电_全厂").get_json()
    elsewhere = report(client, login("demo-reporter-2"), code=KEJING).get_json()
    with ctx.engine.connect() as conn:
        name = conn.execute(select(t.users.c.display_name)
                            .where(t.users.c.username == "demo-reporter-2")).scalar_one()

    def ids(q: str, headers: dict[str, str] = command) -> set[str]:
        return {i["id"] for i in _list(client, headers, q=q)["items"]}

    assert ids("三号厂区") == {at_site["id"]}                       # the site's name
    assert ids("被堵") == {at_site["id"]}                           # the description
    assert ids("克井") == {elsewhere["id"]}                         # the territory's name
    assert ids(name) == {elsewhere["id"]}                          # the enterprise's name
    assert ids("-0002") == {plain["id"]}                            # part of a number
    assert ids("jy311-20261127-0003") == {elsewhere["id"]}         # any case
    assert ids("100%") == {plain["id"]} and ids("%") == {plain["id"]}  # % is a character
    assert ids("停电_全") == {plain["id"]} and ids("_") == {plain["id"]}
    assert ids("克井", reporter) == set()                            # never wider than the scope
    assert ids("三号厂区", login("demo-reporter-2")) == set()


@pytest.mark.parametrize(("bad", "field"), [
    ({"number": "x" * 41}, "number"), ({"q": "x" * 101}, "q"), ({"q": ""}, "q"),
    ({"q": "a\tb"}, "q"), ({"number": "JY311\x00"}, None)])
def test_a_bad_search_is_refused_naming_it(client, login, bad: dict[str, str],
                                           field: str | None):
    r = client.get("/api/v1/incidents", headers=login("demo-commander"), query_string=bad)
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_data()
    if field is not None:
        assert [e["field"] for e in r.get_json()["errors"]] == [field]


def test_the_day_turns_at_midnight_in_jiyuan_16_00_utc(client, login, clock):
    reporter = login("demo-reporter")
    midnight = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    clock.set(midnight - timedelta(seconds=1))
    assert report(client, reporter).get_json()["case_number"] == "JY311-20261207-0001"
    clock.set(midnight - US)  # 23:59:59.999999 in Jiyuan
    assert report(client, reporter).get_json()["case_number"] == "JY311-20261207-0002"
    clock.set(midnight)  # 00:00:00 on the 8th
    assert report(client, reporter).get_json()["case_number"] == "JY311-20261208-0001"
    clock.set(midnight + US)
    assert report(client, reporter).get_json()["case_number"] == "JY311-20261208-0002"


def test_twenty_reports_at_once_get_twenty_consecutive_numbers(app, ctx, login):
    """Twenty requests released together, each its own report: the day's counter row hands out
    1 to 20, each once (PostgreSQL: the row's lock; SQLite: its write lock)."""
    headers = login("demo-reporter")
    answers = together(app, N, lambda c, i: report(c, headers, description=f"停电 {i}"))
    well_formed(answers)
    assert sorted(r.status_code for r in answers) == [201] * N
    numbers = sorted(r.get_json()["case_number"] for r in answers)
    assert numbers == [f"JY311-20261127-{n:04d}" for n in range(1, N + 1)]
    assert count_rows(ctx, t.incidents) == N
    with ctx.engine.connect() as conn:
        assert conn.execute(select(t.case_number_counters.c.value)).scalar_one() == N


def test_a_refused_report_takes_no_number(client, login):
    reporter = login("demo-reporter")
    refused = client.post("/api/v1/incidents", headers=reporter, json={
        "category": "power_cut", "description": "x", "location": location(113.9, 35.0)})
    assert refused.status_code == 422
    assert report(client, reporter).get_json()["case_number"] == FIRST
