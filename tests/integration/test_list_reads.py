"""The incident list's page and one incident, read fast without changing a byte of the answer:
a page item is exactly the case's own answer without its timeline, a page costs the same few
statements whatever its size and never reads the event log, and one case reads its timeline in
one statement."""

from __future__ import annotations

import io
import json
from PIL import Image

from tests.helpers import KEJING, ZHICHENG, location, report, seat, statements




def _png(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buf, "PNG")
    return buf.getvalue()


def _cases_in_every_state(client, login, clock) -> list[str]:  # type: ignore[no-untyped-def]
    reporter, admin = login("demo-reporter"), login("demo-admin")
    officer, dept = login(f"officer-{ZHICHENG}"), login("officer-power_supply")
    lon, lat = seat()
    made = []
    r = client.post("/api/v1/incidents", headers=reporter, content_type="multipart/form-data",
                    data={"payload": json.dumps({"category": "road_blocked", "description": "堵",
                                                 "location": location(lon, lat)}),
                          "photos": [(io.BytesIO(_png((200, 0, 0))), "a.png"),
                                     (io.BytesIO(_png((0, 200, 0))), "b.png")]})
    assert r.status_code == 201, r.get_json()
    made.append(r.get_json()["id"])
    owner = client.post("/api/v1/auth/token", json={"username": "demo-reporter",
                                                    "password": "demo"}).get_json()["user_id"]
    site = client.post("/api/v1/sites", headers=admin, json={
        "name": "重点项目", "location": location(lon, lat), "green_channel": True,
        "owner_id": owner}).get_json()
    made.append(client.post("/api/v1/incidents", headers=reporter, json={
        "category": "gate_blocked", "description": "门", "site_id": site["id"]}).get_json()["id"])
    for _ in range(3):
        clock.advance(minutes=1)
        made.append(report(client, reporter).get_json()["id"])
    on_site, restored, resolved = made[2:]
    for case in (on_site, restored, resolved):
        assert client.post(f"/api/v1/incidents/{case}/check-in", headers=officer,
                           json={"location": location(lon + 0.001, lat)}).status_code == 200
    assert client.post(f"/api/v1/incidents/{restored}/accept", headers=dept).status_code == 200
    for case in (restored, resolved):
        assert client.post(f"/api/v1/incidents/{case}/restore", headers=officer,
                           json={"note": "ok"}).status_code == 200
    assert client.post(f"/api/v1/incidents/{resolved}/resolve", headers=officer,
                       json={"note": "done"}).status_code == 200
    made.append(report(client, login("demo-reporter-2"), "water_cut", code=KEJING
                       ).get_json()["id"])
    clock.advance(minutes=40)  # arrivals overdue where nobody came, restores too
    return made


def test_a_page_item_is_the_cases_own_answer_without_its_timeline(client, login, clock):
    made = _cases_in_every_state(client, login, clock)
    for who in ("demo-commander", f"officer-{ZHICHENG}", "demo-reporter"):
        headers = login(who)
        page = client.get("/api/v1/incidents?per_page=200", headers=headers).get_json()
        assert page["total"] == len(page["items"]) > 0
        for item in page["items"]:
            assert item["id"] in made
            one = client.get(f"/api/v1/incidents/{item['id']}", headers=headers).get_json()
            one.pop("timeline")
            assert (one.pop("public_text", None) is not None) == (who == "demo-commander")
            assert item == one, who
    items = client.get("/api/v1/incidents", headers=login("demo-commander")).get_json()["items"]
    assert {len(i["photos"]) for i in items} == {0, 2}
    assert any(i["overdue"] for i in items) and any(i["green_channel"] for i in items)
    assert any(u["arrival_distance_m"] for i in items for u in i["units"])
    assert any(i["milestones"]["resolved_on_time"] for i in items)


def test_a_page_takes_the_same_statements_for_five_cases_or_fifty(client, login, ctx):
    reporter, cmd = login("demo-reporter"), login("demo-commander")
    for i in range(50):
        assert report(client, reporter, code=(ZHICHENG, KEJING)[i % 2]).status_code == 201
    with statements(ctx.engine) as five:
        assert len(client.get("/api/v1/incidents?per_page=5", headers=cmd
                              ).get_json()["items"]) == 5
    with statements(ctx.engine) as fifty:
        assert len(client.get("/api/v1/incidents?per_page=50", headers=cmd
                              ).get_json()["items"]) == 50
    assert len(five) == len(fifty) <= 6  # the user, the count, the page, units, photos, complaints
    assert not [s for s in fifty if "FROM events" in s or "event_audience" in s]


def test_one_case_reads_its_timeline_in_one_statement(client, login, ctx, clock):
    inc = report(client, login("demo-reporter")).get_json()
    officer = login(f"officer-{ZHICHENG}")
    for _ in range(5):
        clock.advance(minutes=1)
    assert client.post(f"/api/v1/incidents/{inc['id']}/accept", headers=officer
                       ).status_code == 200
    cmd = login("demo-commander")
    with statements(ctx.engine) as seen:
        r = client.get(f"/api/v1/incidents/{inc['id']}", headers=cmd)
    assert r.status_code == 200 and len(r.get_json()["timeline"]) >= 5
    assert len([s for s in seen if "FROM events" in s]) == 1


def test_an_empty_page_past_the_end_counts_everything(client, login, clock):
    reporter, cmd = login("demo-reporter"), login("demo-commander")
    for _ in range(3):
        report(client, reporter)
        clock.advance(seconds=1)
    page = client.get("/api/v1/incidents?per_page=2&page=3", headers=cmd).get_json()
    assert page == {"items": [], "total": 3, "page": 3, "per_page": 2}
    last = client.get("/api/v1/incidents?per_page=2&page=2", headers=cmd).get_json()
    assert len(last["items"]) == 1 and last["total"] == 3
    clock.advance(minutes=31)
    overdue = client.get("/api/v1/incidents?overdue=true", headers=cmd).get_json()
    assert overdue["total"] == 3 and all(i["overdue"] for i in overdue["items"])
