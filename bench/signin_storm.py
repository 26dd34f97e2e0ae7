"""A sign-in storm against one real web process, and what it does to that process's /healthz.

    .venv/bin/python -m bench.signin_storm                 # 8 clients, 20 s, limiter on then off
    .venv/bin/python -m bench.signin_storm --seconds 5     # shorter
    .venv/bin/python -m bench.signin_storm --hash scrypt   # another DISPATCH_PASSWORD_HASH_METHOD

It creates a PostGIS database, starts a private redis-server on a free loopback port, seeds the
demo with the production password hash (argon2id unless --hash says otherwise), then for each
phase starts the production web process (gunicorn, gevent websocket worker, one worker:
`server.wsgi:create()`), runs N clients that loop POST /api/v1/auth/token with wrong passwords
(each client its own demo user, every request a fresh attempt, in a separate process so that the
sampler is not slowed by them) while GET /healthz is sampled at a fixed rate on a kept-alive
connection, and prints p50/p99/max of /healthz and the counts of 401 and 429.

Phases: `limited` (the default limits, Redis storage: after the budget is spent the storm gets
429s that cost no hash) and `open` (DISPATCH_SIGNIN_LIMIT_ENABLED=false: every attempt is hashed,
which shows that the hashing is off the event loop). Target: /healthz p99 under 50 ms in both.
Everything listens on 127.0.0.1 only, and everything is stopped and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ADMIN_URL = os.environ.get("TEST_ADMIN_DATABASE_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_P99_MS = 50.0
USERS = ["demo-reporter", "demo-reporter-2", "demo-commander", "demo-admin",
         "officer-power_supply", "officer-water_supply", "dispatcher-power_supply",
         "dispatcher-water_supply", "officer-petition", "officer-419001102"]


# -- the measurement (also used by tests/e2e/test_signin_storm.py) -------------------------------

def _looper(base: str, username: str, stop_at: float, out: Any) -> None:
    counts: dict[int, int] = {}
    with requests.Session() as s:
        i = 0
        while time.time() < stop_at:
            i += 1
            try:
                r = s.post(f"{base}/api/v1/auth/token", timeout=30,
                           json={"username": username, "password": f"wrong-{i}"})
                counts[r.status_code] = counts.get(r.status_code, 0) + 1
            except requests.RequestException:
                counts[0] = counts.get(0, 0) + 1
    out.put(counts)


def _storm_process(base: str, clients: int, stop_at: float, out: Any) -> None:
    """All the clients, as threads of one process of their own."""
    import queue
    q: queue.Queue[dict[int, int]] = queue.Queue()
    threads = [threading.Thread(target=_looper, args=(base, USERS[i % len(USERS)], stop_at, q))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total: dict[int, int] = {}
    while not q.empty():
        for code, n in q.get().items():
            total[code] = total.get(code, 0) + n
    out.put(total)


def storm(base: str, clients: int = 8, seconds: float = 20.0, rate: float = 20.0
          ) -> dict[str, Any]:
    """Run the storm and sample /healthz meanwhile; the figures of one phase."""
    mpctx = mp.get_context("spawn")
    out = mpctx.Queue()
    stop_at = time.time() + seconds + 1.0  # the clients start within that second
    proc = mpctx.Process(target=_storm_process, args=(base, clients, stop_at, out), daemon=True)
    proc.start()
    latencies: list[float] = []
    errors = 0
    with requests.Session() as s:
        s.get(f"{base}/healthz", timeout=5)  # open the kept-alive connection
        time.sleep(1.0)
        next_at = time.monotonic()
        while time.time() < stop_at:
            t0 = time.perf_counter()
            try:
                ok = s.get(f"{base}/healthz", timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - t0) * 1000)
            else:
                errors += 1
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))
    counts = out.get(timeout=60)
    proc.join(30)
    latencies.sort()
    return {
        "clients": clients, "seconds": seconds, "healthz_samples": len(latencies),
        "healthz_errors": errors,
        "healthz_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "healthz_p99_ms": round(_pct(latencies, 99), 1) if latencies else None,
        "healthz_max_ms": round(latencies[-1], 1) if latencies else None,
        "signin_401": counts.get(401, 0), "signin_429": counts.get(429, 0),
        "signin_other": {str(k): v for k, v in counts.items() if k not in (401, 429)},
    }


def _pct(sorted_values: list[float], p: float) -> float:
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


# -- the setup of the bench ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _admin(sql: str) -> None:
    import psycopg2
    conn = psycopg2.connect(ADMIN_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def _web(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [PY, "-m", "gunicorn", "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
         "-w", "1", "--worker-connections", "10000", "--no-control-socket",
         "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "server.wsgi:create()"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True)
    _wait(f"http://127.0.0.1:{port}/healthz", 60)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=20.0, help="/healthz samples a second")
    parser.add_argument("--hash", default="", help="DISPATCH_PASSWORD_HASH_METHOD (default: "
                        "the product's default, argon2id)")
    parser.add_argument("--only", choices=["limited", "open"], default=None)
    args = parser.parse_args()

    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("bench alarm")))
    signal.alarm(int(15 * 60))
    workdir = Path(tempfile.mkdtemp(prefix="signin-storm-"))
    db = f"bench_signin_{uuid.uuid4().hex[:10]}"
    redis_port = _free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                             stdout=(workdir / "redis.log").open("ab"), stderr=subprocess.STDOUT,
                             start_new_session=True)
    env = {**os.environ,
           "DATABASE_URL": f"{ADMIN_URL.rsplit('/', 1)[0]}/{db}",
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "DISPATCH_SECRET_KEY": "bench-signin-storm",
           "DISPATCH_PASSWORD_HASH_METHOD": args.hash,
           "DISPATCH_INSTANCE_PATH": str(workdir / "instance"),
           "PYTHONUNBUFFERED": "1"}
    results: dict[str, Any] = {"hash": args.hash or "argon2id (default)", "nproc": os.cpu_count()}
    created = False
    try:
        _admin(f'CREATE DATABASE "{db}"')
        created = True
        print(f"seeding {db} with hash {results['hash']}", flush=True)
        seed = subprocess.run([PY, "-m", "server", "seed-demo"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        if seed.returncode != 0:
            raise RuntimeError(seed.stdout + seed.stderr)
        phases = [("limited", {}), ("open", {"DISPATCH_SIGNIN_LIMIT_ENABLED": "false"})]
        for name, extra in phases:
            if args.only and name != args.only:
                continue
            port = _free_port()
            web = _web({**env, **extra}, port, workdir / f"web-{name}.log")
            try:
                base = f"http://127.0.0.1:{port}"
                idle = storm(base, clients=0, seconds=3, rate=args.rate)
                figures = storm(base, args.clients, args.seconds, args.rate)
                figures["idle_healthz_p99_ms"] = idle["healthz_p99_ms"]
                results[name] = figures
                print(f"{name:8s} /healthz p50 {figures['healthz_p50_ms']} ms, "
                      f"p99 {figures['healthz_p99_ms']} ms, max {figures['healthz_max_ms']} ms "
                      f"(idle p99 {idle['healthz_p99_ms']} ms; {figures['healthz_samples']} "
                      f"samples); sign-ins: {figures['signin_401']} × 401, "
                      f"{figures['signin_429']} × 429, other {figures['signin_other']}",
                      flush=True)
            finally:
                _stop(web)
    finally:
        signal.alarm(0)
        _stop(redis)
        if created:
            _admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print(json.dumps(results, indent=2))
    ok = all(results[p]["healthz_p99_ms"] is not None
             and results[p]["healthz_p99_ms"] < TARGET_P99_MS
             for p in ("limited", "open") if p in results)
    print(f"target /healthz p99 < {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
