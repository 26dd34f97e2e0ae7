"""Open311 GeoReport v2 through HTTP, on PostGIS and SQLite: a client's whole flow, the standard's
shapes in JSON and XML, its errors in the requested format, and the API keys' life (CLI)."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dispatch import deadlines
from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, count_rows, location, report, seat

V2 = "/open311/v2"
KEY = "demo-open311-key"
# The fields of a service request in the GeoReport v2 examples (GET requests), and of the answer
# to a POST; what a generic client reads.
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url",
                  "case_number"}  # not the standard's: the number read out on the phone
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords",
                  "group"}


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _xml(r: Any) -> ET.Element:
    assert r.content_type == "text/xml; charset=utf-8", r.content_type
    assert r.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n'), r.data[:60]
    return ET.fromstring(r.data)


def _json(r: Any) -> Any:
    assert r.content_type == "application/json; charset=utf-8", r.content_type
    return json.loads(r.data)


def _create(client: Any, **fields: str) -> Any:
    lon, lat = seat()
    form = {"api_key": KEY, "service_code": "power_cut", "lat": str(lat), "long": str(lon),
            "description": "厂区停电, 生产线停了"}
    form.update(fields)
    return client.post(f"{V2}/requests.json", data={k: v for k, v in form.items() if v != "-"})


def test_a_client_flow_from_discovery_to_a_closed_request(client, login, ctx, clock):
    d = _json(client.get(f"{V2}/discovery.json"))
    endpoint = d["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert _xml(client.get(f"{V2}/discovery.xml")).find("endpoints/endpoint/formats/format") \
        is not None

    services = _json(client.get(f"{V2}/services.json"))
    assert [s["service_code"] for s in services] == ["gate_blocked", "road_blocked", "water_cut",
                                                     "power_cut", "other"]
    assert all(set(s) == SERVICE_FIELDS for s in services)
    assert {s["service_code"]: s["metadata"] for s in services}["other"] is False
    definition = _json(client.get(f"{V2}/services/power_cut.json"))
    assert definition["service_code"] == "power_cut"
    assert [a["code"] for a in definition["attributes"]] == ["cut_since"]
    xml_services = _xml(client.get(f"{V2}/services.xml"))
    assert xml_services.tag == "services"
    assert [s.findtext("service_code") for s in xml_services.findall("service")][3] == "power_cut"
    assert xml_services.find("service/metadata").text == "true"  # type: ignore[union-attr]
    attr = _xml(client.get(f"{V2}/services/power_cut.xml")).find("attributes/attribute")
    assert attr is not None and attr.findtext("code") == "cut_since"
    assert attr.findtext("variable") == "true" and attr.findtext("required") == "false"

    r = _create(client, **{"attribute[cut_since]": "今天 8 点",
                           "media_url": "https://example.org/p/1.jpg"})
    assert r.status_code == 201, r.data
    created = _json(r)
    assert len(created) == 1 and set(created[0]) >= {"service_request_id", "service_notice",
                                                     "account_id"}
    rid = created[0]["service_request_id"]

    got = _json(client.get(f"{V2}/requests/{rid}.json", query_string={"api_key": KEY}))
    assert len(got) == 1 and set(got[0]) == REQUEST_FIELDS
    one = got[0]
    assert one["status"] == "open" and one["service_code"] == "power_cut"
    assert one["agency_responsible"] == "轵城镇"
    assert _iso(one["expected_datetime"]) == clock.now + timedelta(days=7)
    assert _iso(one["requested_datetime"]) == clock.now
    assert one["description"] == "厂区停电, 生产线停了\n停供开始：今天 8 点"
    assert one["media_url"] == "https://example.org/p/1.jpg"  # kept as text
    assert (one["long"], one["lat"]) == pytest.approx(seat())

    root = _xml(client.get(f"{V2}/requests/{rid}.xml", query_string={"api_key": KEY}))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert {child.tag for child in request} == REQUEST_FIELDS
    assert request.findtext("service_request_id") == rid
    assert request.findtext("status") == "open"
    assert request.findtext("agency_responsible") == "轵城镇"

    # An incident like any other, reported by the outside system's account, worked by the units.
    commander, officer = login("demo-commander"), login(f"officer-{ZHICHENG}")
    case = client.get(f"/api/v1/incidents/{rid}", headers=commander).get_json()
    assert [u["code"] for u in case["units"]] == [ZHICHENG, "power_supply"]
    with ctx.uow() as uow:
        assert uow.users.get(uow.incidents.get(rid).reporter_id).username == "demo-open311"
    lon, lat = seat()
    for path, body in (("check-in", {"location": location(lon, lat)}),
                       ("restore", {"note": "临时供电"}), ("resolve", {"note": "线路已修复"})):
        clock.advance(minutes=10)
        assert client.post(f"/api/v1/incidents/{rid}/{path}", headers=officer,
                           json=body).status_code == 200
    solved = _json(client.get(f"{V2}/requests/{rid}.json"))[0]
    # The officers' note is not published: the status's words, until command reviews a text.
    assert solved["status"] == "open" and solved["status_notes"] == "已解决"
    mine = _json(client.get(f"{V2}/requests/{rid}.json", query_string={"api_key": KEY}))[0]
    assert mine["status_notes"] == "线路已修复"
    assert _iso(solved["updated_datetime"]) == clock.now

    # The outside system gives no feedback: the follow-up closes the case as "no feedback".
    clock.advance(days=3, seconds=1)
    deadlines.fire_due_timers(ctx)
    closed = _json(client.get(f"{V2}/requests/{rid}.json"))[0]
    assert closed["status"] == "closed"
    assert _xml(client.get(f"{V2}/requests/{rid}.xml")).findtext("request/status") == "closed"
    ids = [x["service_request_id"] for x in _json(client.get(f"{V2}/requests.json",
                                                              query_string={"status": "closed"}))]
    assert ids == [rid]
    assert _json(client.get(f"{V2}/requests.json", query_string={"status": "open"})) == []

    token = _json(client.get(f"{V2}/tokens/{rid}.json"))
    assert token == [{"service_request_id": rid, "token": rid}]
    assert _xml(client.get(f"{V2}/tokens/{rid}.xml")).findtext("request/token") == rid


def test_reads_without_the_creator_s_key_are_the_public_view(client, login):
    rid = _json(_create(client, description="联系 13812345678 王经理",
                        media_url="https://example.org/x.jpg"))[0]["service_request_id"]
    public = _json(client.get(f"{V2}/requests/{rid}.json"))[0]
    # No free text until a commander reviewed it: the category's and the status's words.
    assert public["description"] == "断电" and public["status_notes"] == "已派发"
    assert public["lat"] is None and public["long"] is None and public["media_url"] is None
    assert public["address"] == "轵城镇"
    r = client.post(f"/api/v1/incidents/{rid}/public-text", headers=login("demo-commander"),
                    json={"problem": "联系 13812345678 王经理", "result": "已派员"})
    assert r.status_code == 200, r.get_json()
    public = _json(client.get(f"{V2}/requests/{rid}.json"))[0]
    assert public["description"] == "联系 [电话] [姓名]经理"  # reviewed, and still scrubbed
    assert public["status_notes"] == "已派员"
    xml = _xml(client.get(f"{V2}/requests/{rid}.xml"))
    assert xml.findtext("request/description") == "联系 [电话] [姓名]经理"
    whole = _json(client.get(f"{V2}/requests/{rid}.json", query_string={"api_key": KEY}))[0]
    assert whole["description"] == "联系 13812345678 王经理"  # the creator reads its own whole


def test_list_filters_ids_service_dates_and_page_size(client, clock):
    first = _json(_create(client))[0]["service_request_id"]
    clock.advance(days=1)
    second = _json(_create(client, service_code="water_cut"))[0]["service_request_id"]
    clock.advance(days=1)

    def ids(**q: str) -> list[str]:
        r = client.get(f"{V2}/requests.json", query_string=q)
        assert r.status_code == 200, r.data
        return [x["service_request_id"] for x in _json(r)]

    assert ids() == [first, second]
    assert ids(service_request_id=f"{second},{first},nope") == [first, second]
    assert ids(service_code="water_cut") == [second]
    start = (clock.now - timedelta(days=1)).isoformat()
    assert ids(start_date=start) == [second]
    # end_date is inclusive: the first request, at exactly end_date, is in.
    assert ids(end_date=(clock.now - timedelta(days=2)).isoformat()) == [first]
    assert ids(page_size="1") == [first]
    assert ids(page_size="1", page="2") == [second]
    assert ids(page_size="1000") == [first, second]
    # The standard's default window: the last 90 days.
    clock.advance(days=89)
    assert ids() == [second]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_are_the_standard_s_list_in_the_requested_format(client, ctx, fmt):
    before = count_rows(ctx, t.incidents), count_rows(ctx, t.events)
    lon, lat = seat()
    good = {"api_key": KEY, "service_code": "power_cut", "lat": str(lat), "long": str(lon),
            "description": "停电"}
    cases: list[tuple[str, str, dict[str, str] | None, int, str]] = [
        ("POST", "requests", {**good, "api_key": ""}, 403, "api_key"),
        ("POST", "requests", {k: v for k, v in good.items() if k != "api_key"}, 403, "api_key"),
        ("POST", "requests", {**good, "api_key": "wrong"}, 403, "api_key"),
        ("POST", "requests", {**good, "service_code": ""}, 400, "service_code"),
        ("POST", "requests", {**good, "service_code": "pothole"}, 400, "service_code"),
        ("POST", "requests", {**good, "long": ""}, 400, "long"),
        ("POST", "requests", {**good, "lat": "90.000001"}, 400, "lat"),
        ("POST", "requests", {**good, "lat": "north"}, 400, "lat"),
        ("POST", "requests", {**good, "lat": "30.0", "long": "100.0"}, 400, "location"),
        ("POST", "requests", {**good, "description": " "}, 400, "description"),
        ("POST", "requests", {**good, "description": "x" * 2001}, 400, "description"),
        ("POST", "requests", {**good, "attribute[nope]": "1"}, 400, "attribute[nope]"),
        ("POST", "requests", {**good, "address_id": "nope"}, 400, "address_id"),
        ("POST", "requests", {**good, "media_url": "file:///etc/passwd"}, 400, "media_url"),
        ("GET", "requests", {"status": "pending"}, 400, "status"),
        ("GET", "requests", {"start_date": "yesterday"}, 400, "start_date"),
        ("GET", "requests", {"start_date": "2026-11-27T08:00:00"}, 400, "start_date"),
        ("GET", "requests", {"page_size": "1001"}, 400, "page_size"),
        ("GET", "requests", {"page_size": "0"}, 400, "page_size"),
        ("GET", "requests", {"api_key": "wrong"}, 403, "api_key"),
        ("GET", "requests", {"status": "open\x00"}, 400, "status"),
        ("GET", "requests", {"service_request_id": "x" * 2100}, 414, "url"),
        ("GET", "requests/nope", None, 404, "nope"),
        ("GET", "services/pothole", None, 404, "pothole"),
        ("GET", "tokens/nope", None, 404, "nope"),
        ("GET", "nothing-here", None, 404, "nothing-here"),
        ("DELETE", "requests", None, 404, "DELETE"),
    ]
    for method, path, fields, status, mentions in cases:
        url = f"{V2}/{path}.{fmt}"
        if method == "POST":
            r = client.post(url, data=fields)
        else:
            r = client.open(url, method=method, query_string=fields or {})
        assert r.status_code == status, (path, fields, r.status_code, r.data)
        if fmt == "json":
            body = _json(r)
            assert isinstance(body, list) and body and all(set(e) == {"code", "description"}
                                                           for e in body), body
            assert body[0]["code"] == status
            described = " ".join(e["description"] for e in body)
        else:
            root = _xml(r)
            assert root.tag == "errors" and root.findtext("error/code") == str(status)
            described = " ".join(e.findtext("description") or "" for e in root.findall("error"))
        assert mentions in described, (path, fields, described)
    assert (count_rows(ctx, t.incidents), count_rows(ctx, t.events)) == before


def test_a_phone_s_case_has_no_token_and_a_withheld_one_is_not_public(client, login):
    reporter, commander = login("demo-reporter"), login("demo-commander")
    phone = report(client, reporter).get_json()["id"]
    assert client.get(f"{V2}/tokens/{phone}.json").status_code == 404
    assert client.get(f"{V2}/requests/{phone}.json").status_code == 200
    rid = _json(_create(client))[0]["service_request_id"]
    for case in (phone, rid):
        r = client.post(f"/api/v1/incidents/{case}/withhold", headers=commander,
                        json={"reason": "涉及未成年人"})
        assert r.status_code == 200, r.get_json()
    assert client.get(f"{V2}/requests/{phone}.json").status_code == 404
    assert _json(client.get(f"{V2}/requests.json")) == []
    # The system that created a request still reads it.
    mine = _json(client.get(f"{V2}/requests.json", query_string={"api_key": KEY}))
    assert [x["service_request_id"] for x in mine] == [rid]


def test_address_id_is_a_site_of_the_system_s_own_account(client, login, ctx):
    from dispatch.model import Site
    from shapely.geometry import Point

    reporter = login("demo-reporter")
    others = client.post("/api/v1/sites", headers=reporter, json={
        "name": "一号厂区", "location": location(*seat())}).get_json()["id"]
    assert _create(client, lat="-", long="-", address_id=others).status_code == 400
    with ctx.uow() as uow:
        system = uow.users.by_username("demo-open311")
        site = Site(owner_id=system.id, name="平台登记厂区", location=Point(*seat()),
                    created_at=datetime.now().astimezone())
        uow.sites.add(site)
        uow.commit()
    r = _create(client, lat="-", long="-", address_id=site.id)
    assert r.status_code == 201, r.data
    rid = _json(r)[0]["service_request_id"]
    whole = _json(client.get(f"{V2}/requests/{rid}.json", query_string={"api_key": KEY}))[0]
    assert whole["address_id"] == site.id
    assert _create(client, address_id=site.id).status_code == 400  # not both


def test_keys_are_issued_listed_revoked_by_the_cli_and_stored_hashed(app, client, ctx):
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["open311-key", "issue", "city-12345"])
    assert issued.exit_code == 0, issued.output
    key = issued.stdout.strip().splitlines()[-1]
    assert key.startswith("o311_") and len(key) > 40
    with ctx.engine.connect() as conn:
        row = conn.execute(select(t.users).where(t.users.c.username == "city-12345")).one()
    assert row.api_key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in json.dumps([str(v) for v in row])
    assert row.role == "reporter"

    assert _create(client, api_key=key).status_code == 201
    listed = runner.invoke(args=["open311-key", "list"]).stdout
    assert "city-12345\tactive" in listed and "demo-open311\tactive" in listed

    again = runner.invoke(args=["open311-key", "issue", "city-12345"])
    new_key = again.stdout.strip().splitlines()[-1]
    assert new_key != key
    assert _create(client, api_key=key).status_code == 403  # the old key stopped working
    # Another report: the same fields again within the replay window would be a retry (200).
    assert _create(client, api_key=new_key, description="又停电了").status_code == 201

    assert runner.invoke(args=["open311-key", "revoke", "city-12345"]).exit_code == 0
    assert _create(client, api_key=new_key).status_code == 403
    assert "city-12345\trevoked" in runner.invoke(args=["open311-key", "list"]).stdout
    assert runner.invoke(args=["open311-key", "revoke", "nobody"]).exit_code != 0
    # A user of the product cannot be turned into an outside system.
    assert runner.invoke(args=["open311-key", "issue", "demo-reporter"]).exit_code != 0
    assert runner.invoke(args=["open311-key", "issue", "Bad Name"]).exit_code != 0
