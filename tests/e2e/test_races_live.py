"""Races over real HTTP and websockets, against the production shape: a gunicorn gevent web
process on PostGIS. 20 identical requests at once give one effect and 20 well-formed answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tests.e2e.procs import Live, auth, free_port
from tests.e2e.test_live_dispatch import ZHICHENG_OFFICER
from tests.helpers import ZHICHENG, location, seat

N = 20


def together(n: int, send: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)

    def one(i: int) -> Any:
        barrier.wait(timeout=30)
        return send(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def no_5xx(answers: list[requests.Response]) -> None:
    for r in answers:
        assert r.status_code < 500, r.text
        assert r.headers["content-type"].startswith(("application/json",
                                                     "application/problem+json")), r.text


def test_twenty_identical_requests_at_once_have_one_effect(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    reporter = {**auth(base, "demo-reporter"), "Idempotency-Key": "e2e-report-1"}
    officer = auth(base, ZHICHENG_OFFICER)
    lon, lat = seat()
    body = {"category": "power_cut", "description": "停电", "location": location(lon, lat)}

    # One Idempotency-Key, 20 times at once: one incident, the first answer replayed.
    reports = together(N, lambda i: requests.post(f"{base}/api/v1/incidents", json=body,
                                                  headers=reporter, timeout=60))
    no_5xx(reports)
    assert sorted(r.status_code for r in reports) == [200] * (N - 1) + [201]
    assert len({r.json()["id"] for r in reports}) == 1
    incident_id = reports[0].json()["id"]
    listed = requests.get(f"{base}/api/v1/incidents", headers=reporter, timeout=10).json()
    assert listed["total"] == 1

    # The same batch of fixes, 20 times at once: each fix stored once.
    now = datetime.now(UTC)
    batch = [{**location(lon, lat + k * 1e-5), "recorded_at": (now - timedelta(seconds=5 - k))
              .isoformat()} for k in range(3)]
    fixes = together(N, lambda i: requests.post(f"{base}/api/v1/officers/me/positions",
                                                json=batch, headers=officer, timeout=60))
    no_5xx(fixes)
    assert [r.status_code for r in fixes] == [202] * N
    assert sum(r.json()["stored"] for r in fixes) == 3

    # Accept 20 times at once, half over HTTP and half over the socket: one `accepted`.
    sockets = [Live(base, tok=officer["Authorization"].split()[1]).connect()
               for _ in range(N // 2)]
    try:
        def accept(i: int) -> Any:
            if i % 2:
                return sockets[i // 2].call("task.accept", {"incident_id": incident_id})
            return requests.post(f"{base}/api/v1/incidents/{incident_id}/accept",
                                 headers=officer, timeout=60)
        accepts = together(N, accept)
    finally:
        for s in sockets:
            s.disconnect()
    over_http = [a for a in accepts if isinstance(a, requests.Response)]
    no_5xx(over_http)
    assert [r.status_code for r in over_http] == [200] * (N // 2)
    assert [a for a in accepts if isinstance(a, dict)] == [
        {"ok": True, "incident_id": incident_id}] * (N // 2)

    # Check in 20 times at once, with one Idempotency-Key: one arrival.
    checkin = {**officer, "Idempotency-Key": "e2e-checkin-1"}
    arrivals = together(N, lambda i: requests.post(
        f"{base}/api/v1/incidents/{incident_id}/check-in", headers=checkin, timeout=60,
        json={"location": location(lon, lat)}))
    no_5xx(arrivals)
    assert [r.status_code for r in arrivals] == [200] * N
    assert len({next(u["arrived_at"] for u in r.json()["units"] if u["code"] == ZHICHENG)
                for r in arrivals}) == 1

    full = requests.get(f"{base}/api/v1/incidents/{incident_id}",
                        headers=auth(base, "demo-commander"), timeout=10).json()
    types = [e["type"] for e in full["timeline"]]
    assert types.count("reported") == 1 and types.count("accepted") == 1
    assert types.count("arrived") == 1
    assert "Traceback" not in procs.log("web1")
