"""Live push benchmark: the product's `task.offered` push against a bare Socket.IO emit.

`python -m bench.live_push [--quick] [--rounds N] [--warmup N] [--gap S] [--only bare|product]
[--keep-logs] [--py-spy]`: the command line, the run (a private database and redis-server for the
product, everything stopped and dropped at the end), the table and the verdict; the package's
docstring (bench/live_push/__init__.py) says what one run does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.live_push import (
    BARE_PAD,
    CONNECTED,
    GENERATORS,
    MEMORY_CONNECTED,
    ROOM_SIZE,
    TARGET_KB,
    TARGET_RATIO,
)
from bench.live_push.phases import bare_phase, product_phase
from bench.live_push.scenario import PROFILE, fmt
from bench.processes import (
    GUNICORN_WORKER_CONNECTIONS,
    RESULTS,
    ROOT,
    Processes,
    admin_sql,
    log,
    raise_nofile,
    start_redis,
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live_push",
                                     description=__doc__.split("\n\n")[0])
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
