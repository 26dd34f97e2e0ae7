"""Open311 GeoReport v2 where a standard client leans on it (issue 14, item 6), through HTTP on
PostGIS and SQLite: comma-delimited `status` and `service_code`, the 90-day window of
`start_date`..`end_date` and its defaults, a POST retried after a lost answer (with and without an
`Idempotency-Key`, one after the other and 20 at once) filing one case, and the XML of a whole
list parsing."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import Point

from dispatch.model import Site
from dispatch.storage import tables as t
from tests.helpers import KEJING, count_rows, seat

V2 = "/open311/v2"
KEY = "demo-open311-key"
US = timedelta(microseconds=1)
REPLAY = timedelta(minutes=10)  # DISPATCH_OPEN311_REPLAY_SECONDS' default
N = 20


def _form(**fields: str) -> dict[str, str]:
    lon, lat = seat()
    form = {"api_key": KEY, "service_code": "power_cut", "lat": str(lat), "long": str(lon),
            "description": "厂区停电, 生产线停了"}
    form.update(fields)
    return {k: v for k, v in form.items() if v != "-"}


def _post(client: Any, headers: dict[str, str] | None = None, fmt: str = "json",
          **fields: str) -> Any:
    return client.post(f"{V2}/requests.{fmt}", data=_form(**fields), headers=headers or {})


def _id(r: Any) -> str:
    assert r.status_code in (200, 201), r.data
    [created] = json.loads(r.data)
    return str(created["service_request_id"])


def _ids(client: Any, **q: str) -> list[str]:
    r = client.get(f"{V2}/requests.json", query_string=q)
    assert r.status_code == 200, r.data
    return [x["service_request_id"] for x in json.loads(r.data)]


def _refused(client: Any, fmt: str = "json", **q: str) -> list[str]:
    """The descriptions of a 400 answer, in the standard's error list."""
    r = client.get(f"{V2}/requests.{fmt}", query_string=q)
    assert r.status_code == 400, (q, r.status_code, r.data)
    if fmt == "xml":
        root = ET.fromstring(r.data)
        assert root.tag == "errors"
        return [e.findtext("description") or "" for e in root.findall("error")]
    return [e["description"] for e in json.loads(r.data)]


def _writes(ctx: Any) -> tuple[int, ...]:
    return tuple(count_rows(ctx, table) for table in (t.incidents, t.events, t.timers,
                                                      t.idempotency_keys))


# -- comma-delimited lists -----------------------------------------------------------------------

def test_status_and_service_code_take_comma_delimited_lists(client, login, clock):
    power = _id(_post(client))
    clock.advance(minutes=1)
    water = _id(_post(client, service_code="water_cut"))
    clock.advance(minutes=1)
    gate = _id(_post(client, service_code="gate_blocked"))
    r = client.post(f"/api/v1/incidents/{gate}/withhold", headers=login("demo-commander"),
                    json={"reason": "x"})
    assert r.status_code == 200

    assert _ids(client, service_code="power_cut,water_cut") == [power, water]
    assert _ids(client, service_code="water_cut, power_cut,") == [power, water]
    assert _ids(client, service_code="water_cut,water_cut") == [water]
    assert _ids(client, service_code="power_cut") == [power]
    assert _ids(client, status="open,closed") == [power, water]
    assert _ids(client, status="closed,open", service_code="water_cut") == [water]
    assert _ids(client, status="open") == [power, water]
    assert _ids(client, status="closed") == []
    assert _ids(client, status="") == [power, water]  # empty: every status


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("field,value,named", [
    ("status", "open,pending", "pending"),
    ("status", "open;closed", "open;closed"),
    ("status", "OPEN", "OPEN"),
    ("status", ",", ","),
    ("service_code", "power_cut,pothole", "pothole"),
    ("service_code", "power_cut,,,Power_cut", "Power_cut"),
])
def test_an_unknown_value_in_a_list_is_a_400_naming_the_field(client, ctx, fmt, field, value,
                                                              named):
    before = _writes(ctx)
    [described] = _refused(client, fmt, **{field: value})
    assert described.startswith(f"{field}: ") and named in described, described
    assert _writes(ctx) == before


# -- the 90-day window ---------------------------------------------------------------------------

def test_a_window_of_exactly_90_days_is_served_and_a_microsecond_more_refused(client, clock):
    first = _id(_post(client))
    start = clock.now
    clock.advance(days=90)
    last = _id(_post(client, description="九十天后又停电"))
    end = clock.now
    assert _ids(client, start_date=start.isoformat(), end_date=end.isoformat()) == [first, last]
    for a, b in ((start - US, end), (start, end + US)):
        described = _refused(client, start_date=a.isoformat(), end_date=b.isoformat())
        assert [d.split(":")[0] for d in described] == ["start_date", "end_date"], described
        assert all("90 days" in d for d in described)
    # Both ends are included: a request at either end is in.
    assert _ids(client, start_date=end.isoformat(), end_date=end.isoformat()) == [last]
    assert _refused(client, start_date=(end + US).isoformat(),
                    end_date=end.isoformat())[0].startswith("start_date")


def test_one_end_given_the_window_is_90_days_from_it(client, clock):
    first = _id(_post(client))
    start = clock.now
    clock.advance(days=90)
    at_90 = _id(_post(client, description="第二次"))
    clock.advance(microseconds=1)
    after_90 = _id(_post(client, description="第三次"))
    clock.advance(days=30)
    # start_date alone: start .. start + 90 days (not up to now, 120 days on).
    assert _ids(client, start_date=start.isoformat()) == [first, at_90]
    # end_date alone: end - 90 days .. end.
    assert _ids(client, end_date=(start + timedelta(days=90) + US).isoformat()) == [
        at_90, after_90]
    assert _ids(client, end_date=(start + timedelta(days=90)).isoformat()) == [first, at_90]
    # Neither: the last 90 days up to now, both ends included.
    clock.set(start + timedelta(days=180))
    assert _ids(client) == [at_90, after_90]
    clock.advance(microseconds=1)
    assert _ids(client) == [after_90]


# -- a POST retried after a lost answer ------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_repeated_with_its_idempotency_key_files_one_case(client, ctx, clock, fmt):
    key = {"Idempotency-Key": "city-12345-req-1"}
    first = client.post(f"{V2}/requests.{fmt}", data=_form(), headers=key)
    assert first.status_code == 201, first.data
    writes = _writes(ctx)
    clock.advance(days=2)  # a key holds for ever, not only within the replay window
    again = client.post(f"{V2}/requests.{fmt}", data=_form(), headers=key)
    assert again.status_code == 200 and again.data == first.data
    assert _writes(ctx) == writes
    # The same key with other fields is a client's mistake, named; it writes nothing.
    other = client.post(f"{V2}/requests.{fmt}", data=_form(description="别的事"), headers=key)
    assert other.status_code == 400 and b"Idempotency-Key" in other.data, other.data
    for bad in ("", " ", "k" * 201):
        r = client.post(f"{V2}/requests.{fmt}", data=_form(description="别的事"),
                        headers={"Idempotency-Key": bad})
        assert r.status_code == 400 and b"Idempotency-Key" in r.data, (bad, r.data)
    assert _writes(ctx) == writes
    # Another key is another request, though its fields are the same (the key decides).
    assert client.post(f"{V2}/requests.{fmt}", data=_form(),
                       headers={"Idempotency-Key": "city-12345-req-2"}).status_code == 201


def test_an_exact_repeat_without_a_key_within_the_window_files_one_case(client, ctx, clock):
    fields = {"attribute[cut_since]": "今天 8 点", "media_url": "https://example.org/p/1.jpg"}
    first = _post(client, **fields)
    assert first.status_code == 201, first.data
    rid, writes = _id(first), _writes(ctx)
    # Blanks around the text and an empty attribute are read as the first request's.
    clock.advance(minutes=5)
    assert _id(_post(client, **fields)) == rid
    again = _post(client, **{**fields, "description": " 厂区停电, 生产线停了\n",
                             "attribute[cut_since]": "今天 8 点 "})
    assert again.status_code == 200 and _id(again) == rid
    clock.set(clock.now - timedelta(minutes=5) + REPLAY)  # exactly the window after the first
    assert _post(client, **fields).status_code == 200
    assert _writes(ctx) == writes
    clock.advance(microseconds=1)  # a microsecond past it: the same report is a new case
    later = _post(client, **fields)
    assert later.status_code == 201 and _id(later) != rid
    # ... and the window now runs from that one.
    clock.advance(minutes=9)
    assert _id(_post(client, **fields)) == _id(later)


@pytest.mark.parametrize("change", [
    {"description": "厂区停电, 生产线停了!"},
    {"service_code": "water_cut"},
    {"attribute[cut_since]": "昨天"},
    {"media_url": "https://example.org/p/2.jpg"},
    {"lat": "-", "long": "-", "address_id": "SITE"},
    {"long": "LON+"},
])
def test_a_request_that_differs_in_any_field_is_a_new_case(client, ctx, change):
    lon, lat = seat()
    with ctx.uow() as uow:  # a site of the outside system's own account, at the same place
        system = uow.users.by_username("demo-open311")
        made = Site(owner_id=system.id, name="平台登记厂区", location=Point(lon, lat),
                    created_at=datetime.now().astimezone())
        uow.sites.add(made)
        uow.commit()
        site_id = made.id
    values = {k: (site_id if v == "SITE" else str(lon + 1e-6) if v == "LON+" else v)
              for k, v in change.items()}
    first = _post(client)
    second = _post(client, **values)
    assert (first.status_code, second.status_code) == (201, 201), second.data
    assert _id(first) != _id(second)


def test_the_same_fields_from_another_account_are_another_case(app, client, ctx):
    runner = app.test_cli_runner()
    other = runner.invoke(args=["open311-key", "issue", "city-12345"]).stdout.strip()
    other_key = other.splitlines()[-1]
    assert _post(client).status_code == 201
    assert _post(client, api_key=other_key).status_code == 201
    assert count_rows(ctx, t.incidents) == 2


def _together(app: Any, send: Callable[[Any, int], Any]) -> list[Any]:
    barrier = threading.Barrier(N)

    def one(i: int) -> Any:
        client = app.test_client()
        barrier.wait(timeout=30)
        return send(client, i)

    with ThreadPoolExecutor(N) as pool:
        return list(pool.map(one, range(N)))


@pytest.mark.parametrize("header", [None, "city-12345-race-1"], ids=["fields", "key"])
def test_20_identical_posts_at_once_file_one_case(app, ctx, header):
    headers = {} if header is None else {"Idempotency-Key": header}
    answers = _together(app, lambda c, i: _post(c, headers))
    for r in answers:
        assert r.status_code < 500 and r.content_type.startswith("application/json"), r.data
    assert sorted(r.status_code for r in answers) == [200] * (N - 1) + [201]
    assert len({_id(r) for r in answers}) == 1
    assert count_rows(ctx, t.incidents) == 1 and count_rows(ctx, t.idempotency_keys) == 1
    assert count_rows(ctx, t.incident_units) == 2


def test_20_identical_posts_at_once_after_the_window_file_one_new_case(app, ctx, clock):
    """The first request's claim has expired: of the 20 retries at once, one takes it over and
    files the new case, the others replay that one."""
    first = _id(_post(app.test_client()))
    clock.advance(minutes=10, microseconds=1)
    answers = _together(app, lambda c, i: _post(c))
    assert sorted(r.status_code for r in answers) == [200] * (N - 1) + [201], [
        r.data for r in answers if r.status_code >= 400]
    ids = {_id(r) for r in answers}
    assert len(ids) == 1 and first not in ids
    assert count_rows(ctx, t.incidents) == 2 and count_rows(ctx, t.idempotency_keys) == 1


# -- the XML of a whole list -----------------------------------------------------------------------

def test_the_xml_of_the_whole_list_parses_and_matches_the_json(client, clock):
    texts = ["<script>alert(1)</script> & \"quotes\" 'apostrophes'", "]]> <![CDATA[ x ]]>",
             "多行\n描述\r\n第三行\t制表", "emoji 🚧 and 𠀀 (astral)", "&amp; &#0; &lt;",
             "a" * 2000]
    made = []
    for i, text in enumerate(texts):
        clock.advance(minutes=1)
        code = KEJING if i % 2 else None
        lon, lat = seat(code) if code else seat()
        made.append(_id(_post(client, description=text, lat=str(lat), long=str(lon))))
    for q in ({}, {"api_key": KEY}):
        r = client.get(f"{V2}/requests.xml", query_string=q)
        assert r.status_code == 200
        root = ET.fromstring(r.data)  # the whole document parses
        listed = json.loads(client.get(f"{V2}/requests.json", query_string=q).data)
        assert [x.findtext("service_request_id") for x in root.findall("request")] == made
        # (an XML parser reads CR LF as LF, and ElementTree writes the CR unescaped)
        assert [x.findtext("description") or "" for x in root.findall("request")] == [
            x["description"].replace("\r\n", "\n") for x in listed]
    whole = ET.fromstring(client.get(f"{V2}/requests.xml",
                                     query_string={"api_key": KEY}).data)
    assert [x.findtext("description") for x in whole.findall("request")][:1] == texts[:1]
