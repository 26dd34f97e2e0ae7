"""Deadlines fire on time exactly once: two workers, a restarted worker, a flushed Redis, and
Redis down entirely. Arrival is due 2 s after the report in these tests."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.e2e.procs import Live, auth, free_port, wait_for
from tests.e2e.test_live_dispatch import ZHICHENG_OFFICER, post_report
from tests.helpers import ZHICHENG

TWO_SECONDS = json.dumps({"default": {"arrival": 2}})


def _iso_to_monotonic_offset(inc: dict) -> float:
    """Seconds from the report's reception to its arrival deadline (the policy says 2)."""
    from datetime import datetime
    received = datetime.fromisoformat(inc["received_at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(inc["deadlines"]["arrival"].replace("Z", "+00:00"))
    return (due - received).total_seconds()


def _overdue_for(client: Live, inc: dict) -> list[dict]:
    return client.heard("incident.overdue", lambda d: d["incident_id"] == inc["id"]
                        and d["data"]["unit"] == ZHICHENG)


@pytest.mark.parametrize("disturbance", ["none", "restart-worker", "flush-redis"])
def test_overdue_arrives_within_2_s_of_the_deadline_exactly_once(stack, disturbance):
    procs = stack(DISPATCH_DEADLINES=TWO_SECONDS)
    base = procs.web("web1", free_port())
    procs.worker("worker1")
    procs.worker("worker2")
    procs.scheduler()
    officer = Live(base, ZHICHENG_OFFICER).connect()
    command = Live(base, "demo-commander").connect()
    headers = auth(base, "demo-reporter")

    sent = time.monotonic()
    inc = post_report(base, headers)
    assert _iso_to_monotonic_offset(inc) == 2.0
    if disturbance == "restart-worker":
        procs.stop("worker1")
        procs.stop("worker2")
        procs.worker("worker1")
    elif disturbance == "flush-redis":
        out = subprocess.run(["redis-cli", "-p", str(procs.redis_port), "FLUSHALL"],
                             capture_output=True, text=True)
        assert out.stdout.strip() == "OK"
    deadline = sent + 2.0
    wait_for(lambda: _overdue_for(officer, inc), 2.0 + (deadline - time.monotonic()) + 2.0,
             "incident.overdue")
    heard_at = next(t for n, d, t in officer.events if n == "incident.overdue"
                    and d["incident_id"] == inc["id"] and d["data"]["unit"] == ZHICHENG)
    assert heard_at - deadline < 2.0, f"overdue heard {heard_at - deadline:.2f} s after the due"
    time.sleep(3.0)  # long enough for a second worker, job or sweep to double it
    notices = _overdue_for(officer, inc)
    assert len(notices) == 1, notices
    assert notices[0]["data"]["milestone"] == "arrival"
    assert notices[0]["data"]["late_by_s"] >= 0
    on_command = command.heard("incident.overdue", lambda d: d["incident_id"] == inc["id"])
    assert sorted(d["data"]["unit"] for d in on_command) == [ZHICHENG, "power_supply"]
    officer.disconnect()
    command.disconnect()


def test_reports_are_accepted_while_redis_is_down_and_nothing_is_lost(stack):
    import requests

    procs = stack()
    base1 = procs.web("web1", free_port())
    base2 = procs.web("web2", free_port())
    procs.scheduler()
    town = Live(base1, ZHICHENG_OFFICER).connect()
    power = Live(base1, "officer-power_supply").connect()
    headers = auth(base2, "demo-reporter")
    first = post_report(base2, headers)
    power.wait("task.offered", lambda d: d["incident_id"] == first["id"])
    seen = power.last_seq()
    power.disconnect()  # away through the outage

    procs.stop("redis")
    ready = requests.get(f"{base2}/readyz", timeout=10)
    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("error")
    during = [post_report(base2, headers) for _ in range(3)]  # each 201, asserted inside
    # Web 1 tails the log itself: its officer hears reports made on web 2 without Redis.
    for inc in during:
        town.wait("task.offered", lambda d, i=inc: d["incident_id"] == i["id"], timeout=5)

    procs.redis(procs.redis_port)
    wait_for(lambda: requests.get(f"{base2}/readyz", timeout=5).status_code == 200, 10,
             "readiness after Redis returned")
    after = post_report(base2, headers)
    town.wait("task.offered", lambda d: d["incident_id"] == after["id"], timeout=5)

    back = Live(base2, tok=power.token).connect()
    answer = back.call("resync", {"since_seq": seen})
    replayed = [e["data"]["incident_id"] for e in answer["events"]]
    assert list(dict.fromkeys(replayed)) == [i["id"] for i in (*during, after)]
    per_incident = [e["data"]["type"] for e in answer["events"]
                    if e["data"]["incident_id"] == during[0]["id"]]
    assert per_incident == ["offered"]  # the unit hears of a new case as its offer
    seqs = [e["data"]["seq"] for e in answer["events"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for client in (town, back):
        client.disconnect()
