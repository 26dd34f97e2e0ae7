"""The storm, end to end: from a clerk's POST to the `task.offered` frame in an officer's socket.

Officers (the template's field officers, bench/seeding.py) and command pages (the commander's
token) hold Socket.IO connections on `/live` (python-socketio's asyncio client, in generator
processes of their own); reports are POSTed at a fixed offered rate (open loop: each latency is
counted from the report's intended send time) at random points of the 16 towns, the four
categories in turn. Afterwards every case answered 201 is looked up with its units: each officer
connected in one of them must have received its `task.offered` once, and each command socket a
frame about it. Times are `time.time()`, one clock for every process of the machine.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import time
import traceback
from typing import Any

from bench.processes import raise_nofile

NAMESPACE = "/live"
CATEGORIES = ("power_cut", "water_cut", "road_blocked", "gate_blocked")


def sockets_main(conn: Any, url: str, clients: list[tuple[str, str]]) -> None:
    """A generator process: connect `clients` ((token, kind): kind "officer" or "command"),
    say how many are up, record frames until told to stop, then send what was heard."""
    raise_nofile()
    try:
        asyncio.run(_sockets(conn, url, clients))
    except Exception:  # noqa: BLE001 - the orchestrator fails the row
        conn.send({"op": "crash", "error": traceback.format_exc()})
    os._exit(0)


async def _sockets(conn: Any, url: str, clients: list[tuple[str, str]]) -> None:
    import aiohttp
    import socketio

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    heard: list[dict[str, list[float]]] = [{} for _ in clients]  # incident -> receipt times
    drops = [0]
    sios = []

    def make(i: int, kind: str) -> Any:
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=session)

        def on_any(event: str, data: Any = None, *_: Any) -> None:
            t = time.time()
            if not isinstance(data, dict) or not data.get("incident_id"):
                return
            if kind == "officer" and event != "task.offered":
                return
            heard[i].setdefault(data["incident_id"], []).append(t)

        def on_disconnect(*_: Any) -> None:
            drops[0] += 1

        sio.on("*", on_any, namespace=NAMESPACE)
        sio.on("disconnect", on_disconnect, namespace=NAMESPACE)
        return sio

    gate = asyncio.Semaphore(25)

    async def connect(i: int, token: str, kind: str) -> bool:
        sio = make(i, kind)
        sios.append(sio)
        async with gate:
            try:
                await sio.connect(url, namespaces=[NAMESPACE], auth={"token": token},
                                  transports=["websocket"], wait_timeout=20)
                return True
            except Exception:  # noqa: BLE001 - counted
                return False

    ups = await asyncio.gather(*(connect(i, tok, kind) for i, (tok, kind) in enumerate(clients)))
    conn.send({"op": "up", "connected": sum(ups)})
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def told() -> None:
        conn.recv()
        stop.set()

    loop.add_reader(conn.fileno(), told)
    await stop.wait()
    conn.send({"op": "heard", "heard": heard, "drops": drops[0],
               "connected": [bool(u) for u in ups]})
    for sio in sios:
        try:
            await sio.disconnect()
        except Exception:  # noqa: BLE001 - going away anyway
            pass
    await session.close()


def start_sockets(url: str, clients: list[tuple[str, str]], procs: int
                  ) -> list[tuple[Any, Any, list[int]]]:
    """Spawn `procs` generator processes sharing `clients` round robin; returns (process,
    pipe, client indices) once every process has connected its share."""
    ctx = mp.get_context("spawn")
    started = []
    for p in range(procs):
        mine = list(range(p, len(clients), procs))
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=sockets_main, args=(child, url, [clients[i] for i in mine]),
                           daemon=True)
        proc.start()
        started.append((proc, parent, mine))
    for _proc, parent, _ in started:
        if not parent.poll(180):
            raise RuntimeError("socket generator did not connect its clients within 180 s")
        msg = parent.recv()
        if msg["op"] != "up":
            raise RuntimeError(f"socket generator: {msg.get('error', msg)}")
    return started


def collect(started: list[tuple[Any, Any, list[int]]], n: int) -> dict[str, Any]:
    heard: list[dict[str, list[float]]] = [{} for _ in range(n)]
    connected = [False] * n
    drops = 0
    for proc, parent, mine in started:
        parent.send({"op": "stop"})
        if not parent.poll(120):
            raise RuntimeError("socket generator did not answer within 120 s")
        msg = parent.recv()
        if msg["op"] != "heard":
            raise RuntimeError(f"socket generator: {msg.get('error', msg)}")
        for k, i in enumerate(mine):
            heard[i] = msg["heard"][k]
            connected[i] = msg["connected"][k]
        drops += msg["drops"]
        proc.join(30)
    return {"heard": heard, "connected": connected, "drops": drops}


async def post_reports(url: str, tokens: list[str], points: list[tuple[float, float]],
                       rate: float, seconds: float, timeout: float = 10.0) -> list[dict[str, Any]]:
    """POST reports at `rate` per second for `seconds` (open loop); each with its intended send
    time, status, answer time and the case's id."""
    import aiohttp

    out: list[dict[str, Any]] = []
    n = int(rate * seconds)
    t0 = time.time() + 0.5
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def one(k: int) -> None:
            at = t0 + k / rate
            await asyncio.sleep(max(0.0, at - time.time()))
            lon, lat = points[k % len(points)]
            body = {"category": CATEGORIES[k % len(CATEGORIES)], "description": "storm",
                    "location": {"lat": lat, "lon": lon}}
            rec: dict[str, Any] = {"sent": at, "status": None, "id": None}
            try:
                async with session.post(url + "/api/v1/incidents", json=body, headers={
                        "Authorization": f"Bearer {tokens[k % len(tokens)]}"},
                        timeout=aiohttp.ClientTimeout(total=timeout)) as r:
                    text = await r.text()
                    rec["status"] = r.status
                    if r.status == 201:
                        rec["id"] = json.loads(text)["id"]
            except (TimeoutError, aiohttp.ClientError) as exc:
                rec["status"] = type(exc).__name__
            rec["answered"] = time.time()
            out.append(rec)
        await asyncio.gather(*(one(k) for k in range(n)))
    return out
