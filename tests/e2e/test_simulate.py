"""`python -m server simulate` for one accelerated hour against the production shape (gunicorn on
PostGIS, Redis, an RQ worker and the scheduler, deadlines scaled 120 times), and its summary held
against what the server itself says of the same cases: the incidents, their timelines and the
units' assessment."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from tests.e2e.procs import PY, ROOT, Live, auth, free_port, wait_for

SPEED = "120"
CST = timezone(timedelta(hours=8))


def _all_incidents(base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        r = requests.get(f"{base}/api/v1/incidents", headers=headers, timeout=10,
                         params={"page": page, "per_page": 100})
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["items"])
        if len(out) >= body["total"]:
            return out
        page += 1


def _server_tallies(incidents: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The summary's tallies, read from the server's own fields: arrival per unit, restore and
    resolve per case; late is `*_on_time: false`, overdue is the API's `overdue` list."""
    tallies = {m: Counter[str]() for m in ("arrival", "restore", "resolve")}
    for inc in incidents:
        overdue = {(o["milestone"], o["unit"]) for o in inc["overdue"]}
        for unit in inc["units"]:
            tallies["arrival"][_state(unit["arrival_on_time"],
                                      ("arrival", unit["code"]) in overdue)] += 1
        for milestone, key in (("restore", "restored_on_time"), ("resolve", "resolved_on_time")):
            tallies[milestone][_state(inc["milestones"][key], (milestone, None) in overdue)] += 1
    return {m: {k: t.get(k, 0) for k in ("on_time", "late", "overdue", "pending")}
            for m, t in tallies.items()}


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _state(on_time: bool | None, overdue: bool) -> str:
    if on_time is True:
        return "on_time"
    if on_time is False:
        return "late"
    return "overdue" if overdue else "pending"


def test_an_accelerated_hour_ends_with_a_summary_the_server_agrees_with(stack, tmp_path):
    procs = stack(DISPATCH_TIME_SCALE=SPEED)
    base = procs.web("web1", free_port())
    procs.worker("worker1")
    procs.scheduler()
    out = tmp_path / "summary.json"
    watcher = Live(base, "demo-commander").connect()  # the command room: the map's view
    started = time.monotonic()
    run = subprocess.run(
        [PY, "-m", "server", "simulate", "--url", base, "--speed", SPEED, "--hours", "1",
         "--start", "9", "--per-day", "120", "--seed", "7", "--json", str(out)],
        cwd=ROOT, env=procs.env, capture_output=True, text=True, timeout=240)
    wall = time.monotonic() - started
    assert run.returncode == 0, run.stdout + run.stderr
    assert "warning" not in run.stdout, run.stdout  # the server's scale matched --speed
    summary = json.loads(out.read_text())
    # The printed summary says what the JSON says.
    assert f"cases    {summary['cases']} reported of {summary['planned']} planned" in run.stdout
    assert "on-time rate" in run.stdout and "overdue notices heard" in run.stdout
    # An hour at 120x is 30 s of reports, then at most an hour's restore clocks to settle.
    assert 30 <= summary["wall_seconds"] <= 75 and wall < 120, (summary["wall_seconds"], wall)
    assert not summary["interrupted"] and summary["refused"] == 0
    assert summary["cases"] == summary["planned"] >= 5
    # Officers went: arrivals on time; and some late, on purpose or stuck behind another case.
    assert summary["arrival"]["on_time"] > 0
    assert summary["arrival"]["late"] + summary["arrival"]["overdue"] > 0
    assert summary["restore"]["on_time"] > 0
    # Settled: nothing but resolutions (7 days / 120 = 84 min away) is still undecided.
    assert summary["arrival"]["pending"] == 0 and summary["restore"]["pending"] == 0

    commander = auth(base, "demo-commander")
    incidents = _all_incidents(base, commander)
    assert len(incidents) == summary["cases"]
    assert dict(sorted(Counter(i["category"] for i in incidents).items())) == (
        summary["by_category"])
    server = _server_tallies(incidents)
    for milestone in ("arrival", "restore", "resolve"):
        mine = {k: summary[milestone][k] for k in ("on_time", "late", "overdue", "pending")}
        assert mine == server[milestone], (milestone, mine, server[milestone])
    # Per unit too: its cases, its own arrivals, the restore of each of its cases.
    for code, figures in summary["units"].items():
        theirs = [i for i in incidents if code in {u["code"] for u in i["units"]}]
        assert figures["cases"] == len(theirs), code
        for milestone in ("arrival", "restore"):
            mine = {k: figures[milestone][k] for k in ("on_time", "late", "overdue", "pending")}
            server_unit = _server_tallies([{**i, "units": [u for u in i["units"]
                                                           if u["code"] == code]}
                                           for i in theirs])[milestone]
            assert mine == server_unit, (code, milestone, mine, server_unit)
    # Every overdue notice the officers heard is an `overdue` entry of a case's timeline.
    notices: Counter[str] = Counter()
    for inc in incidents:
        r = requests.get(f"{base}/api/v1/incidents/{inc['id']}", headers=commander, timeout=10)
        notices.update(e["data"]["unit"] for e in r.json()["timeline"] if e["type"] == "overdue")
    assert sum(notices.values()) == summary["overdue_notices"] > 0
    assert {code: n for code, n in notices.items()} == {
        code: f["overdue_notices"] for code, f in summary["units"].items()
        if f["overdue_notices"]}
    _officers_drove_to_their_sites(watcher.heard("officer.position"), incidents)
    watcher.disconnect()
    _agrees_with_the_assessment(base, commander, summary)
    assert "Traceback" not in run.stderr, run.stderr


def _agrees_with_the_assessment(base: str, headers: dict[str, str],
                                summary: dict[str, Any]) -> None:
    """`GET /api/v1/stats/units` counts what the summary counts, unit by unit."""
    today = datetime.now(CST).date()
    r = requests.get(f"{base}/api/v1/stats/units", headers=headers, timeout=10,
                     params={"from": str(today - timedelta(days=1)), "to": str(today)})
    assert r.status_code == 200, r.text
    rows = {row["unit"]: row for row in r.json()["units"] if row["cases"]}
    assert set(rows) == set(summary["units"])
    for code, mine in summary["units"].items():
        row = rows[code]
        decided = {m: mine[m]["on_time"] + mine[m]["late"] + mine[m]["overdue"]
                   for m in ("arrival", "restore", "resolve")}
        # One accountability record per missed deadline: met late (recorded as it is met, when its
        # overdue notice had not fired yet) or unmet past due (recorded with the notice).
        missed = sum(mine[m]["late"] + mine[m]["overdue"]
                     for m in ("arrival", "restore", "resolve"))
        assert (row["cases"], row["arrivals_decided"], row["arrivals_on_time"],
                row["restores_decided"], row["restores_on_time"],
                row["resolutions_decided"], row["resolutions_on_time"],
                row["overdue_records"]) == (
            mine["cases"], decided["arrival"], mine["arrival"]["on_time"],
            decided["restore"], mine["restore"]["on_time"],
            decided["resolve"], mine["resolve"]["on_time"], missed), code
        if mine["arrival"]["rate"] is not None:
            assert row["response_rate"] == round(mine["arrival"]["rate"], 4), code


def _officers_drove_to_their_sites(fixes: list[dict[str, Any]],
                                   incidents: list[dict[str, Any]]) -> None:
    """Every officer was on duty (its positions reached command), and officers drove: between
    accepting and arriving, a unit's fixes come closer to the site, the last one near it."""
    from geo.distance import geodesic_distance_m
    assert len({f["unit"] for f in fixes}) >= 20  # 16 territories and the departments
    drives = 0
    for inc in incidents:
        site = (inc["location"]["lon"], inc["location"]["lat"])
        for unit in inc["units"]:
            if unit["arrived_at"] is None:
                continue
            accepted, arrived = _t(unit["accepted_at"]), _t(unit["arrived_at"])
            on_way = [geodesic_distance_m(f["lon"], f["lat"], *site) for f in fixes
                      if f["unit"] == unit["code"] and accepted <= _t(f["recorded_at"]) <= arrived]
            if len(on_way) >= 3 and on_way == sorted(on_way, reverse=True) and on_way[-1] < 2000:
                drives += 1
    assert drives >= 3, drives


def test_ctrl_c_ends_the_run_with_the_summary_so_far(stack, tmp_path):
    procs = stack(DISPATCH_TIME_SCALE="60")
    base = procs.web("web1", free_port())
    out = tmp_path / "summary.json"
    sim = subprocess.Popen(
        [PY, "-m", "server", "simulate", "--url", base, "--speed", "60", "--hours", "24",
         "--per-day", "480", "--seed", "3", "--json", str(out)],
        cwd=ROOT, env=procs.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    headers = auth(base, "demo-commander")
    wait_for(lambda: requests.get(f"{base}/api/v1/incidents", headers=headers,
                                  timeout=5).json()["total"] >= 2, 60, "the first reports")
    sim.send_signal(signal.SIGINT)
    stdout, stderr = sim.communicate(timeout=30)
    assert sim.returncode == 0, stdout + stderr
    summary = json.loads(out.read_text())
    assert summary["interrupted"] and "interrupted" in stdout
    total = requests.get(f"{base}/api/v1/incidents", headers=headers, timeout=5).json()["total"]
    assert summary["cases"] == total >= 2
    assert summary["cases"] < summary["planned"]
    assert "Traceback" not in stderr, stderr


def test_the_load_mode_sends_its_rate_and_every_unit_accepts(stack, tmp_path):
    procs = stack(DISPATCH_TIME_SCALE="720")
    base = procs.web("web1", free_port())
    out = tmp_path / "summary.json"
    run = subprocess.run(
        [PY, "-m", "server", "simulate", "--url", base, "--rate", "4", "--speed", "720",
         "--hours", "1", "--seed", "5", "--json", str(out)],
        cwd=ROOT, env=procs.env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(out.read_text())
    assert summary["mode"] == "load" and "task.offered heard" in run.stdout
    # 4 a second for 3600 / 720 = 5 s.
    assert 8 <= summary["planned"] <= 35 and summary["cases"] == summary["planned"]
    incidents = _all_incidents(base, auth(base, "demo-commander"))
    assert len(incidents) == summary["cases"]
    units = [u for inc in incidents for u in inc["units"]]
    assert all(u["accepted_at"] is not None for u in units)
    assert summary["accepted"] == len(units) and summary["accept_refused"] == 0
    assert summary["post_latency_ms"]["n"] == summary["offer_latency_ms"]["n"] == len(incidents)
