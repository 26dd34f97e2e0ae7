"""Operations with real processes: gunicorn with two workers in Prometheus's multi-process mode
(server/gunicorn_conf.py), the worker and the scheduler on their own ops ports; the figures add
up across the workers whichever answers the scrape, the scheduler is ready on its heartbeat, and
every process logs JSON lines naming the request id."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.procs import PY, Live, auth, free_port, wait_for, _answers
from tests.e2e.test_live_dispatch import ZHICHENG_OFFICER
from tests.helpers import location, seat


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = requests.get(url, timeout=5)
    assert r.status_code == 200, r.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(r.text) for s in f.samples}


def test_two_workers_report_as_one_and_the_scheduler_beats(stack, tmp_path: Path) -> None:
    procs = stack()
    folder = tmp_path / "metrics"
    port, worker_port, scheduler_port = free_port(), free_port(), free_port()
    procs.start("web", [PY, "-m", "gunicorn", "-c", "python:server.gunicorn_conf", "-k",
                        "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "2",
                        "--no-control-socket", "-b", f"127.0.0.1:{port}",
                        "--graceful-timeout", "2", "server.wsgi:create()"],
                PROMETHEUS_MULTIPROC_DIR=str(folder))
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(f"{base}/healthz"), 60, "web to answer")
    procs.start("worker", [PY, "-m", "server.worker"], DISPATCH_OPS_PORT=str(worker_port),
                PROMETHEUS_MULTIPROC_DIR=str(folder))  # ignored by the worker on purpose
    procs.start("scheduler", [PY, "-m", "server.scheduler"],
                DISPATCH_OPS_PORT=str(scheduler_port))

    # Requests spread over both workers; every scrape reports them all.
    key = ("jiyuan311_http_requests_total",
           (("method", "GET"), ("route", "/healthz"), ("status", "200")))
    before = samples(f"{base}/metrics").get(key, 0)
    for _ in range(30):
        assert requests.get(f"{base}/healthz", timeout=5,
                            headers={"Connection": "close"}).status_code == 200
    # Each worker samples its own pool every second (10 connections each): the sum is both.
    wait_for(lambda: len(list(folder.glob("gauge_livesum_*.db"))) == 2, 30, "both workers")
    pool = ("jiyuan311_db_pool_size", ())
    wait_for(lambda: samples(f"{base}/metrics").get(pool) == 20, 15, "both pools summed")
    for _ in range(4):
        assert samples(f"{base}/metrics")[key] == before + 30

    # Officers connected to either worker: the sockets add up.
    officers = [Live(base, ZHICHENG_OFFICER).connect() for _ in range(3)]
    sockets = ("jiyuan311_sockets", (("role", "officer"),))
    wait_for(lambda: samples(f"{base}/metrics").get(sockets) == 3, 15, "3 officer sockets")
    reporter = auth(base, "demo-reporter")
    lon, lat = seat()
    r = requests.post(f"{base}/api/v1/incidents", timeout=10, json={
        "category": "power_cut", "description": "停电 13812345678",
        "location": location(lon, lat)}, headers={**reporter, "X-Request-Id": "e2e-trace-1"})
    assert r.status_code == 201 and r.headers["X-Request-Id"] == "e2e-trace-1"
    for officer in officers:
        officer.wait("task.offered", lambda d: d["incident_id"] == r.json()["id"], timeout=10)
        officer.disconnect()
    wait_for(lambda: samples(f"{base}/metrics").get(sockets) == 0, 15, "sockets gone")
    opened = ("jiyuan311_open_cases", (("state", "on_time"), ("status", "dispatched")))
    # (the database's figures are kept 5 s: DISPATCH_METRICS_CACHE_SECONDS)
    wait_for(lambda: samples(f"{base}/metrics").get(opened) == 1, 15, "the open case counted")
    m = samples(f"{base}/metrics")
    assert m[("jiyuan311_scrape_ok", (("source", "redis"),))] == 1
    assert ("jiyuan311_rq_jobs", (("state", "scheduled"),)) in m

    # The scheduler: ready while it sweeps, its heartbeat in its own metrics.
    sched = f"http://127.0.0.1:{scheduler_port}"
    wait_for(lambda: _answers(f"{sched}/readyz"), 30, "the scheduler ready")
    ready = requests.get(f"{sched}/readyz", timeout=5).json()
    assert ready == {"status": "ready", "checks": {"database": "ok", "redis": "ok",
                                                   "sweep": "ok"}}
    beat = samples(f"{sched}/metrics")[("jiyuan311_sweep_last_success_timestamp_seconds",
                                        (("process", "scheduler"),))]
    assert beat > 0
    assert requests.get(f"http://127.0.0.1:{worker_port}/healthz", timeout=5).ok
    wait_for(lambda: _answers(f"http://127.0.0.1:{worker_port}/readyz"), 30, "worker ready")
    assert requests.get(f"{sched}/nothing", timeout=5).status_code == 404

    # JSON lines everywhere, the request's id on its lines, no description or phone number.
    web_log = procs.log("web")
    lines = [json.loads(x) for x in web_log.splitlines() if x.startswith("{")]
    assert any(x.get("request_id") == "e2e-trace-1" and x["message"].startswith("pushed ")
               for x in lines)
    assert any(x.get("request_id") == "e2e-trace-1" and x.get("route") == "/api/v1/incidents"
               for x in lines)
    for name in ("web", "worker", "scheduler"):
        text = procs.log(name)
        assert "13812345678" not in text and "停电" not in text, name
        assert any(x.startswith("{") for x in text.splitlines()), name
    # A worker that dies: gunicorn replaces it, and its live gauges leave the sums.
    pids = {int(f.stem.rsplit("_", 1)[1]) for f in folder.glob("gauge_livesum_*.db")}
    dead = min(pids)
    os.kill(dead, signal.SIGKILL)
    wait_for(lambda: not list(folder.glob(f"gauge_live*_{dead}.db")), 30, "its gauges dropped")
    wait_for(lambda: samples(f"{base}/metrics").get(pool) == 20, 30, "the new worker's pool")
    assert samples(f"{base}/metrics")[key] >= before + 30  # counters keep the dead's count


def test_the_load_balancer_keeps_metrics_inside_and_names_each_request(stack, tmp_path: Path
                                                                       ) -> None:
    from tests.e2e.test_load_balancer import start_lb

    procs = stack()
    web = free_port()
    direct = procs.web("web1", web)
    base = start_lb(procs, tmp_path, [web])
    # /metrics: the replica answers the internal network; the public entrance does not.
    assert requests.get(f"{direct}/metrics", timeout=5).status_code == 200
    outside = requests.get(f"{base}/metrics", timeout=5)
    assert outside.status_code == 404
    assert outside.headers["Content-Type"] == "application/problem+json"
    assert b"jiyuan311" not in outside.content
    # The request id: the client's kept, else nginx's own; the same in nginx's and the app's log.
    kept = requests.get(f"{base}/healthz", timeout=5, headers={"X-Request-Id": "lb-trace-7"})
    assert kept.headers["X-Request-Id"] == "lb-trace-7"
    made = requests.get(f"{base}/api/v1/units", timeout=5).headers["X-Request-Id"]
    assert len(made) == 32 and int(made, 16) >= 0
    wait_for(lambda: f"rid={made}" in procs.log("lb"), 10, "nginx to log the id")
    app_lines = [json.loads(x) for x in procs.log("web1").splitlines() if x.startswith("{")]
    assert any(x.get("request_id") == made and x.get("route") == "/api/v1/units"
               for x in app_lines)
