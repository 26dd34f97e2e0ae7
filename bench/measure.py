"""Measuring a row of `python -m bench`: one pass of load and its figures (the server's and
PostgreSQL's CPU per operation, p50/p99 with time-outs counted as the time waited), the
correctness check after it (every 201 has its row and its timers, no 5xx), py-spy around a pass,
and the row's record (`Row`) with the helpers that judge and format it."""

from __future__ import annotations

import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.processes import RESULTS, ROOT, percentile
from bench.seeding import wait_planned
from bench.stack import REPORTS, Server, Stack, pg_delta


@dataclass
class Row:
    key: str
    figure: str
    target: str
    product: str = "n/a"
    baseline: str = "n/a"
    ratio: str = ""
    verdict: str = "n/a"   # pass | FAIL | n/a | checked (quick: correctness only)
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def summary(res: dict[str, Any], server_cpu_s: float, pg_cpu_s: float,
            ok_status: str) -> dict[str, Any]:
    ok = res["statuses"].get(ok_status, 0)
    lat = res["latencies_ms"]
    ops = ok or 1
    return {"ok": ok, "statuses": res["statuses"], "seconds": round(res["seconds"], 2),
            "per_s": round(ok / res["seconds"], 1) if res["seconds"] else 0.0,
            "items_per_s": round(res["items"] / res["seconds"], 1) if res["seconds"] else 0.0,
            "p50_ms": round(percentile(lat, 0.5), 1) if lat else None,
            "p99_ms": round(percentile(lat, 0.99), 1) if lat else None,
            "max_ms": round(max(lat), 1) if lat else None,
            "timeouts": res["timeouts"], "errors": res["errors"],
            "retry_after_503": res["retry_after"], "error_samples": res["error_samples"],
            "server_cpu_ms_per_op": round(server_cpu_s * 1000 / ops, 2),
            "pg_cpu_ms_per_op": round(pg_cpu_s * 1000 / ops, 2),
            "gen_cpu_s": round(res["gen_cpu_s"], 2)}


def load(stack: Stack, server: Server, path: str, *, mode: str, seconds: float,
         concurrency: int = 0, rate: float = 0.0, body: str = "reports",
         tokens: list[str] | None = None, procs: int = 1, batch: int = 1,
         single: bool = False, method: str = "POST", timeout: float = 10.0,
         gzip: bool = False, ok_status: str = "201",
         spy: str | None = None) -> dict[str, Any]:
    """One pass of load against `server`; the figures, the server's and PostgreSQL's CPU, and
    (for reports) the ids of the 201s."""
    base = (datetime.now(UTC) - timedelta(seconds=120)).isoformat()
    specs = [{"url": (server.url.replace("http", "ws") if mode == "socket" else server.url)
              + path, "mode": mode, "seconds": seconds, "rate": rate / procs,
              "concurrency": max(1, concurrency // procs), "body": body, "bodies": REPORTS,
              "tokens": tokens, "procs": procs, "index": i, "batch": batch, "single": single,
              "method": method, "timeout": timeout, "gzip": gzip, "time_base": base,
              "collect_ids": body == "reports"} for i in range(procs)]
    if mode == "socket":
        for s in specs:
            s["url"] = server.url
    profile = start_py_spy(stack, server, spy) if spy and stack.args.py_spy else None
    pg0, cpu0 = stack.pg_cpu(server.db), server.cpu()
    res = loadgen.merge(loadgen.run(specs))
    cpu1, pg1 = server.cpu(), stack.pg_cpu(server.db)
    if profile:
        stop_py_spy(stack, profile)
    out = summary(res, cpu1 - cpu0, pg_delta(pg0, pg1), ok_status)
    out["ids"] = res["ids"]
    out["latencies_ms"] = res["latencies_ms"]
    return out


def start_py_spy(stack: Stack, server: Server, label: str) -> tuple[subprocess.Popen[bytes], Path]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"run-{stack.stamp}-{label}.pyspy.txt"
    proc = subprocess.Popen([exe, "record", "-p", str(server.workers[0]), "-r", "200", "-f",
                             "raw", "-o", str(path), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(1.0)
    return proc, path


def stop_py_spy(stack: Stack, spy: tuple[subprocess.Popen[bytes], Path]) -> None:
    proc, path = spy
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    if path.exists():
        stack.profiles.append(str(path.relative_to(ROOT)))


def check_reports(stack: Stack, db: str, label: str, out: dict[str, Any],
                  table: str = "incidents", timeouts_count: bool = True) -> None:
    """Nothing lost: every 201 has its row and (for the product) its timers; no 5xx; in
    --quick no time-out (`timeouts_count=False`: a baseline with no admission gate, offered more
    than it can take, times out by design)."""
    ids = out.pop("ids", [])
    if ids:
        found = {r[0] for r in stack.sql(db, f"SELECT id FROM {table} WHERE id = ANY(%s)",
                                         (ids,))}
        lost = len(set(ids) - found)
        out["rows_checked"] = len(ids)
        out["lost"] = lost
        if lost:
            stack.problems.append(f"{label}: {lost} of {len(ids)} reports answered 201 have "
                                  f"no row")
        if table == "incidents":
            missing = wait_planned(stack, db, ids)
            out["without_timers"] = len(missing)
            if missing:
                stack.problems.append(f"{label}: {len(missing)} reported cases have no timers")
    fivexx = sum(n for s, n in out["statuses"].items() if s.isdigit() and int(s) >= 500
                 and not (s == "503" and out["retry_after_503"] >= n))
    if fivexx:
        stack.problems.append(f"{label}: {fivexx} answers 5xx (other than 503 + Retry-After); "
                              f"{out['error_samples'][:2]}")
    if stack.args.quick and ((out["timeouts"] and timeouts_count) or out["errors"]):
        stack.problems.append(f"{label}: {out['timeouts']} time-outs, {out['errors']} "
                              f"transport errors")


def med(passes: list[dict[str, Any]], key: str) -> float | None:
    values = [p[key] for p in passes if p.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def pairs(stack: Stack) -> int:
    return 1 if stack.args.quick else stack.args.repeat


def secs(stack: Stack, full: float, quick: float) -> float:
    return quick if stack.args.quick else full


def judge(stack: Stack, row: Row, met: bool) -> None:
    row.verdict = "checked" if stack.args.quick else ("pass" if met else "FAIL")


def fmt_ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms"



@dataclass
class Ctx:
    """What every row gets: the run's stack, the template database, the main copy (5,000 open
    cases) and the product and bare web processes serving it; `results` passes figures between
    rows (the two-process row reads the one-process figure)."""

    stack: Stack
    template: str
    main: str
    product: Server
    bare: Server
    results: dict[str, Any] = field(default_factory=dict)
    cases: int = 5000
    _essential: Server | None = None

    def essential(self) -> Server:
        """The essential-work baseline (bench/essential_app.py), started at first use on a copy
        of the template with the same open cases as the main copy: it writes the product's own
        tables, which the product's rows must not see."""
        if self._essential is None:
            from bench.seeding import clone_cases, on_duty

            db = self.stack.create_db("essential", template=self.template)
            clone_cases(self.stack, db, self.cases, -1800, 0, 0.0)
            on_duty(self.stack, db)
            self._essential = self.stack.essential(db)
        return self._essential


def idle_after(server: Server, limit: float = 15.0) -> float:
    """Seconds from now until the server's workers use < 5 % of a core over 0.5 s."""
    t0 = time.monotonic()
    last = server.cpu()
    while time.monotonic() - t0 < limit:
        time.sleep(0.5)
        now = server.cpu()
        if now - last < 0.025:
            return round(time.monotonic() - t0 - 0.5, 1)
        last = now
    return float("inf")
