"""The two servers of `bench.live_push`, each started, measured (`run_scenario`) and stopped: the
bare Socket.IO server (bench/bare_server.py, `POST /emit`) and the product (`server.wsgi:create()`,
`POST /api/v1/incidents` by a reporter, received as `task.offered` by the unit's officers)."""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from typing import Any

from bench.live_push import BARE_PAD, BYSTANDER_UNITS, GENERATORS, REPORT, TARGET_ROOM, TARGET_UNIT
from bench.live_push.generator import Generators
from bench.live_push.scenario import run_scenario
from bench.processes import (
    Processes,
    free_port,
    gunicorn_cmd,
    gunicorn_worker,
    http_request,
    wait_http,
)


def bare_phase(procs: Processes, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    proc = procs.start("bare", gunicorn_cmd(port, "bench.bare_server:app", []))
    gens = None
    try:
        wait_http(port, "/healthz", proc, 60)
        worker = gunicorn_worker(proc.pid)
        keep = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        pad = "x" * BARE_PAD

        def send_round(i: int) -> tuple[str, float, float]:
            key = f"bare-{i}"
            body = json.dumps({"room": TARGET_ROOM, "event": "bench",
                               "data": {"key": key, "pad": pad}})
            t = time.monotonic()
            keep.request("POST", "/emit", body=body,
                         headers={"Content-Type": "application/json"})
            resp = keep.getresponse()
            resp.read()
            t_answer = time.monotonic()
            if resp.status != 204:
                raise RuntimeError(f"POST /emit answered {resp.status}")
            return key, t, t_answer

        send_round(-1)  # warm the path once before the RSS baseline
        gens = Generators(GENERATORS)
        return run_scenario(
            "bare", port, worker, gens, "bare", {"room": TARGET_ROOM},
            [{"room": f"unit:{u}"} for u in BYSTANDER_UNITS], send_round,
            args.rounds, args.warmup, args.gap)
    except Exception:
        print(procs.tail("bare"), file=sys.stderr)
        raise
    finally:
        if gens:
            gens.close()
        procs.stop(proc)


def product_phase(procs: Processes, args: argparse.Namespace, env: dict[str, str]
                  ) -> dict[str, Any]:
    port = free_port()
    proc = procs.start("product", gunicorn_cmd(port, "server.wsgi:create()", []), env=env)
    gens = None
    try:
        wait_http(port, "/healthz", proc, 90)
        worker = gunicorn_worker(proc.pid)

        def token(username: str) -> str:
            status, body = http_request(port, "POST", "/api/v1/auth/token",
                                        {"username": username, "password": "demo"})
            if status != 200:
                raise RuntimeError(f"token for {username}: {status} {body[:200]!r}")
            return str(json.loads(body)["access_token"])

        reporter = token("demo-reporter")
        target = {"token": token(f"officer-{TARGET_UNIT}")}
        bystanders = [{"token": token(f"officer-{u}")} for u in BYSTANDER_UNITS]
        keep = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        body = json.dumps(REPORT)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {reporter}"}

        def send_round(i: int) -> tuple[str, float, float]:
            t = time.monotonic()
            keep.request("POST", "/api/v1/incidents", body=body, headers=headers)
            resp = keep.getresponse()
            data = resp.read()
            t_answer = time.monotonic()
            if resp.status != 201:
                raise RuntimeError(f"POST /api/v1/incidents answered {resp.status}: "
                                   f"{data[:300]!r}")
            doc = json.loads(data)
            incident_id = doc.get("id") or (doc.get("incident") or {}).get("id")
            if not incident_id:
                raise RuntimeError(f"no incident id in {data[:300]!r}")
            return str(incident_id), t, t_answer

        send_round(-1)  # warm the path once before the RSS baseline
        gens = Generators(GENERATORS)
        return run_scenario("product", port, worker, gens, "product", target, bystanders,
                            send_round, args.rounds, args.warmup, args.gap)
    except Exception:
        print(procs.tail("product"), file=sys.stderr)
        raise
    finally:
        if gens:
            gens.close()
        procs.stop(proc)

