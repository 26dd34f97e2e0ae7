"""Real-time dispatch through real processes: gunicorn + gevent websocket web servers, RQ workers,
the scheduler, Redis and PostGIS; clients are real Socket.IO clients over websocket."""

from __future__ import annotations

import subprocess
import time

import requests

from tests.e2e.procs import PY, ROOT, Live, auth, free_port
from tests.helpers import KEJING, ZHICHENG, location, seat

ZHICHENG_OFFICER = f"officer-{ZHICHENG}"


def post_report(base: str, headers: dict[str, str], category: str = "power_cut",
                code: str = ZHICHENG) -> dict:
    lon, lat = seat(code)
    r = requests.post(f"{base}/api/v1/incidents", headers=headers, timeout=10, json={
        "category": category, "description": "停电", "location": location(lon, lat)})
    assert r.status_code == 201, r.text
    return r.json()


def test_report_reaches_its_units_officers_within_a_second_and_no_one_else(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    mine = Live(base, ZHICHENG_OFFICER).connect()
    power = Live(base, "officer-power_supply").connect()
    other = Live(base, f"officer-{KEJING}").connect()
    water = Live(base, "officer-water_supply").connect()
    command = Live(base, "demo-commander").connect()
    reporter_headers = auth(base, "demo-reporter")

    sent = time.monotonic()
    inc = post_report(base, reporter_headers)
    for client, unit in ((mine, ZHICHENG), (power, "power_supply")):
        offer = client.wait("task.offered", lambda d: d["incident_id"] == inc["id"], timeout=5)
        arrived = next(t for n, d, t in client.events
                       if n == "task.offered" and d["incident_id"] == inc["id"])
        assert arrived - sent < 1.0, f"{unit} heard the task after {arrived - sent:.3f} s"
        assert offer["data"]["unit"] == unit and offer["seq"] > 0
        assert offer["incident"]["territory"]["code"] == ZHICHENG
    command.wait("task.offered", lambda d: d["incident_id"] == inc["id"])
    command.wait("incident.updated", lambda d: d["incident_id"] == inc["id"])
    # A new case is one message for each unit's officers: its offer.
    assert [n for n, d, _ in mine.events if d.get("incident_id") == inc["id"]] == ["task.offered"]
    time.sleep(1.0)
    assert other.heard() == [] and water.heard() == []
    # seq only grows, per client
    seqs = [d["seq"] for _, d, _ in mine.events]
    assert seqs == sorted(seqs)
    for c in (mine, power, other, water, command):
        c.disconnect()


def test_an_officer_on_one_web_process_hears_a_task_reported_through_the_other(stack):
    procs = stack()
    procs.scheduler()
    base1 = procs.web("web1", free_port())
    base2 = procs.web("web2", free_port())
    officer = Live(base1, ZHICHENG_OFFICER).connect()
    inc = post_report(base2, auth(base2, "demo-reporter"))
    offer = officer.wait("task.offered", lambda d: d["incident_id"] == inc["id"], timeout=5)
    assert offer["data"]["unit"] == ZHICHENG
    # The task can be accepted over the socket, through the other process.
    assert officer.call("task.accept", {"incident_id": inc["id"]}) == {
        "ok": True, "incident_id": inc["id"]}
    officer.wait("incident.updated", lambda d: d["type"] == "accepted")
    officer.disconnect()


def test_an_officer_who_was_away_gets_exactly_the_five_missed_changes_by_resync(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    power = Live(base, "officer-power_supply").connect()
    inc = post_report(base, auth(base, "demo-reporter"))
    power.wait("task.offered", lambda d: d["incident_id"] == inc["id"])
    last_seen = power.last_seq()
    power.disconnect()

    # Five changes while away: the town's officer accepts and arrives, a colleague of the
    # power-supply unit accepts and arrives, the town restores order.
    out = subprocess.run([PY, "-m", "server", "create-user", "power-2", "--role", "officer",
                          "--unit", "power_supply", "--password", "demo"], cwd=ROOT,
                         env=procs.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    town, colleague = auth(base, ZHICHENG_OFFICER), auth(base, "power-2")
    lon, lat = seat()
    url = f"{base}/api/v1/incidents/{inc['id']}"
    here = {"location": location(lon, lat)}
    for headers, action, body in ((town, "accept", None), (town, "check-in", here),
                                  (colleague, "accept", None), (colleague, "check-in", here),
                                  (town, "restore", {"note": "通道恢复"})):
        r = requests.post(f"{url}/{action}", headers=headers, json=body, timeout=10)
        assert r.status_code == 200, r.text
    # Changes that are not the power unit's business are not replayed to it.
    other = post_report(base, auth(base, "demo-reporter"), category="other")  # not power's
    assert other["units"][0]["code"] == ZHICHENG and len(other["units"]) == 1
    water = post_report(base, auth(base, "demo-reporter"), category="water_cut", code=KEJING)
    assert water["units"][0]["code"] == KEJING

    back = Live(base, tok=power.token).connect()
    answer = back.call("resync", {"since_seq": last_seen})
    assert answer["ok"] is True and answer["more"] is False
    got = [(e["data"]["type"], e["data"]["data"].get("unit")) for e in answer["events"]]
    assert got == [("accepted", ZHICHENG), ("arrived", ZHICHENG), ("accepted", "power_supply"),
                   ("arrived", "power_supply"), ("restored", None)], got
    assert {e["event"] for e in answer["events"]} == {"incident.updated"}
    seqs = [e["data"]["seq"] for e in answer["events"]]
    assert seqs == sorted(seqs) and min(seqs) > last_seen
    back.disconnect()
