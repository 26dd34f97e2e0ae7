"""Report ingest on the production shape, for profiling and before/after figures (not `make bench`).

    python -m bench.profile_ingest                      # 32 closed-loop clients for 20 s
                                                        # (a 503 makes its client wait 1 s)
    python -m bench.profile_ingest --rate 200 -t 30     # open loop: 200 reports/s offered
    python -m bench.profile_ingest --py-spy out.svg     # and record the worker with py-spy

Starts a fresh PostGIS database (seeded with the demo), a private redis-server and one gunicorn
gevent worker from this checkout; drives `POST /api/v1/incidents` with aiohttp; prints reports/s,
p50/p99, the answers by status, the worker's CPU per report (from /proc/<pid>/stat), and counts
every 201 against the rows and their timers in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
ADMIN = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CREATED_LATENCIES: list[float] = []  # of the 201s alone
REPORT = {"category": "power_cut", "description": "bench",
          "location": {"lat": 35.0206, "lon": 112.6340}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(master: int) -> int:
    for _ in range(100):
        kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if kids:
            return int(kids[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


async def closed_loop(base: str, token: str, clients: int, seconds: float
                      ) -> tuple[list[float], dict[str, int], list[str]]:
    lat: list[float] = []
    codes: dict[str, int] = {}
    ids: list[str] = []
    stop = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=0)) as http:
        async def one() -> None:
            while time.monotonic() < stop:
                if await post(http, base, token, lat, codes, ids) == 503:
                    await asyncio.sleep(1.0)  # as a phone does: Retry-After
        await asyncio.gather(*(one() for _ in range(clients)))
    return lat, codes, ids


async def open_loop(base: str, token: str, rate: float, seconds: float
                    ) -> tuple[list[float], dict[str, int], list[str]]:
    lat: list[float] = []
    codes: dict[str, int] = {}
    ids: list[str] = []
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=0)) as http:
        tasks = []
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(http, base, token, lat, codes, ids)))
        await asyncio.gather(*tasks)
    return lat, codes, ids


async def post(http: aiohttp.ClientSession, base: str, token: str, lat: list[float],
               codes: dict[str, int], ids: list[str]) -> int:
    t0 = time.monotonic()
    status = 0
    try:
        async with http.post(f"{base}/api/v1/incidents", json=REPORT,
                             headers={"Authorization": f"Bearer {token}"}) as r:
            body = await r.read()
            status = r.status
            key = str(r.status)
            if status == 201:
                CREATED_LATENCIES.append(time.monotonic() - t0)
            if r.status == 201:
                ids.append(json.loads(body)["id"])
            elif r.status == 503 and "Retry-After" not in r.headers:
                key = "503-without-Retry-After"
    except (TimeoutError, aiohttp.ClientError) as exc:
        key = type(exc).__name__
    lat.append(time.monotonic() - t0)
    codes[key] = codes.get(key, 0) + 1
    return status


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))] if s else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-c", "--clients", type=int, default=32)
    ap.add_argument("-t", "--seconds", type=float, default=20)
    ap.add_argument("--rate", type=float, default=0, help="open loop at this rate (reports/s)")
    ap.add_argument("--py-spy", default="", help="record the worker to this SVG")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    args = ap.parse_args()

    name = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(ADMIN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    tmp = Path(tempfile.mkdtemp(prefix="ingest-"))
    rport, port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": f"{ADMIN.rsplit('/', 1)[0]}/{name}",
           "REDIS_URL": f"redis://127.0.0.1:{rport}/0", "DISPATCH_SECRET_KEY": "bench",
           "DISPATCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
           "DISPATCH_INSTANCE_PATH": str(tmp / "instance"), "PYTHONPATH": str(ROOT)}
    env.update(kv.split("=", 1) for kv in args.env)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(subprocess.Popen(["redis-server", "--port", str(rport), "--save", "",
                                       "--appendonly", "no"], stdout=subprocess.DEVNULL,
                                      start_new_session=True))
        subprocess.run([sys.executable, "-m", "server", "seed-demo"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k",
             "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1",
             "--worker-connections", "10000", "--no-control-socket", "--graceful-timeout", "2",
             "-b",
             f"127.0.0.1:{port}", "server.wsgi:create()"],
            cwd=ROOT, env=env, stdout=open(tmp / "web.log", "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        procs.append(web)
        base = f"http://127.0.0.1:{port}"
        token = ""
        for _ in range(300):
            try:
                import requests
                r = requests.post(f"{base}/api/v1/auth/token", timeout=2,
                                  json={"username": "demo-reporter", "password": "demo"})
                token = r.json()["access_token"]
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
        pid = worker_pid(web.pid)
        # warm-up
        asyncio.run(closed_loop(base, token, 4, 2))
        spy = None
        if args.py_spy:
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record",
                                    "-p", str(pid), "-o", args.py_spy, "-f",
                                    "raw" if args.py_spy.endswith(".txt") else "flamegraph", "-d",
                                    str(int(args.seconds)), "--nonblocking"])
        CREATED_LATENCIES.clear()
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        if args.rate:
            lat, codes, ids = asyncio.run(open_loop(base, token, args.rate, args.seconds))
        else:
            lat, codes, ids = asyncio.run(closed_loop(base, token, args.clients, args.seconds))
        wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
        # idle within 2 s of the end?
        c1 = cpu_seconds(pid)
        time.sleep(2)
        idle_cpu = cpu_seconds(pid) - c1
        if spy:
            spy.wait(60)
        with psycopg2.connect(env["DATABASE_URL"]) as db, db.cursor() as cur:
            cur.execute("SELECT count(*) FROM incidents WHERE id = ANY(%s)", (ids,))
            rows = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM incidents i WHERE id = ANY(%s) AND NOT EXISTS "
                        "(SELECT 1 FROM timers t WHERE t.incident_id = i.id)", (ids,))
            no_timers = cur.fetchone()[0]
        ok = codes.get("201", 0)
        out: dict[str, Any] = {
            "mode": f"open {args.rate}/s" if args.rate else f"closed {args.clients} clients",
            "seconds": round(wall, 1), "answers": codes, "reports_per_s": round(ok / wall, 1),
            "p50_ms": round(pct(lat, 0.5) * 1000, 1), "p99_ms": round(pct(lat, 0.99) * 1000, 1),
            "p50_ms_201": round(pct(CREATED_LATENCIES, 0.5) * 1000, 1),
            "p99_ms_201": round(pct(CREATED_LATENCIES, 0.99) * 1000, 1),
            "cpu_ms_per_report": round(cpu / max(ok, 1) * 1000, 2),
            "worker_cpu_s_in_2s_after": round(idle_cpu, 2),
            "rows_for_201s": f"{rows}/{ok}", "201s_without_timers": no_timers}
        print(json.dumps(out, indent=1))
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    sys.exit(main())
