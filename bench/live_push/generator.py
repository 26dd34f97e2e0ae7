"""The load generator of `bench.live_push`: Socket.IO clients (python-socketio's asyncio client
on aiohttp) in processes of its own, and the orchestrator's side of those processes.

Each generator runs in its own process (spawned) and talks with the orchestrator over a Pipe, one
JSON-able dict per message. Receipt times are time.monotonic(), which on Linux is CLOCK_MONOTONIC
and so is comparable between processes of one machine.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing as mp
import os
import resource
import time
import traceback
from typing import Any

from bench.live_push import NAMESPACE, TARGET_UNIT
from bench.processes import raise_nofile


def generator_main(conn: Any, index: int) -> None:
    raise_nofile()
    try:
        asyncio.run(_generator(conn, index))
    except Exception:  # noqa: BLE001 - report and die; the orchestrator fails the run
        try:
            conn.send({"op": "crash", "error": traceback.format_exc()})
        except OSError:
            pass
    os._exit(0)


async def _generator(conn: Any, index: int) -> None:
    import aiohttp
    import socketio

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[Any] = asyncio.Queue()

    def readable() -> None:
        try:
            inbox.put_nowait(conn.recv())
        except (EOFError, OSError):  # the orchestrator is gone
            os._exit(0)

    loop.add_reader(conn.fileno(), readable)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
    clients: list[dict[str, Any]] = []     # {"sio", "target", "alive"}
    mode = "bare"
    targets = 0
    seen: dict[str, set[int]] = {}          # key -> client indices that received it
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    done: dict[str, asyncio.Event] = {}
    counters = {"disconnects": 0, "other_events": 0, "target_other_events": 0,
                "duplicates": 0}
    payload_bytes: list[int] = []

    def key_of(event: str, data: Any) -> str | None:
        if not isinstance(data, dict):
            return None
        if mode == "bare":
            return data.get("key") if event == "bench" else None
        if event == "task.offered" and (data.get("data") or {}).get("unit") == TARGET_UNIT:
            return data.get("incident_id")
        return None

    def make_client(i: int, target: bool) -> Any:
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=session)

        def on_any(event: str, data: Any = None, *_: Any) -> None:
            t = time.monotonic()
            key = key_of(event, data) if target else None
            if key is None:
                if target:
                    counters["target_other_events"] += 1
                else:
                    counters["other_events"] += 1
                return
            got = seen.setdefault(key, set())
            if i in got:
                counters["duplicates"] += 1
                return
            got.add(i)
            if len(payload_bytes) < 3:
                payload_bytes.append(len(json.dumps(data, ensure_ascii=False).encode()))
            first.setdefault(key, t)
            last[key] = t
            if len(got) >= targets:
                done.setdefault(key, asyncio.Event()).set()

        def on_disconnect(*_: Any) -> None:
            if clients[i]["alive"]:
                clients[i]["alive"] = False
                counters["disconnects"] += 1

        sio.on("*", on_any, namespace=NAMESPACE)
        sio.on("disconnect", on_disconnect, namespace=NAMESPACE)
        return sio

    async def connect_one(c: dict[str, Any], url: str, auth: dict[str, Any],
                          attempts: int = 4) -> str | None:
        error = None
        for attempt in range(attempts):
            try:
                await c["sio"].connect(url, auth=auth, namespaces=[NAMESPACE],
                                       transports=["websocket"], wait_timeout=15)
                c["alive"] = True
                return None
            except Exception as exc:  # noqa: BLE001 - retried, then counted
                error = f"{type(exc).__name__}: {exc}"
                try:
                    await c["sio"].disconnect()
                except Exception:  # noqa: BLE001
                    pass
                await asyncio.sleep(0.5 * (attempt + 1))
        return error

    async def op_connect(msg: dict[str, Any]) -> dict[str, Any]:
        nonlocal mode, targets
        mode = msg["mode"]
        t0 = time.monotonic()
        specs = msg["clients"]  # [(auth, target)]
        base = len(clients)
        for j, (_, target) in enumerate(specs):
            clients.append({"sio": make_client(base + j, target), "target": target,
                            "alive": False})
        targets = sum(1 for c in clients if c["target"])
        errors: list[str] = []
        for start in range(0, len(specs), msg["batch"]):
            chunk = range(start, min(start + msg["batch"], len(specs)))
            results = await asyncio.gather(*(connect_one(clients[base + j], msg["url"],
                                                         specs[j][0]) for j in chunk))
            errors += [r for r in results if r]
        gc.collect()
        gc.freeze()  # the generator's own full collections would otherwise show in its tail
        return {"connected": sum(1 for c in clients if c["alive"]), "failed": len(errors),
                "errors": errors[:5], "seconds": time.monotonic() - t0}

    async def op_drop(msg: dict[str, Any]) -> dict[str, Any]:
        """Disconnect n bystanders (non-target clients)."""
        victims = [c for c in clients if c["alive"] and not c["target"]][: msg["n"]]
        for c in victims:
            c["alive"] = False  # not counted as an unexpected disconnect
        for start in range(0, len(victims), 200):
            await asyncio.gather(*(c["sio"].disconnect() for c in victims[start:start + 200]),
                                 return_exceptions=True)
        return {"connected": sum(1 for c in clients if c["alive"]), "dropped": len(victims)}

    async def op_wait(msg: dict[str, Any]) -> dict[str, Any]:
        key = msg["key"]
        ev = done.setdefault(key, asyncio.Event())
        if len(seen.get(key, ())) < targets:
            try:
                await asyncio.wait_for(ev.wait(), msg["timeout"])
            except TimeoutError:
                pass
        return {"count": len(seen.get(key, ())), "first": first.get(key),
                "last": last.get(key)}

    def op_stats() -> dict[str, Any]:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return {"connected": sum(1 for c in clients if c["alive"]),
                "targets": sum(1 for c in clients if c["alive"] and c["target"]),
                "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
                "payload_bytes": payload_bytes[:1], **counters}

    async def handle(msg: dict[str, Any]) -> None:
        op = msg["op"]
        if op == "connect":
            reply = await op_connect(msg)
        elif op == "drop":
            reply = await op_drop(msg)
        elif op == "wait":
            reply = await op_wait(msg)
        elif op == "stats":
            reply = op_stats()
        else:
            raise ValueError(f"unknown op {op}")
        conn.send({"op": op, "id": msg.get("id"), **reply})

    tasks: set[asyncio.Task[None]] = set()
    while True:
        msg = await inbox.get()
        if msg["op"] == "quit":
            conn.send({"op": "quit", "id": msg.get("id")})
            return  # no polite disconnects: the orchestrator stops the server anyway
        task = asyncio.create_task(handle(msg))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


class Generators:
    """The orchestrator's side of the generator processes."""

    def __init__(self, n: int) -> None:
        ctx = mp.get_context("spawn")
        self.conns = []
        self.procs = []
        self.seq = 0
        for i in range(n):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=generator_main, args=(child, i), daemon=True,
                            name=f"loadgen-{i}")
            p.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(p)

    def ask_all(self, msgs: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        self.seq += 1
        for conn, msg in zip(self.conns, msgs, strict=True):
            conn.send({**msg, "id": self.seq})
        replies: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        for conn in self.conns:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not conn.poll(left):
                    raise RuntimeError(f"load generator did not answer {msgs[0]['op']} "
                                       f"within {timeout:.0f} s")
                reply = conn.recv()
                if reply.get("op") == "crash":
                    raise RuntimeError(f"load generator crashed:\n{reply['error']}")
                if reply.get("id") == self.seq:
                    replies.append(reply)
                    break
        return replies

    def same(self, msg: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
        return self.ask_all([msg] * len(self.conns), timeout)

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send({"op": "quit"})
            except OSError:
                pass
        for p in self.procs:
            p.join(3)
            if p.is_alive():
                p.kill()
                p.join(3)
        for conn in self.conns:
            conn.close()

