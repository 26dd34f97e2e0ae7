"""The /live protocol's edges, and the embedded default (SQLite, one process, no Redis) keeping
the same events, rooms, acknowledgements, resync and timers."""

from __future__ import annotations

import json
import time
from datetime import datetime, UTC

import pytest
import socketio

from tests.e2e.procs import Live, Processes, auth, free_port
from tests.e2e.test_live_dispatch import ZHICHENG_OFFICER, post_report
from tests.helpers import ZHICHENG, seat


def test_bad_connections_and_payloads_are_refused_and_change_nothing(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    for auth_payload in (None, {}, {"token": "forged"}, {"token": 42}):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(base, namespaces=["/live"], auth=auth_payload,
                           transports=["websocket"], wait_timeout=5)
    officer = Live(base, ZHICHENG_OFFICER).connect()
    for event, payload, field in (
            ("task.accept", {}, "incident_id"), ("task.accept", "x", "payload"),
            ("position", {"lat": 95, "lon": 112.6, "recorded_at": "2026-11-27T02:00:00Z"},
             "lat"),
            ("position", {"lat": 35.0, "lon": 112.6}, "recorded_at"),
            ("resync", {"since_seq": -1}, "since_seq"),
            ("resync", {"since_seq": 10**9}, "since_seq"),
            ("resync", {"since_seq": "0"}, "since_seq")):
        answer = officer.call(event, payload)
        assert answer["ok"] is False, (event, payload, answer)
        assert answer["error"]["errors"][0]["field"] == field, answer
    answer = officer.call("task.accept", {"incident_id": "no-such-incident"})
    assert answer["ok"] is False and answer["error"]["status"] == 404
    officer.disconnect()


def test_positions_reach_command_at_most_once_a_second_per_officer(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    command = Live(base, "demo-commander").connect()
    officer = Live(base, ZHICHENG_OFFICER).connect()
    reporter = Live(base, "demo-reporter").connect()
    lon, lat = seat()
    for i in range(5):
        fix = {"lat": lat, "lon": lon + i * 1e-4, "accuracy_m": 5,
               "recorded_at": datetime.now(UTC).isoformat()}
        assert officer.call("position", fix)["ok"] is True
    pushed = command.wait("officer.position")
    assert pushed["unit"] == ZHICHENG and abs(pushed["lat"] - lat) < 1e-9
    time.sleep(1.2)
    assert len(command.heard("officer.position")) == 1  # five fixes in well under a second
    assert reporter.heard("officer.position") == [] and officer.heard("officer.position") == []
    for c in (command, officer, reporter):
        c.disconnect()


def test_the_embedded_default_keeps_events_acks_resync_and_timers(tmp_path):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
           "DISPATCH_INSTANCE_PATH": str(tmp_path / "instance"),
           "DISPATCH_DEADLINES": json.dumps({"default": {"arrival": 2}})}
    procs = Processes(tmp_path, env)
    try:
        base = procs.embedded("embedded", free_port())
        officer = Live(base, ZHICHENG_OFFICER).connect()
        sent = time.monotonic()
        inc = post_report(base, auth(base, "demo-reporter"))
        officer.wait("task.offered", lambda d: d["incident_id"] == inc["id"], timeout=5)
        assert officer.call("task.accept", {"incident_id": inc["id"]})["ok"] is True
        overdue = officer.wait("incident.overdue", lambda d: d["incident_id"] == inc["id"],
                               timeout=6)
        heard = next(t for n, d, t in officer.events if n == "incident.overdue")
        assert heard - (sent + 2.0) < 2.0
        assert overdue["data"] == {**overdue["data"], "unit": ZHICHENG, "milestone": "arrival"}
        answer = officer.call("resync", {"since_seq": 0})
        types = [e["data"]["type"] for e in answer["events"]]
        assert types == ["offered", "accepted", "overdue"], types
        time.sleep(1.5)
        assert len(officer.heard("incident.overdue")) == 1
        officer.disconnect()
    finally:
        procs.stop_all()
