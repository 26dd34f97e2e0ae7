"""The load generator of `python -m bench`: asyncio + aiohttp (and python-socketio's client for the
socket rows), in processes of its own so that measuring does not share an interpreter with the
orchestrator.

Two shapes:

- **closed loop**: `concurrency` clients, each sending its next request when the previous one is
  answered, for `seconds`. Throughput is what the server sustains; latency is per request.
- **open loop**: requests sent at a fixed offered `rate` for `seconds`, whatever the server does;
  each latency is counted from the request's *intended* send time (no coordinated omission), and a
  request unanswered after `timeout` seconds is a time-out.

Each process returns a dict of plain values: status counts, latencies (ms) of every answered
request and of every time-out (as the time waited), the ids of the 201s (to count against the
database), how many 503s carried `Retry-After`, time-outs, transport errors, its own CPU.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing as mp
import resource
import time
from datetime import UTC, datetime, timedelta
from typing import Any


def run(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run one spec per process (spawned) and return their results, in order."""
    if len(specs) == 1 and specs[0].get("inline"):
        return [worker(specs[0])]
    with mp.get_context("spawn").Pool(len(specs)) as pool:
        return pool.map(worker, specs)


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"statuses": {}, "latencies_ms": [], "ids": [], "retry_after": 0,
                           "timeouts": 0, "errors": 0, "error_samples": [], "sent": 0,
                           "items": 0, "gen_cpu_s": 0.0, "seconds": 0.0}
    for p in parts:
        for k, v in p["statuses"].items():
            out["statuses"][k] = out["statuses"].get(k, 0) + v
        out["latencies_ms"] += p["latencies_ms"]
        out["ids"] += p["ids"]
        for k in ("retry_after", "timeouts", "errors", "sent", "items"):
            out[k] += p[k]
        out["error_samples"] = (out["error_samples"] + p["error_samples"])[:5]
        out["gen_cpu_s"] += p["gen_cpu_s"]
        out["seconds"] = max(out["seconds"], p["seconds"])
    return out


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    gc.freeze()
    return asyncio.run(_main(spec))


class _Bodies:
    """What to send: a fixed JSON body per client, or a fresh batch of position fixes."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.counter = 0
        self.base = datetime.fromisoformat(spec.get("time_base") or datetime.now(UTC).isoformat())

    def next(self, client: int) -> tuple[Any, int]:
        kind = self.spec["body"]
        if kind == "none":
            return None, 1
        if kind == "positions":
            n = self.spec["batch"]
            fixes = [self.fix() for _ in range(n)]
            return (fixes[0] if self.spec.get("single") else {"positions": fixes}), n
        bodies = self.spec["bodies"]
        return bodies[client % len(bodies)], 1

    def fix(self) -> dict[str, Any]:
        # Unique per process and spec (the product keys fixes by officer and device time).
        self.counter += 1
        at = self.base + timedelta(microseconds=self.counter * self.spec["procs"]
                                   + self.spec["index"])
        return {"lat": 35.0206 + (self.counter % 100) * 1e-5, "lon": 112.6340,
                "accuracy_m": 8.0, "recorded_at": at.isoformat().replace("+00:00", "Z")}


async def _main(spec: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    res: dict[str, Any] = {"statuses": {}, "latencies_ms": [], "ids": [], "retry_after": 0,
                           "timeouts": 0, "errors": 0, "error_samples": [], "sent": 0,
                           "items": 0}
    bodies = _Bodies(spec)
    tokens = spec.get("tokens") or [None]
    timeout = aiohttp.ClientTimeout(total=spec.get("timeout", 10.0))
    ru0 = resource.getrusage(resource.RUSAGE_SELF)

    def count(status: str) -> None:
        res["statuses"][status] = res["statuses"].get(status, 0) + 1

    if spec["mode"] == "socket":
        await _sockets(spec, res, bodies, count)
    else:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def one(client: int, intended: float) -> None:
                body, items = bodies.next(client)
                token = tokens[client % len(tokens)]
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                if spec.get("gzip"):
                    headers["Accept-Encoding"] = "gzip"
                res["sent"] += 1
                try:
                    async with session.request(spec.get("method", "POST"), spec["url"],
                                               json=body, headers=headers) as resp:
                        data = await resp.read()
                        elapsed = (time.monotonic() - intended) * 1000
                        count(str(resp.status))
                        res["latencies_ms"].append(elapsed)
                        if resp.status == 201 and spec.get("collect_ids"):
                            res["ids"].append(json.loads(data)["id"])
                        elif resp.status in (200, 202):
                            res["items"] += items
                        elif resp.status == 503 and resp.headers.get("Retry-After"):
                            res["retry_after"] += 1
                        elif resp.status >= 500 and len(res["error_samples"]) < 5:
                            res["error_samples"].append(f"{resp.status}: {data[:200]!r}")
                except TimeoutError:
                    # In the percentiles as what it was at least: a request not answered in time
                    # must not make the p99 look better than the answered ones.
                    res["latencies_ms"].append((time.monotonic() - intended) * 1000)
                    res["timeouts"] += 1
                    count("timeout")
                except aiohttp.ClientError as exc:
                    res["errors"] += 1
                    count("error")
                    if len(res["error_samples"]) < 5:
                        res["error_samples"].append(f"{type(exc).__name__}: {exc}")

            start = time.monotonic()
            end = start + spec["seconds"]
            if spec["mode"] == "closed":
                async def loop(client: int) -> None:
                    while time.monotonic() < end:
                        await one(client, time.monotonic())

                await asyncio.gather(*(loop(spec["index"] + i * spec["procs"])
                                       for i in range(spec["concurrency"])))
            else:  # open loop at a fixed rate
                interval = 1.0 / spec["rate"]
                start += spec["index"] * interval / spec["procs"]  # processes interleave
                tasks = []
                i = 0
                while True:
                    intended = start + i * interval
                    if intended >= end:
                        break
                    delay = intended - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one(i * spec["procs"] + spec["index"],
                                                         intended)))
                    i += 1
                await asyncio.gather(*tasks)
            res["seconds"] = time.monotonic() - start
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    res["gen_cpu_s"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return res


async def _sockets(spec: dict[str, Any], res: dict[str, Any], bodies: _Bodies,
                   count: Any) -> None:
    """Closed loop over Socket.IO: each client emits `positions` with a batch (or `position`
    with one fix, `single`) and waits for the acknowledgement."""
    import socketio

    tokens = spec["tokens"]
    clients = []
    for i in range(spec["concurrency"]):
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        await sio.connect(spec["url"], auth={"token": tokens[i % len(tokens)]},
                          namespaces=["/live"], transports=["websocket"], wait_timeout=15)
        clients.append(sio)
    start = time.monotonic()
    end = start + spec["seconds"]

    async def loop(sio: Any, client: int) -> None:
        while time.monotonic() < end:
            fix, items = bodies.next(client)
            t = time.monotonic()
            res["sent"] += 1
            try:
                answer = await sio.call("position" if spec.get("single") else "positions",
                                        fix, namespace="/live",
                                        timeout=spec.get("timeout", 10.0))
            except Exception as exc:  # noqa: BLE001 - a time-out or a dropped socket, counted
                res["timeouts"] += 1
                count("timeout")
                if len(res["error_samples"]) < 5:
                    res["error_samples"].append(f"{type(exc).__name__}: {exc}")
                continue
            res["latencies_ms"].append((time.monotonic() - t) * 1000)
            if isinstance(answer, dict) and answer.get("ok"):
                count("ok")
                res["items"] += items
            else:
                count("refused")
                if len(res["error_samples"]) < 5:
                    res["error_samples"].append(repr(answer)[:200])

    await asyncio.gather(*(loop(c, i) for i, c in enumerate(clients)))
    res["seconds"] = time.monotonic() - start
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
