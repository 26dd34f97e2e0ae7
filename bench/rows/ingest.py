"""The report-ingest rows: `ingest_closed` (32 clients in a closed loop), `ingest_two` (the same
on two web processes, against this run's one-process figure) and `ingest_open` (200 reports/s
offered, whatever the server does: the overload row, run last on the shared web process).

The baseline of `ingest_closed` and `ingest_open` is the essential work of a report
(bench/essential_app.py: the same rows written, the same push), on a copy with the same open
cases; the one-insert bare endpoint (bench/bare_app.py) stays for the other rows."""

from __future__ import annotations

from typing import Any

from bench.measure import (
    Ctx,
    Row,
    check_reports,
    fmt_ms,
    idle_after,
    judge,
    load,
    med,
    pairs,
    secs,
)
from bench.processes import log
from bench.seeding import on_duty


def row_ingest_closed(c: Ctx) -> Row:
    row = Row("ingest_closed", "report ingest, closed loop, 32 clients, one web process",
              "≥ 0.5× the essential baseline's throughput, p99 ≤ 2× it")
    reporters = [c.stack.tokens["demo-reporter"], c.stack.tokens["demo-reporter-2"]]
    prod: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    essential = c.essential()
    for i in range(pairs(c.stack)):
        for which, server, acc in (("essential", essential, bare),
                                   ("product", c.product, prod)):
            on_duty(c.stack, server.db)
            out = load(c.stack, server, "/api/v1/incidents",
                       mode="closed", concurrency=32, procs=2, tokens=reporters,
                       seconds=secs(c.stack, 20, 3), spy=f"ingest_closed-{i}"
                       if which == "product" else None)
            out.pop("latencies_ms")
            check_reports(c.stack, server.db, f"ingest closed ({which})", out)
            acc.append(out)
            log(f"  ingest closed {which}: {out['per_s']}/s p99 {out['p99_ms']} ms, "
                f"{out['server_cpu_ms_per_op']} ms CPU/report")
    p_rate, b_rate = med(prod, "per_s"), med(bare, "per_s")
    p_p99, b_p99 = med(prod, "p99_ms"), med(bare, "p99_ms")
    row.product = (f"{p_rate}/s, p99 {fmt_ms(p_p99)}, {med(prod, 'server_cpu_ms_per_op')} ms "
                   f"CPU + {med(prod, 'pg_cpu_ms_per_op')} ms PG per report")
    row.baseline = (f"{b_rate}/s, p99 {fmt_ms(b_p99)}, {med(bare, 'server_cpu_ms_per_op')} ms "
                    f"CPU + {med(bare, 'pg_cpu_ms_per_op')} ms PG")
    ratio = (p_rate or 0) / b_rate if b_rate else 0.0
    p99_ratio = (p_p99 or 0) / b_p99 if b_p99 else float("inf")
    row.ratio = f"{ratio:.2f}× thr, {p99_ratio:.1f}× p99"
    judge(c.stack, row, ratio >= 0.5 and p99_ratio <= 2.0)
    row.data = {"product": prod, "bare": bare}
    c.results["ingest_one_process_per_s"] = p_rate
    return row

def row_ingest_open(c: Ctx) -> Row:
    row = Row("ingest_open", "200 reports/s offered for 60 s, one web process",
              "all 201 or 503 + Retry-After, no 5xx/time-out, p99 ≤ 250 ms, idle ≤ 2 s after")
    seconds = secs(c.stack, 60, 10)
    row.figure = f"200 reports/s offered for {seconds:.0f} s, one web process"
    reporters = [c.stack.tokens["demo-reporter"], c.stack.tokens["demo-reporter-2"]]
    got = {}
    for which, server in (("essential", c.essential()), ("product", c.product)):
        on_duty(c.stack, server.db)
        out = load(c.stack, server, "/api/v1/incidents", mode="open", rate=200, procs=2,
                   tokens=reporters, seconds=seconds,
                   timeout=10.0, spy="ingest_open" if which == "product" else None)
        out["idle_after_s"] = idle_after(server, secs(c.stack, 15, 5))
        out.pop("latencies_ms")
        check_reports(c.stack, server.db, f"ingest open ({which})", out,
                      timeouts_count=which == "product")
        got[which] = out
        log(f"  ingest open {which}: {out['statuses']} p99 {out['p99_ms']} ms, idle after "
            f"{out['idle_after_s']} s")
    p, b = got["product"], got["essential"]

    def describe(o: dict[str, Any]) -> str:
        other = {k: v for k, v in o["statuses"].items() if k != "201"}
        return (f"{o['ok']} × 201{', ' + str(other) if other else ''}, p50 {fmt_ms(o['p50_ms'])}"
                f" p99 {fmt_ms(o['p99_ms'])}, idle after {o['idle_after_s']} s")

    row.product, row.baseline = describe(p), describe(b)
    clean = all(k in ("201",) or (k == "503" and p["retry_after_503"] >= v)
                for k, v in p["statuses"].items())
    met = (clean and not p["timeouts"] and (p["p99_ms"] or 1e9) <= 250
           and p["idle_after_s"] <= 2.0)
    row.ratio = "" if not b["p99_ms"] else f"{(p['p99_ms'] or 0) / b['p99_ms']:.1f}× p99"
    judge(c.stack, row, met)
    row.data = got
    return row


def row_ingest_two(c: Ctx) -> Row:
    row = Row("ingest_two", "report ingest, closed loop, 32 clients, two web processes",
              "≥ 1.7× one process")
    one = c.results.get("ingest_one_process_per_s")
    if one is None:
        row.note = "needs the row ingest_closed in the same run"
        return row
    server = c.stack.product(c.main, workers=2)
    reporters = [c.stack.tokens["demo-reporter"], c.stack.tokens["demo-reporter-2"]]
    passes = []
    try:
        for _ in range(pairs(c.stack)):
            out = load(c.stack, server, "/api/v1/incidents", mode="closed", concurrency=32,
                       procs=2, tokens=reporters, seconds=secs(c.stack, 20, 2))
            out.pop("latencies_ms")
            check_reports(c.stack, c.main, "ingest two processes", out)
            passes.append(out)
            log(f"  ingest two processes: {out['per_s']}/s p99 {out['p99_ms']} ms")
    finally:
        c.stack.stop(server)
    rate = med(passes, "per_s") or 0.0
    row.product = f"{rate}/s, p99 {fmt_ms(med(passes, 'p99_ms'))}"
    row.baseline = f"{one}/s (one process, this run)"
    row.ratio = f"{rate / one:.2f}×" if one else ""
    judge(c.stack, row, bool(one) and rate / one >= 1.7)
    row.data = {"two_processes": passes}
    return row
