"""A commander's review of a case's public text through HTTP, on PostGIS and SQLite: refusals
that name the field and write nothing, the same text again changing nothing, what command reads
of it on the case, and the public answers (and their cache) following it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from dispatch.model import User
from dispatch.storage import tables as t
from tests.helpers import count_rows, report

WEEK = "2026-W48"


def _case(client: Any, login: Any) -> str:
    r = report(client, login("demo-reporter"), description="厂区停电, 值班电话 13812345678")
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["id"])


def _review(client: Any, login: Any, rid: str, body: Any, who: str = "demo-commander") -> Any:
    return client.post(f"/api/v1/incidents/{rid}/public-text", headers=login(who), json=body)


@pytest.mark.parametrize(("body", "who", "status", "field"), [
    ({}, "demo-commander", 422, "problem"),
    ({"problem": None, "result": None}, "demo-commander", 422, "problem"),
    ({"problem": "x" * 501}, "demo-commander", 422, "problem"),
    ({"result": "x" * 501}, "demo-commander", 422, "result"),
    ({"problem": 5}, "demo-commander", 422, "problem"),
    ({"problem": "x", "author": "me"}, "demo-commander", 422, "author"),
    ({"problem": "x"}, "demo-reporter", 403, None),
    ({"problem": "x"}, "demo-admin", 403, None),
    ({"problem": "x"}, "dispatcher-419001102", 403, None),
])
def test_refusals_name_the_field_and_write_nothing(client, login, ctx, body, who, status, field):
    rid = _case(client, login)
    events = count_rows(ctx, t.events)
    r = _review(client, login, rid, body, who)
    assert r.status_code == status and r.mimetype == "application/problem+json", r.get_json()
    if field:
        assert field in [e["field"] for e in r.get_json()["errors"]]
    assert count_rows(ctx, t.events) == events
    case = client.get(f"/api/v1/incidents/{rid}", headers=login("demo-commander")).get_json()
    assert case["public_text"]["problem"] is None
    assert _review(client, login, "nope", {"problem": "x"}).status_code == 404


def test_the_text_at_its_limit_is_kept_and_an_empty_one_clears_it(client, login):
    rid = _case(client, login)
    r = _review(client, login, rid, {"problem": "问" * 500, "result": "答" * 500})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["problem"], r.get_json()["result"]) == ("问" * 500, "答" * 500)
    r = _review(client, login, rid, {"problem": "   ", "result": ""})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"problem": None, "result": None,
                            "reviewed_by": r.get_json()["reviewed_by"],
                            "reviewed_at": r.get_json()["reviewed_at"],
                            "published": {"problem": "断电", "result": None}}


def test_command_reads_the_reviewed_text_beside_the_raw_one_and_the_same_text_is_no_change(
        client, login, ctx, clock):
    rid = _case(client, login)
    commander, reporter = login("demo-commander"), login("demo-reporter")
    before = client.get(f"/api/v1/incidents/{rid}", headers=commander).get_json()
    assert before["public_text"] == {"problem": None, "result": None, "reviewed_by": None,
                                     "reviewed_at": None,
                                     "published": {"problem": "断电", "result": None}}
    clock.advance(minutes=3)
    r = _review(client, login, rid, {"problem": "厂区停电, 值班电话 13812345678"})
    assert r.status_code == 200, r.get_json()
    case = client.get(f"/api/v1/incidents/{rid}", headers=commander).get_json()
    assert case["description"] == "厂区停电, 值班电话 13812345678"  # the raw text, to compare
    text = case["public_text"]
    assert text["problem"] == "厂区停电, 值班电话 13812345678" and text["result"] is None
    assert text["published"] == {"problem": "厂区停电, 值班电话 [电话]", "result": None}
    assert text["reviewed_at"] == "2026-11-27T02:03:00Z"
    assert text["reviewed_by"] == case["timeline"][-1]["actor"]
    assert case["timeline"][-1]["type"] == "public_text_reviewed"
    assert case["timeline"][-1]["data"] == {"problem": "厂区停电, 值班电话 13812345678",
                                            "result": None}
    mine = client.get(f"/api/v1/incidents/{rid}", headers=reporter).get_json()
    assert "public_text" not in mine  # command's, as its event is
    assert "public_text_reviewed" not in [e["type"] for e in mine["timeline"]]

    events = count_rows(ctx, t.events)
    clock.advance(minutes=3)
    again = _review(client, login, rid, {"problem": " 厂区停电, 值班电话 13812345678 "})
    assert again.status_code == 200 and again.get_json() == r.get_json()
    assert count_rows(ctx, t.events) == events


def test_the_public_answers_follow_the_review_and_a_new_name_on_record_at_once(client, login,
                                                                             ctx):
    rid = _case(client, login)
    first = client.get("/api/v1/public/cases", query_string={"week": WEEK})
    [case] = first.get_json()["cases"]
    assert case["problem"] == "断电"
    assert _review(client, login, rid, {"problem": "李四光到场", "result": "已恢复供电"}
                   ).status_code == 200
    after = client.get("/api/v1/public/cases", query_string={"week": WEEK})
    assert after.headers["ETag"] != first.headers["ETag"]
    [case] = after.get_json()["cases"]
    assert (case["problem"], case["result"]["note"]) == ("李四光到场", "已恢复供电")
    assert "李四光到场" in client.get("/public/cases", query_string={"week": WEEK}).get_data(
        as_text=True)

    # A user named so is added: no case changes, the minute is the same, and yet the kept
    # answers are not served again (the names on record are part of their version).
    user = User(username="lsg-2026", password_hash="x", role="reporter", display_name="李四光")
    with ctx.uow() as uow:
        uow.users.add(user)
        uow.commit()
    try:
        [case] = client.get("/api/v1/public/cases", query_string={"week": WEEK}
                            ).get_json()["cases"]
        assert case["problem"] == "[姓名]到场"
        page = client.get("/public/cases", query_string={"week": WEEK}).get_data(as_text=True)
        assert "李四光" not in page and "[姓名]到场" in page
    finally:
        with ctx.engine.begin() as conn:
            conn.execute(delete(t.users).where(t.users.c.id == user.id))
