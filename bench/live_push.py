"""Live push benchmark: the product's `task.offered` push against a bare Socket.IO emit.

    .venv/bin/python bench/live_push.py            # full run (50 rounds per server)
    .venv/bin/python bench/live_push.py --quick    # 10 rounds, to shake out problems

One run, one machine, the same load generator for both servers (see bench/README.md):

1. bare server (bench/bare_server.py): warm up, RSS of the gunicorn worker, connect 3,000 clients
   (200 in room unit:power_supply), idle, RSS again -> KB per connection; drop 1,000 bystanders
   (2,000 connected); N rounds of POST /emit -> all 200 room members received it.
2. product (server.wsgi:create() on a private PostgreSQL database and a private redis-server):
   the same with officer sockets (200 officer-power_supply, the rest in 21 other units) and N
   rounds of POST /api/v1/incidents -> all 200 power_supply sockets received `task.offered` for it.

Writes a table to stdout and bench/results/live_push-<timestamp>.json; exits 0 when product/bare
is <= 2.0x for both the median and the p99 and the product holds 3,000 sockets at <= 100 KB each,
1 otherwise (or when the harness itself failed).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import json
import multiprocessing as mp
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
NAMESPACE = "/live"

TARGET_UNIT = "power_supply"
TARGET_ROOM = f"unit:{TARGET_UNIT}"
DEPARTMENTS = ["power_supply", "water_supply", "public_security", "traffic_police", "petition",
               "housing_construction", "development_reform"]
TERRITORIES = [f"4190010{n:02d}" for n in range(1, 6)] + [f"419001{n}" for n in range(100, 111)]
# Units whose sockets must not hear the report: everything but the two recipients of the offer.
BYSTANDER_UNITS = [u for u in DEPARTMENTS + TERRITORIES if u not in (TARGET_UNIT, "419001102")]
REPORT = {"category": "power_cut", "description": "bench",
          "location": {"lat": 35.0206, "lon": 112.6340}}  # inside 419001102 (轵城镇)

ROOM_SIZE = 200          # recipients measured
CONNECTED = 2_000        # connected during the latency rounds
MEMORY_CONNECTED = 3_000  # connected for the memory figure
GENERATORS = 2           # load-generator processes (1,500 clients each at the peak)
CONNECT_BATCH = 100      # concurrent handshakes per generator
BARE_PAD = 700           # bare emit payload padding, about the size of a product task.offered
TARGET_RATIO = 2.0
TARGET_KB = 100.0
GUNICORN_WORKER_CONNECTIONS = 10_000  # gunicorn's default of 1,000 caps a gevent worker's sockets
PROFILE: dict[str, Any] = {}  # --py-spy: {"dir": Path, "stamp": str}


# ------------------------------------------------------------------------------------ helpers

def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65_536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def child_setup() -> None:
    """preexec_fn of every server subprocess: its own fd limit (it also has its own session)."""
    raise_nofile()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class Processes:
    """Every subprocess in its own session; all of them killed (by process group) at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str] | None = None,
              cwd: Path = ROOT) -> subprocess.Popen[bytes]:
        out = open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=child_setup)
        out.close()
        self.procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # the group may hold a worker that outlived its master
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def stop_all(self) -> None:
        for _, proc in reversed(self.procs):
            self.stop(proc, grace=3.0)
        self.procs.clear()

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def http_request(port: int, method: str, path: str, body: Any = None,
                 token: str | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_http(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {path}")
        try:
            if http_request(port, "GET", path, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer on {path} within {timeout:.0f} s")


def gunicorn_worker(master: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children_of(master)
        if kids:
            return kids[0]
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


# ------------------------------------------------------------------------- load generator
# Runs in its own process (spawned); talks with the orchestrator over a Pipe, one JSON-able dict
# per message. Receipt times are time.monotonic(), which on Linux is CLOCK_MONOTONIC and so is
# comparable between processes of one machine.

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


# ------------------------------------------------------------------------------ a scenario

def split_clients(specs: list[tuple[dict[str, Any], bool]], n: int
                  ) -> list[list[tuple[dict[str, Any], bool]]]:
    """Round-robin, so each generator holds the same share of targets and bystanders."""
    return [specs[i::n] for i in range(n)]


def client_specs(total: int, target_auth: dict[str, Any],
                 bystander_auth: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    """Targets first, then bystanders; ordered so that dropping the *last* bystanders of each
    generator keeps the units evenly spread."""
    specs = [(target_auth, True) for _ in range(ROOM_SIZE)]
    specs += [(bystander_auth[i % len(bystander_auth)], False) for i in range(total - ROOM_SIZE)]
    return specs


def run_scenario(name: str, port: int, worker: int, gens: Generators, mode: str,
                 target_auth: dict[str, Any], bystander_auth: list[dict[str, Any]],
                 send_round: Any, rounds: int, warmup: int, gap: float) -> dict[str, Any]:
    """Memory at 3,000, then latency rounds at 2,000. `send_round(i)` sends one message and
    returns (key, t_sent, t_answered)."""
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"name": name, "worker_pid": worker}

    time.sleep(1.0)
    rss0 = proc_rss_kb(worker)
    specs = client_specs(MEMORY_CONNECTED, target_auth, bystander_auth)
    shares = split_clients(specs, len(gens.conns))
    log(f"{name}: connecting {MEMORY_CONNECTED} clients from {len(gens.conns)} generators "
        f"(RSS of worker {worker} before: {rss0 / 1024:.1f} MiB)")
    t0 = time.monotonic()
    replies = gens.ask_all([{"op": "connect", "url": url, "mode": mode, "clients": share,
                             "batch": CONNECT_BATCH} for share in shares], timeout=240)
    connected = sum(r["connected"] for r in replies)
    failed = sum(r["failed"] for r in replies)
    out["connect_seconds"] = round(time.monotonic() - t0, 2)
    log(f"{name}: {connected} connected, {failed} failed in {out['connect_seconds']} s"
        + (f"; e.g. {replies[0]['errors'][:2] or replies[-1]['errors'][:2]}" if failed else ""))
    time.sleep(5.0)  # idle
    rss1 = proc_rss_kb(worker)
    stats = gens.same({"op": "stats"}, timeout=30)
    still = sum(s["connected"] for s in stats)
    out["memory"] = {
        "connections": still, "rss_before_kb": rss0, "rss_after_kb": rss1,
        "kb_per_connection": round((rss1 - rss0) / max(still, 1), 1),
        "connect_failures": failed,
    }
    log(f"{name}: {still} connected and idle 5 s: RSS {rss1 / 1024:.1f} MiB, "
        f"{out['memory']['kb_per_connection']} KB per connection")

    # down to 2,000: drop bystanders evenly from each generator
    drop_total = still - CONNECTED
    per = [drop_total // len(gens.conns) + (1 if i < drop_total % len(gens.conns) else 0)
           for i in range(len(gens.conns))]
    gens.ask_all([{"op": "drop", "n": n} for n in per], timeout=120)
    time.sleep(3.0)
    stats = gens.same({"op": "stats"}, timeout=30)
    out["connected_for_rounds"] = sum(s["connected"] for s in stats)
    out["targets_connected"] = sum(s["targets"] for s in stats)
    log(f"{name}: {out['connected_for_rounds']} connected, {out['targets_connected']} in the "
        f"room; {warmup} warm-up + {rounds} rounds")

    expected = out["targets_connected"]
    latencies: list[float] = []
    firsts: list[float] = []
    answers: list[float] = []
    sent_at: list[float] = []  # time.monotonic() of each send, to line up with other logs
    incomplete = 0
    cpu0 = gen_cpu0 = 0.0
    t_rounds = 0.0
    spy = None
    for i in range(warmup + rounds):
        if i == warmup:
            spy = start_py_spy(name, worker)
            cpu0 = proc_cpu_s(worker)
            gen_cpu0 = sum(s["cpu_s"] for s in gens.same({"op": "stats"}, timeout=30))
            t_rounds = time.monotonic()
        key, t_sent, t_answer = send_round(i)
        got = gens.same({"op": "wait", "key": key, "timeout": 10.0}, timeout=20)
        count = sum(g["count"] for g in got)
        lasts = [g["last"] for g in got if g["last"] is not None]
        fsts = [g["first"] for g in got if g["first"] is not None]
        if i >= warmup:
            sent_at.append(round(t_sent, 4))
            answers.append((t_answer - t_sent) * 1000)
            if count < expected or not lasts:
                incomplete += 1
            else:
                latencies.append((max(lasts) - t_sent) * 1000)
                firsts.append((min(fsts) - t_sent) * 1000)
        time.sleep(gap)
    elapsed = time.monotonic() - t_rounds
    cpu = proc_cpu_s(worker) - cpu0
    if spy is not None:
        out["py_spy"] = stop_py_spy(spy)
    stats = gens.same({"op": "stats"}, timeout=30)
    gen_cpu = sum(s["cpu_s"] for s in stats) - gen_cpu0
    n = max(len(answers), 1)
    out["rounds"] = {
        "rounds": rounds, "complete": len(latencies), "incomplete": incomplete,
        "all_received_ms": {"median": statistics.median(latencies) if latencies else None,
                            "p99": percentile(latencies, 0.99) if latencies else None,
                            "p90": percentile(latencies, 0.90) if latencies else None,
                            "min": min(latencies, default=None),
                            "max": max(latencies, default=None)},
        "first_received_ms_median": statistics.median(firsts) if firsts else None,
        "http_answer_ms_median": statistics.median(answers) if answers else None,
        "samples_ms": [round(x, 2) for x in latencies],
        "sent_at_monotonic": sent_at,
        "server_cpu_ms_per_round": round(cpu * 1000 / n, 2),
        "server_cpu_us_per_delivery": round(cpu * 1e6 / (n * max(expected, 1)), 1),
        "server_cpu_utilisation": round(cpu / elapsed, 3) if elapsed else None,
        "generator_cpu_ms_per_round": round(gen_cpu * 1000 / n, 2),
        "unexpected_disconnects": sum(s["disconnects"] for s in stats),
        "bystander_events": sum(s["other_events"] for s in stats),
        "duplicates": sum(s["duplicates"] for s in stats),
        "other_events_per_target_socket_per_round": round(
            sum(s["target_other_events"] for s in stats) / max(expected, 1)
            / (warmup + rounds), 2),
        "payload_bytes": next((s["payload_bytes"][0] for s in stats if s["payload_bytes"]),
                              None),
    }
    r = out["rounds"]
    log(f"{name}: median {fmt(r['all_received_ms']['median'])} ms, p99 "
        f"{fmt(r['all_received_ms']['p99'])} ms, server CPU {r['server_cpu_ms_per_round']} ms "
        f"per round, {incomplete} incomplete")
    return out


def start_py_spy(name: str, pid: int) -> tuple[subprocess.Popen[bytes], Path] | None:
    """--py-spy: sample the server worker during the rounds (it perturbs the timings a little;
    use it to see where the time goes, not for the figures)."""
    if not PROFILE:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    path = PROFILE["dir"] / f"live_push-{PROFILE['stamp']}-{name}.pyspy.txt"
    proc = subprocess.Popen([exe, "record", "-p", str(pid), "-r", "1000", "-f", "raw",
                             "-o", str(path), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    time.sleep(1.0)  # let it attach
    return proc, path


def stop_py_spy(spy: tuple[subprocess.Popen[bytes], Path]) -> str:
    proc, path = spy
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    return str(path.relative_to(ROOT)) if path.exists() else "py-spy wrote nothing"


def fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


# ------------------------------------------------------------------------------- the servers

def gunicorn_cmd(port: int, app: str, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "gunicorn",
            "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1",
            "-b", f"127.0.0.1:{port}",
            "--worker-connections", str(GUNICORN_WORKER_CONNECTIONS),
            "--graceful-timeout", "3", "--no-control-socket", *extra, app]


def start_redis(procs: Processes, workdir: Path) -> tuple[int, subprocess.Popen[bytes]]:
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("redis-server is not on PATH")
    port = free_port()
    proc = procs.start("redis", [exe, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", str(workdir),
                                 "--daemonize", "no"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return port, proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("private redis-server did not start")


ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_sql(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(ADMIN_URL)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def bare_phase(procs: Processes, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    proc = procs.start("bare", gunicorn_cmd(port, "bare_server:app", ["--chdir", str(BENCH)]))
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


# ------------------------------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 rounds instead of 50")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between rounds")
    parser.add_argument("--only", choices=["bare", "product"], default=None)
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--py-spy", action="store_true",
                        help="sample each server worker with py-spy during its rounds "
                             "(raw collapsed stacks in bench/results/)")
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 10 if args.quick else 50

    raise_nofile()
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="live_push-"))
    if args.py_spy:
        RESULTS.mkdir(parents=True, exist_ok=True)
        PROFILE.update(dir=RESULTS, stamp=stamp)
    procs = Processes(workdir)
    db = f"bench_live_{os.getpid()}_{int(time.time())}"
    db_created = False

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(600 if args.quick else 900)  # a hard bound on the whole run

    result: dict[str, Any] = {
        "benchmark": "live_push", "started_utc": stamp, "nproc": os.cpu_count(),
        "nproc_available": len(os.sched_getaffinity(0)), "quick": args.quick,
        "python": sys.version.split()[0],
        "setup": {"room_size": ROOM_SIZE, "connected_for_rounds": CONNECTED,
                  "connected_for_memory": MEMORY_CONNECTED, "generators": GENERATORS,
                  "rounds": args.rounds, "warmup_rounds": args.warmup, "gap_s": args.gap,
                  "bare_payload_pad": BARE_PAD,
                  "gunicorn_worker_connections": GUNICORN_WORKER_CONNECTIONS},
        "targets": {"latency_ratio_max": TARGET_RATIO, "kb_per_connection_max": TARGET_KB},
    }
    ok = False
    try:
        log(f"work dir {workdir}; nproc {os.cpu_count()}")
        if args.only != "product":
            result["bare"] = bare_phase(procs, args)
        if args.only != "bare":
            redis_port, _ = start_redis(procs, workdir)
            admin_sql(f'CREATE DATABASE "{db}"')
            db_created = True
            env = {**os.environ,
                   "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{db}",
                   "DISPATCH_SECRET_KEY": "bench-live-push-secret",
                   "DISPATCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                   "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                   "PYTHONUNBUFFERED": "1"}
            log(f"seeding database {db} (redis on {redis_port})")
            seed = subprocess.run([sys.executable, "-m", "server", "seed-demo"], cwd=ROOT,
                                  env=env, capture_output=True, text=True, timeout=300)
            if seed.returncode != 0:
                raise RuntimeError(f"seed-demo failed:\n{seed.stdout[-2000:]}\n"
                                   f"{seed.stderr[-3000:]}")
            result["product"] = product_phase(procs, args, env)
        ok = report(result)
    except BaseException as exc:  # noqa: BLE001 - always write what we have
        result["error"] = "".join(traceback.format_exception(exc))
        print(result["error"], file=sys.stderr)
        ok = False
    finally:
        signal.alarm(0)
        procs.stop_all()
        if db_created:
            try:
                admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop database {db}: {exc}", file=sys.stderr)
        result["runtime_s"] = round(time.monotonic() - started, 1)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"live_push-{stamp}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        if args.keep_logs or "error" in result:
            log(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        log(f"total runtime {result['runtime_s']} s; results in {path.relative_to(ROOT)}")
    return 0 if ok else 1


def report(result: dict[str, Any]) -> bool:
    """Print the table, fill in the verdict; True when every target is met."""
    bare, prod = result.get("bare"), result.get("product")
    rows = []
    for s in (bare, prod):
        if not s:
            continue
        r, m = s["rounds"], s["memory"]
        rows.append((s["name"], r["all_received_ms"]["median"], r["all_received_ms"]["p99"],
                     r["all_received_ms"]["max"], r["first_received_ms_median"],
                     r["http_answer_ms_median"], r["server_cpu_ms_per_round"],
                     r["server_cpu_us_per_delivery"], r["generator_cpu_ms_per_round"],
                     f"{r['complete']}/{r['rounds']}", m["kb_per_connection"],
                     m["connections"]))
    print()
    print(f"Live push: room of {ROOM_SIZE} with {CONNECTED} connected; memory at "
          f"{MEMORY_CONNECTED} connected; nproc {result['nproc']}")
    head = ("server", "median ms", "p99 ms", "max ms", "1st rcv ms", "HTTP ms",
            "srv CPU ms/rnd", "srv µs/delivery", "gen CPU ms/rnd", "complete", "KB/conn",
            "conns")
    widths = [8, 10, 9, 9, 11, 8, 15, 16, 15, 9, 8, 6]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for row in rows:
        cells = [row[0]] + [str(x) if isinstance(x, (int, str)) else fmt(x) for x in row[1:]]
        print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    verdict: dict[str, Any] = {}
    ok = True
    if bare and prod:
        b, p = bare["rounds"]["all_received_ms"], prod["rounds"]["all_received_ms"]
        complete = (not bare["rounds"]["incomplete"] and not prod["rounds"]["incomplete"]
                    and b["median"] is not None and p["median"] is not None)
        if complete:
            verdict["ratio_median"] = round(p["median"] / b["median"], 2)
            verdict["ratio_p99"] = round(p["p99"] / b["p99"], 2)
            verdict["latency_ok"] = (verdict["ratio_median"] <= TARGET_RATIO
                                     and verdict["ratio_p99"] <= TARGET_RATIO)
        else:
            verdict["latency_ok"] = False
            verdict["latency_problem"] = "some rounds did not reach every room member"
        print(f"\nproduct / bare: median {verdict.get('ratio_median', '-')}x, "
              f"p99 {verdict.get('ratio_p99', '-')}x (target <= {TARGET_RATIO}x): "
              f"{'MET' if verdict['latency_ok'] else 'MISSED'}")
        ok = ok and verdict["latency_ok"]
    else:
        ok = False
    if prod:
        m = prod["memory"]
        verdict["memory_ok"] = (m["connections"] >= MEMORY_CONNECTED
                                and m["kb_per_connection"] <= TARGET_KB)
        print(f"product memory: {m['kb_per_connection']} KB per connection over "
              f"{m['connections']} sockets (RSS {m['rss_before_kb'] / 1024:.1f} -> "
              f"{m['rss_after_kb'] / 1024:.1f} MiB; target <= {TARGET_KB:.0f} KB at "
              f"{MEMORY_CONNECTED}): {'MET' if verdict['memory_ok'] else 'MISSED'}")
        ok = ok and verdict["memory_ok"]
    if bare:
        m = bare["memory"]
        print(f"bare memory:    {m['kb_per_connection']} KB per connection over "
              f"{m['connections']} sockets (RSS {m['rss_before_kb'] / 1024:.1f} -> "
              f"{m['rss_after_kb'] / 1024:.1f} MiB)")
    for s in (bare, prod):
        if s and (s["rounds"]["unexpected_disconnects"] or s["rounds"]["bystander_events"]
                  or s["rounds"]["duplicates"]):
            print(f"note ({s['name']}): {s['rounds']['unexpected_disconnects']} unexpected "
                  f"disconnects, {s['rounds']['bystander_events']} events at bystanders, "
                  f"{s['rounds']['duplicates']} duplicates")
    verdict["ok"] = ok
    result["verdict"] = verdict
    print(f"\n{'ALL TARGETS MET' if ok else 'TARGETS MISSED'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
