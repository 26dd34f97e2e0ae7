"""`make bench`: every hot path of the product against a bare baseline, in one run, one table.

    .venv/bin/python -m bench               # the full run (about 20 minutes)
    .venv/bin/python -m bench --quick       # under 2 minutes: correctness only (CI)
    .venv/bin/python -m bench --only ingest_closed --only map
    .venv/bin/python -m bench --repeat 5    # pairs of interleaved product/bare passes
    .venv/bin/python -m bench --py-spy      # record the product's worker during each row

It starts everything it measures in the production shape (bench/README.md): a private PostGIS
database seeded with `python -m server seed-demo`, a private redis-server, the product's web
process as deployed (gunicorn, one GeventWebSocketWorker; two for the two-process row), the bare
baseline (bench/bare_app.py) served the same way on the same database, the essential-work
baseline of a report (bench/essential_app.py) on a copy with the same cases, the timer firing in a
process of its own (bench/fire_timers.py), and the load generator in processes of its own
(bench/loadgen.py). Product and bare passes alternate (A B A B), and each figure is the median
over the pairs.

Every 201 is counted against the rows in the database and every reported case must have its
timers: a lost report, a 5xx, a time-out (in --quick) or a crash makes the run fail whatever the
timings. The table goes to stdout, bench/results/run-<UTC>.json and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import Ctx, Row
from bench.processes import BENCH, RESULTS, ROOT, log, raise_nofile, start_redis
from bench.report import machine, table, write_markdown
from bench.rows import ROWS
from bench.seeding import clone_cases, on_duty, seed_template
from bench.stack import Stack


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="short passes, one pair: correctness only, under 2 minutes")
    parser.add_argument("--only", action="append", choices=list(ROWS), default=None,
                        help="run only this row (repeatable)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="product/bare pairs per row (the median is reported); min 3 "
                             "for a verdict")
    parser.add_argument("--py-spy", action="store_true",
                        help="record the product's worker during each row (raw stacks in "
                             "bench/results/)")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--soak-minutes", type=float, default=0.0, metavar="N",
                        help="command_page: keep its load N more minutes and record the JS "
                             "heap at their start and end (the issue's 30; default 0: none)")
    parser.add_argument("--render", type=Path, default=None, metavar="JSON",
                        help="only write bench/RESULTS.md again from a full run's JSON")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the JSON here (default bench/results/run-<UTC>.json)")
    args = parser.parse_args()
    if args.render:
        saved = json.loads(args.render.read_text())
        saved["machine"]["versions"] = machine()["versions"] | {
            k: v for k, v in saved["machine"]["versions"].items() if "?" not in str(v)}
        write_markdown(saved, [Row(**r) for r in saved["rows"]], BENCH / "RESULTS.md")
        return 0
    raise_nofile()
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="bench-run-"))
    stack = Stack(args, workdir, stamp)

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(300 if args.quick else 3600)  # a hard bound on the whole run

    result: dict[str, Any] = {"benchmark": "run", "started_utc": stamp, "quick": args.quick,
                              "argv": sys.argv[1:], "load_start": os.getloadavg()}
    rows: list[Row] = []
    crashed = None
    try:
        log(f"work dir {workdir}; nproc {os.cpu_count()}; load {os.getloadavg()}")
        stack.redis_port, _ = start_redis(stack.procs, workdir)
        log("seeding the template database")
        template = seed_template(stack)
        main_db = stack.create_db("main", template=template)
        # 5,000 open cases received over the last 30 minutes, fired up to now: the map's, the
        # list's and the ingest rows' database.
        cases = 5000 if not args.quick else 500
        clone_cases(stack, main_db, cases, -1800, 0, 0.0)
        on_duty(stack, main_db)
        ctx = Ctx(stack, template, main_db, stack.product(main_db), stack.bare(main_db),
                  cases=cases)
        for key, fn in ROWS.items():
            if args.only and key not in args.only:
                continue
            if key == "push":  # its own servers: ours must not hold the machine meanwhile
                stack.stop(ctx.product)
                stack.stop(ctx.bare)
                if ctx._essential is not None:
                    stack.stop(ctx._essential)
            log(f"row {key}")
            t_row = time.monotonic()
            try:
                row = fn(ctx)
            except Exception as exc:  # noqa: BLE001 - one row's crash is reported, not fatal
                row = Row(key, key, "", verdict="FAIL", note=f"crashed: {exc}")
                stack.problems.append(f"{key} crashed: {type(exc).__name__}: {exc}")
                traceback.print_exc()
            row.data["row_seconds"] = round(time.monotonic() - t_row, 1)
            rows.append(row)
            log(f"  -> {row.verdict} in {row.data['row_seconds']} s: {row.product} | "
                f"{row.baseline} | {row.ratio}")
    except BaseException as exc:  # noqa: BLE001 - always write what we have
        crashed = "".join(traceback.format_exception(exc))
        print(crashed, file=sys.stderr)
        stack.problems.append(f"the run crashed: {type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)
        stack.procs.stop_all()
        stack.drop_all()
    result["runtime_s"] = round(time.monotonic() - started, 1)
    result.update(machine=machine(), problems=stack.problems, commands=stack.commands,
                  profiles=stack.profiles, error=crashed,
                  rows=[r.__dict__ for r in rows])
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = args.out or RESULTS / f"run-{stamp}{'-quick' if args.quick else ''}.json"
    path = path.resolve()
    result["json"] = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    # Only a full run of every row is the record; a quick or partial one goes with the JSON.
    partial = args.quick or args.only
    md = RESULTS / f"run-{stamp}.md" if partial else BENCH / "RESULTS.md"
    write_markdown(result, rows, md)
    print()
    print(table(rows))
    failed = [r.key for r in rows if r.verdict == "FAIL"]
    print()
    if stack.problems:
        print("CORRECTNESS PROBLEMS:\n  " + "\n  ".join(stack.problems))
    if args.quick:
        print("quick run: timings not judged; " + ("FAILED" if stack.problems else "correct"))
    else:
        print(f"targets missed: {', '.join(failed)}" if failed else "ALL TARGETS MET")
    if args.py_spy and stack.profiles:
        print("py-spy profiles: " + ", ".join(stack.profiles))
    log(f"total runtime {result['runtime_s']} s; {result['json']}, {md.relative_to(ROOT)}")
    if args.keep_logs or crashed:
        log(f"server logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if stack.problems or (failed and not args.quick) else 0


if __name__ == "__main__":
    sys.exit(main())
