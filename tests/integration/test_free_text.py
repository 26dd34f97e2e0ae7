"""Free text never carries a character that breaks a format, on PostGIS and SQLite.

In: every text field of the API and of Open311's POST refuses the C0 control characters but
tab, LF and CR (one-line fields those too), DEL, U+FFFE and U+FFFF, naming the field and the
character, and writes nothing; multi-line fields keep tab, LF and CR. Out: text stored before
the rule (written here straight into the database, as an old row) never breaks Open311's XML
nor the assessment's CSV and XLSX.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from dispatch.assessment import COLUMNS
from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, count_rows, location, report, seat

V2 = "/open311/v2"
KEY = "demo-open311-key"
PS = "power_supply"
OFFICER = f"officer-{ZHICHENG}"
C0_REFUSED = [chr(c) for c in range(1, 0x20) if chr(c) not in "\t\n\r"]  # NUL: its own rule
REFUSED = [*C0_REFUSED, "\x7f", "\ufffe", "\uffff"]
MULTI_LINE = "第一行\t制表\n第二行\r\n第三行\r第四行"
WRITES = (t.incidents, t.events, t.incident_units, t.photos, t.sites, t.idempotency_keys,
          t.timers, t.complaints, t.overdue_records)


def _hex(char: str) -> str:
    return f"U+{ord(char):04X}"


@dataclass(frozen=True)
class Field:
    """One text field: who sends it where, and how a value goes into the request."""

    name: str
    where: str  # for the test's id
    who: str
    send: Callable[[Any, dict[str, str], str, str], Any]  # (client, headers, case id, value)
    one_line: bool = False
    open311: bool = False


def _post(path: str, body: Callable[[str], dict[str, Any]]) -> Callable[..., Any]:
    def send(client: Any, headers: dict[str, str], inc: str, value: str) -> Any:
        return client.post("/api/v1" + path.format(inc=inc), headers=headers, json=body(value))
    return send


def _get(path: str, param: str) -> Callable[..., Any]:
    def send(client: Any, headers: dict[str, str], inc: str, value: str) -> Any:
        return client.get("/api/v1" + path, headers=headers, query_string={param: value})
    return send


def _multipart(client: Any, headers: dict[str, str], inc: str, value: str) -> Any:
    payload = json.dumps({"category": "other", "description": value,
                          "location": location(*seat())})
    return client.post("/api/v1/incidents", headers=headers, content_type="multipart/form-data",
                       data={"payload": payload})


def _open311(name: str, prefix: str = "") -> Callable[..., Any]:
    def send(client: Any, headers: dict[str, str], inc: str, value: str) -> Any:
        lon, lat = seat()
        form = {"api_key": KEY, "service_code": "power_cut", "lat": str(lat), "long": str(lon),
                "description": "停电"}
        form[name] = prefix + value
        return client.post(f"{V2}/requests.json", data=form)
    return send


HERE = location(*seat())
DUE = "2026-11-30T10:00:00+08:00"
FIELDS = [
    Field("description", "report", "demo-reporter", _post("/incidents", lambda v: {
        "category": "other", "description": v, "location": HERE})),
    Field("description", "report-multipart", "demo-reporter", _multipart),
    Field("note", "restore", OFFICER, _post("/incidents/{inc}/restore", lambda v: {"note": v})),
    Field("note", "resolve", OFFICER, _post("/incidents/{inc}/resolve", lambda v: {"note": v})),
    Field("comment", "feedback", "demo-reporter", _post("/incidents/{inc}/feedback", lambda v: {
        "satisfied": True, "rating": 5, "comment": v})),
    Field("reason", "extend", f"dispatcher-{PS}", _post("/incidents/{inc}/extend", lambda v: {
        "reason": v, "until": DUE})),
    Field("text", "complaint", "demo-reporter",
          _post("/incidents/{inc}/complaints", lambda v: {"text": v})),
    Field("reply", "reply", "demo-commander",
          _post("/incidents/{inc}/complaints/1/reply", lambda v: {"reply": v})),
    Field("reason", "withhold", "demo-commander",
          _post("/incidents/{inc}/withhold", lambda v: {"reason": v})),
    Field("description", "open311", "", _open311("description"), open311=True),
    Field("site_id", "report", "demo-reporter", _post("/incidents", lambda v: {
        "category": "other", "description": "x", "site_id": v}), one_line=True),
    Field("name", "site", "demo-reporter",
          _post("/sites", lambda v: {"name": v, "location": HERE}), one_line=True),
    Field("address", "site", "demo-reporter", _post("/sites", lambda v: {
        "name": "厂", "address": v, "location": HERE}), one_line=True),
    Field("owner_id", "site", "demo-admin", _post("/sites", lambda v: {
        "name": "厂", "owner_id": v, "location": HERE}), one_line=True),
    Field("lead_department", "site", "demo-admin", _post("/sites", lambda v: {
        "name": "厂", "lead_department": v, "location": HERE}), one_line=True),
    Field("unit", "assign", "demo-commander", _post("/incidents/{inc}/assign", lambda v: {
        "unit": v, "person": "p", "due": DUE}), one_line=True),
    Field("person", "assign", "demo-commander", _post("/incidents/{inc}/assign", lambda v: {
        "unit": PS, "person": v, "due": DUE}), one_line=True),
    Field("unit", "list", "demo-commander", _get("/incidents", "unit"), one_line=True),
    Field("unit", "map", "demo-commander", _get("/map/incidents", "unit"), one_line=True),
    Field("week", "public", "", _get("/public/cases", "week"), one_line=True),
    Field("month", "public", "", _get("/public/cases", "month"), one_line=True),
    Field("attribute[cut_since]", "open311", "", _open311("attribute[cut_since]"),
          one_line=True, open311=True),
    Field("media_url", "open311", "", _open311("media_url", "https://example.org/"),
          one_line=True, open311=True),
]
FIELD_IDS = [f"{f.where}-{f.name}" for f in FIELDS]


def _snapshot(ctx: Any) -> tuple[Any, ...]:
    """Every table a request may write, counted, and the cases themselves (an update writes no
    row but changes one)."""
    with ctx.engine.connect() as conn:
        cases = sorted(tuple(str(v) for v in row)
                       for row in conn.execute(sa.select(t.incidents)).all())
    return tuple(count_rows(ctx, table) for table in WRITES), cases


def _refusal(field: Field, r: Any) -> str:
    """The refusal's text about `field`, after checking its form."""
    if field.open311:
        assert r.status_code == 400, (r.status_code, r.data)
        described = [e["description"] for e in json.loads(r.data)]
        mine = [d for d in described if d.startswith(f"{field.name}: ")]
        assert mine, described
        return mine[0]
    assert r.status_code == 422, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    mine = [e["message"] for e in r.get_json()["errors"] if e["field"] == field.name]
    assert mine, r.get_json()
    return str(mine[0])


@pytest.fixture
def case(client, login) -> str:  # type: ignore[no-untyped-def]
    r = report(client, login("demo-reporter"))
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["id"])


@pytest.mark.parametrize("field", FIELDS, ids=FIELD_IDS)
def test_every_text_field_refuses_control_characters_naming_itself_and_writes_nothing(
        client, login, ctx, case, field):
    headers = login(field.who) if field.who else {}
    values = [(f"路{c}堵", c) for c in REFUSED]
    values += [("堵了\x0b", "\x0b"), ("\x0c堵了", "\x0c"), ("\x1f", "\x1f")]  # at the ends too
    if field.one_line:
        values += [(f"路{c}堵", c) for c in "\t\n\r"]
    before = _snapshot(ctx)
    for value, char in values:
        why = _refusal(field, field.send(client, headers, case, value))
        assert _hex(char) in why, (value, why)
    assert _snapshot(ctx) == before


def _ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    return r.get_json()  # type: ignore[no-any-return]


def test_multi_line_text_keeps_tab_lf_and_cr_in_every_free_text_field(client, login, ctx,
                                                                      clock):
    """The boundary, field by field on a case in the state each step needs: the same request
    is refused with a U+000B where tab, LF and CR are, and accepted with them."""
    reporter, commander = login("demo-reporter"), login("demo-commander")

    def step(path: str, headers: dict[str, str], status: int = 200, **body: Any
             ) -> dict[str, Any]:
        [(name, value)] = [(k, v) for k, v in body.items() if v is MULTI_LINE]
        refused = client.post(path, headers=headers,
                              json={**body, name: value.replace("\t", "\x0b")})
        assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == name
        return _ok(client.post(path, headers=headers, json=body), status)

    inc = step("/api/v1/incidents", reporter, 201, category="power_cut", location=HERE,
               description=MULTI_LINE)["id"]
    for officer in (OFFICER, f"officer-{PS}"):
        clock.advance(minutes=1)
        _ok(client.post(f"/api/v1/incidents/{inc}/check-in", headers=login(officer),
                        json={"location": HERE}))
    base = f"/api/v1/incidents/{inc}"
    step(f"{base}/restore", login(OFFICER), note=MULTI_LINE)
    with ctx.uow() as uow:
        until = uow.incidents.get(inc).resolve_due + timedelta(days=1)
    step(f"{base}/extend", login(f"dispatcher-{PS}"), reason=MULTI_LINE, until=until.isoformat())
    step(f"{base}/resolve", login(OFFICER), note=MULTI_LINE)
    step(f"{base}/complaints", reporter, 201, text=MULTI_LINE)
    step(f"{base}/complaints/1/reply", commander, reply=MULTI_LINE)
    step(f"{base}/feedback", reporter, satisfied=True, rating=5, comment=MULTI_LINE)
    step(f"{base}/withhold", commander, reason=MULTI_LINE)
    got = _ok(client.get(base, headers=commander))
    assert got["description"] == MULTI_LINE
    assert got["extension"]["reason"] == MULTI_LINE
    assert got["feedback"]["comment"] == MULTI_LINE
    assert [(c["text"], c["reply"]) for c in got["complaints"]] == [(MULTI_LINE, MULTI_LINE)]
    with ctx.uow() as uow:
        stored = uow.incidents.get(inc)
        assert (stored.restore_note, stored.resolve_note, stored.withheld_reason) == (
            MULTI_LINE, MULTI_LINE, MULTI_LINE)
    open311 = _open311("description")
    assert open311(client, {}, inc, MULTI_LINE.replace("\t", "\x0b")).status_code == 400
    r = open311(client, {}, inc, MULTI_LINE)
    assert r.status_code == 201, r.data
    # A one-line field takes ordinary text with its spaces, and no tab.
    for name in ("name", "address"):
        body = {"name": "一号 厂区 · A", "address": "轵城镇 工业路 88 号", "location": HERE}
        r = client.post("/api/v1/sites", headers=reporter,
                        json={**body, name: body[name].replace(" ", "\t", 1)})
        assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == name
    site = _ok(client.post("/api/v1/sites", headers=reporter, json=body), 201)
    assert (site["name"], site["address"]) == ("一号 厂区 · A", "轵城镇 工业路 88 号")


@pytest.mark.parametrize("char", ["\x0b", "\x1f", "\x7f", "\n"], ids=_hex)
def test_a_display_name_given_to_create_user_is_one_line(app, ctx, char):
    runner = app.test_cli_runner()
    args = ["create-user", "reporter-x", "--role", "reporter", "--password", "pw"]
    try:
        r = runner.invoke(args=[*args, "--display-name", f"王{char}经理"])
        assert r.exit_code != 0 and _hex(char) in r.output, r.output
        with ctx.uow() as uow:
            assert uow.users.by_username("reporter-x") is None
        r = runner.invoke(args=[*args, "--display-name", "王 经理"])
        assert r.exit_code == 0, r.output
    finally:  # the demo's users are kept between tests; this one not
        with ctx.engine.begin() as conn:
            conn.execute(sa.delete(t.users).where(t.users.c.username == "reporter-x"))


# -- what is already stored ----------------------------------------------------------------------
STORED = "停电\x0b了" + "".join(C0_REFUSED) + "\ufffe\uffff\t\n<&>\x7f完"
CLEAN = "停电了\t\n<&>\x7f完"  # what XML 1.0 can carry (DEL is a character of XML 1.0)


def _old_rows(ctx: Any, *ids: str) -> None:
    """Hostile text written straight into the cases, as a row stored before the rule was."""
    with ctx.engine.begin() as conn:
        conn.execute(sa.update(t.incidents).where(t.incidents.c.id.in_(ids)).values(
            description=STORED, restore_note="\x01" + STORED, resolve_note=STORED + "\x1f"))


def _xml(r: Any) -> ET.Element:
    assert r.status_code == 200 and r.content_type == "text/xml; charset=utf-8", (r.status_code,
                                                                                   r.data[:200])
    return ET.fromstring(r.data)


def test_stored_control_characters_never_reach_open311_s_xml(client, login, ctx):
    lon, lat = seat()
    created = client.post(f"{V2}/requests.json", data={
        "api_key": KEY, "service_code": "power_cut", "lat": str(lat), "long": str(lon),
        "description": "停电"})
    assert created.status_code == 201, created.data
    rid = json.loads(created.data)[0]["service_request_id"]
    phone = _ok(report(client, login("demo-reporter")), 201)["id"]
    _old_rows(ctx, rid, phone)

    for query in ({}, {"api_key": KEY}):
        root = _xml(client.get(f"{V2}/requests.xml", query_string=query))
        assert sorted(r.findtext("service_request_id") or "" for r in root.findall("request")) \
            == sorted([rid, phone])
        for one in (rid, phone):
            [single] = _xml(client.get(f"{V2}/requests/{one}.xml",
                                       query_string=query)).findall("request")
            assert single.findtext("service_request_id") == one
    # The system that created the request reads its text whole: all that XML can carry.
    [mine] = _xml(client.get(f"{V2}/requests/{rid}.xml",
                             query_string={"api_key": KEY})).findall("request")
    assert mine.findtext("description") == CLEAN
    assert mine.findtext("status_notes") == CLEAN  # the resolve note
    # JSON carries the stored text as it is.
    whole = json.loads(client.get(f"{V2}/requests/{rid}.json",
                                  query_string={"api_key": KEY}).data)[0]
    assert whole["description"] == STORED


def test_an_error_echoing_a_control_character_is_still_xml(client, ctx):
    before = _snapshot(ctx)
    r = client.get(f"{V2}/nothing%0Bhere%01.xml")
    assert r.status_code == 404
    assert "nothinghere" in (ET.fromstring(r.data).findtext("error/description") or "")
    lon, lat = seat()
    r = client.post(f"{V2}/requests.xml", data={
        "api_key": KEY, "service_code": "power_cut", "lat": str(lat), "long": str(lon),
        "description": "停电", "attribute[cut\x0bsince]": "今天"})
    assert r.status_code == 400
    assert "attribute[cutsince]" in (ET.fromstring(r.data).findtext("error/description") or "")
    assert _snapshot(ctx) == before


def test_stored_control_characters_and_formulas_never_reach_the_exports(client, login, ctx):
    """A unit whose name and kind were stored with control characters and formulas: the CSV
    and the XLSX open, hold the text without them, and run no formula."""
    code, name, kind = "@zz-hostile", '=HYPERLINK("http://x","点我")\x0b' + STORED, "+1\x01"
    with ctx.engine.begin() as conn:
        conn.execute(sa.insert(t.units).values(code=code, name=name, kind=kind))
    try:
        head = login("demo-commander")
        r = client.get("/api/v1/stats/units?format=csv", headers=head)
        assert r.status_code == 200, r.data[:300]
        _, *lines = csv.reader(io.StringIO(r.data.decode("utf-8-sig")))  # under the names' row
        rows = [dict(zip(COLUMNS, line, strict=True)) for line in lines]
        [row] = [x for x in rows if x["unit"] == "'" + code]
        assert row["name"] == "'" + '=HYPERLINK("http://x","点我")' + CLEAN
        assert row["kind"] == "'+1"

        x = client.get("/api/v1/stats/units?format=xlsx", headers=head)
        assert x.status_code == 200, x.data[:300]
        sheet = load_workbook(io.BytesIO(x.data)).active
        _, *lines = list(sheet.iter_rows())
        [cells] = [dict(zip(COLUMNS, line, strict=True)) for line in lines
                   if line[COLUMNS.index("unit")].value == code]
        assert cells["name"].value == '=HYPERLINK("http://x","点我")' + CLEAN
        assert cells["name"].data_type == "s" and cells["kind"].value == "+1"
    finally:
        with ctx.engine.begin() as conn:
            conn.execute(sa.delete(t.units).where(t.units.c.code == code))
