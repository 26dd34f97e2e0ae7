"""Personal data stays private whatever its spelling, on PostGIS and SQLite: the corpus of
tests/data/pii_corpus.json goes through every free text a case carries (the report's description,
the restore and resolve notes, the extension's reason, a complaint and its reply, the feedback's
comment, the withholding's reason, an Open311 description and attribute, and the text a commander
reviewed for publication), and none of its secrets is found in the public JSON, the page
/public/cases, or Open311's anonymous reads (list and single, JSON and XML). The people and sites
of the corpus are on record but on none of the cases."""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from dispatch.model import User
from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, location, report, seat

CORPUS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "pii_corpus.json").read_text(encoding="utf-8"))
SECRETS = [(e["form"], s) for e in CORPUS["personal"] for s in e["secrets"]]
WEEK = "2026-W48"  # the tests' clock starts on Friday 2026-11-27, 10:00 in Jiyuan
V2 = "/open311/v2"
_NUMERALS = str.maketrans("〇零一二三四五六七八九幺", "001234567891")


def collapse(text: str) -> str:
    """NFKC, digits of every script as ASCII, Chinese numerals as digits, lower case, letters
    and digits only: a secret split by any separator is still found."""
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c
                   for c in unicodedata.normalize("NFKC", text))
    return "".join(c for c in text.translate(_NUMERALS).lower() if c.isalnum())


def _chunks(limit: int) -> list[str]:
    """The corpus's texts joined by "；" (no separator of numbers) in pieces of at most `limit`
    characters, so each fits the field it is sent in."""
    out, piece = [], ""
    for entry in CORPUS["personal"]:
        joined = f"{piece}；{entry['text']}" if piece else entry["text"]
        if len(joined) > limit:
            out.append(piece)
            joined = entry["text"]
        piece = joined
    return [*out, piece]


def _leaks(text: str) -> list[tuple[str, str]]:
    found = collapse(text)
    return [(form, secret) for form, secret in SECRETS if collapse(secret) in found]


@pytest.fixture
def on_record(ctx: Any, client: Any, login: Any) -> Iterator[None]:
    """The corpus's people (users) and sites (another enterprise's), on none of the cases."""
    users = [User(username=u["username"], password_hash="x", role="reporter",
                  display_name=u["display_name"]) for u in CORPUS["records"]["users"]]
    with ctx.uow() as uow:
        for user in users:
            uow.users.add(user)
        uow.commit()
    other = login("demo-reporter-2")
    for site in CORPUS["records"]["sites"]:
        r = client.post("/api/v1/sites", headers=other, json={
            "name": site["name"], "address": site["address"], "location": location(*seat())})
        assert r.status_code == 201, r.get_json()
    yield
    with ctx.engine.begin() as conn:  # the sites go with the test's other rows
        conn.execute(delete(t.users).where(t.users.c.id.in_([u.id for u in users])))


def _worked_case(client: Any, login: Any, clock: Any, text: str, other: str) -> str:
    """A case whose every free text carries the corpus, solved, complained of and closed, its
    public text reviewed by a commander."""
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    dispatcher, commander = login(f"dispatcher-{ZHICHENG}"), login("demo-commander")
    rid = report(client, reporter, "gate_blocked", description=text).get_json()["id"]
    until = (clock.now + timedelta(days=10)).isoformat()
    steps: list[tuple[dict[str, str], str, dict[str, Any]]] = [
        (officer, "check-in", {"location": location(*seat())}),
        (officer, "restore", {"note": other}),
        (dispatcher, "extend", {"reason": text, "until": until}),
        (officer, "resolve", {"note": text}),
        (reporter, "complaints", {"text": other}),
        (commander, "complaints/1/reply", {"reply": text}),
        (reporter, "feedback", {"satisfied": True, "rating": 5, "comment": other}),
        (commander, "public-text", {"problem": text, "result": other}),
    ]
    for headers, path, body in steps:
        clock.advance(minutes=5)
        r = client.post(f"/api/v1/incidents/{rid}/{path}", headers=headers, json=body)
        assert r.status_code in (200, 201), (path, r.get_json())
    return str(rid)


def _public_answers(client: Any, ids: list[str]) -> dict[str, str]:
    """Every public answer, as text a reader sees (JSON without its escapes, HTML and XML
    without their entities)."""
    def as_json(path: str, **query: str) -> str:
        r = client.get(path, query_string=query)
        assert r.status_code in (200, 404), (path, r.status_code)
        return json.dumps(json.loads(r.data), ensure_ascii=False)

    def as_markup(path: str, **query: str) -> str:
        r = client.get(path, query_string=query)
        assert r.status_code in (200, 404), (path, r.status_code)
        return html.unescape(r.get_data(as_text=True))

    answers = {"public JSON": as_json("/api/v1/public/cases", week=WEEK),
               "public page": as_markup("/public/cases", week=WEEK),
               "Open311 list JSON": as_json(f"{V2}/requests.json"),
               "Open311 list XML": as_markup(f"{V2}/requests.xml"),
               "Open311 by ids JSON": as_json(f"{V2}/requests.json",
                                              service_request_id=",".join(ids))}
    for rid in ids:
        answers[f"Open311 {rid} JSON"] = as_json(f"{V2}/requests/{rid}.json")
        answers[f"Open311 {rid} XML"] = as_markup(f"{V2}/requests/{rid}.xml")
    return answers


def test_no_secret_of_the_corpus_reaches_any_public_answer(client, login, clock, on_record):
    pieces = _chunks(480)  # within every field's limit (500 for the reviewed text)
    assert len(pieces) >= 4 and sum(map(len, pieces)) > 2000
    commander = login("demo-commander")
    ids = [_worked_case(client, login, clock, piece, pieces[(i + 1) % len(pieces)])
           for i, piece in enumerate(pieces)]

    # One case left as reported (no text reviewed), one withheld, one from an outside system.
    plain = report(client, login("demo-reporter"), description=pieces[0]).get_json()["id"]
    withheld = report(client, login("demo-reporter"), description=pieces[1]).get_json()["id"]
    for path, body in (("public-text", {"problem": pieces[1]}),
                       ("withhold", {"reason": pieces[2]})):
        r = client.post(f"/api/v1/incidents/{withheld}/{path}", headers=commander, json=body)
        assert r.status_code == 200, r.get_json()
    lon, lat = seat()
    r = client.post(f"{V2}/requests.json", data={
        "api_key": "demo-open311-key", "service_code": "water_cut", "lat": str(lat),
        "long": str(lon), "description": pieces[2], "attribute[cut_since]": pieces[3][:200]})
    assert r.status_code == 201, r.data
    outside = json.loads(r.data)[0]["service_request_id"]
    r = client.post(f"/api/v1/incidents/{outside}/public-text", headers=commander,
                    json={"problem": pieces[3], "result": pieces[0]})
    assert r.status_code == 200, r.get_json()

    answers = _public_answers(client, [*ids, plain, withheld, outside])
    for name, text in answers.items():
        assert _leaks(text) == [], name

    # The test is worth something: the reviewed text was published (scrubbed), the plain case
    # carries its category's words, the withheld one is not there.
    cases = {c["id"]: c for c in json.loads(answers["public JSON"])["cases"]}
    assert set(cases) == {*ids, plain, outside}
    published = " ".join(c["problem"] + (c["result"]["note"] or "") for c in cases.values())
    for mark in ("[电话]", "[号码]", "[身份证号]", "[邮箱]", "[账号]", "[姓名]"):
        assert mark in published, mark
    assert cases[plain]["problem"] == "断电" and cases[plain]["result"]["note"] is None
    assert "[姓名]" in answers[f"Open311 {outside} XML"]
    # The outside system still reads its own request whole with its key.
    mine = json.loads(client.get(f"{V2}/requests/{outside}.json",
                                 query_string={"api_key": "demo-open311-key"}).data)[0]
    assert mine["description"].startswith(pieces[2])
