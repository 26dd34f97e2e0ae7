"""The timer rows: `timers_burst` (about 30,000 timers due at once, fired by the product's
`fire_due_timers` and by the bare loop, each in a process of its own: `bench.fire_timers`),
`timers_lateness` (overdue notices fired in steady state) and `backlog` (reports on a fresh web
process while the backlog drains)."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import Ctx, Row, check_reports, fmt_ms, judge, load, med, pairs, secs
from bench.processes import admin_sql, log, percentile
from bench.seeding import clone_cases
from bench.stack import pg_delta


def fire(c: Ctx, db: str, which: str, seconds: float, steady: bool = False) -> dict[str, Any]:
    """Fire due timers in a process of its own for at most `seconds`; the timers fired are
    counted in the database (rows whose fired_at falls in the pass)."""
    cmd = [sys.executable, "-m", "bench.fire_timers", which, "--seconds", str(seconds)]
    if steady:
        cmd.append("--steady")
    c.stack.note_command(cmd)
    table = "bare_timers" if which == "bare" else "timers"
    start = c.stack.sql(db, "SELECT now()")[0][0]
    pg0 = c.stack.pg_cpu(db)
    proc = c.stack.procs.start(f"fire-{which}", cmd, env=c.stack.env(db))
    spy = None
    if c.stack.args.py_spy and which != "bare":
        import shutil
        import subprocess

        from bench.processes import RESULTS

        exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        out_path = RESULTS / f"run-{c.stack.stamp}-timers-{which}.pyspy.txt"
        spy = subprocess.Popen([exe, "record", "-p", str(proc.pid), "-r", "200", "-f", "raw",
                                "-o", str(out_path), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pg1: dict[int, float] = {}
    while proc.poll() is None:  # the backend is gone once the process exits: sample as we go
        pg1 = {**pg1, **c.stack.pg_cpu(db)}
        time.sleep(0.5)
    if spy is not None:
        spy.wait(30)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.fire_timers {which} exited {proc.returncode}:\n"
                           f"{c.stack.procs.tail(f'fire-{which}')}")
    out: dict[str, Any] = json.loads(c.stack.procs.tail(f"fire-{which}", 1))
    out["fired"] = int(c.stack.sql(db, f"SELECT count(*) FROM {table} WHERE fired_at >= %s",
                                   (start,))[0][0])
    out["pg_cpu_s"] = round(pg_delta(pg0, pg1), 2)
    out["per_s"] = round(out["fired"] / out["seconds"], 1) if out["seconds"] else 0.0
    # Each due timer claimed and decided (a repeated offer, moved to its next attempt rather
    # than marked fired, included): the bare loop marks every claim fired.
    decided = out.get("claimed", out["fired"])
    out["decided_per_s"] = round(decided / out["seconds"], 1) if out["seconds"] else 0.0
    out["cpu_ms_per_timer"] = round(out["cpu_s"] * 1000 / max(decided, 1), 2)
    out["pg_ms_per_timer"] = round(out["pg_cpu_s"] * 1000 / max(decided, 1), 2)
    return out


def backlog_db(c: Ctx, suffix: str, cases: int, due: int) -> tuple[str, int]:
    """A copy of the template with `cases` open cases, of which enough were received 2-3 h ago
    for about `due` timers (their arrival and restore clocks) to be due at once -- a scheduler
    back from an outage -- and the rest over the last 30 minutes, fired up to now. The due timers
    are also copied to bare_timers for the bare loop. Returns the database and how many are due."""
    db = c.stack.create_db(suffix, template=c.template)
    per_case = float(c.stack.sql(db, """
        SELECT count(*)::float / count(DISTINCT t.incident_id) FROM timers t
        JOIN incidents i ON i.id = t.incident_id
        WHERE i.id = ANY(%s) AND t.fired_at IS NULL
          AND t.due_at < i.received_at + interval '2 hours'""", (c.stack.templates,))[0][0])
    past = min(cases, max(1, round(due / per_case)))
    clone_cases(c.stack, db, past, -3 * 3600, -2 * 3600, None)
    if cases > past:
        clone_cases(c.stack, db, cases - past, -1800, 0, 0.0)
    c.stack.sql(db, "INSERT INTO bare_timers SELECT * FROM timers "
                    "WHERE fired_at IS NULL AND due_at <= now()")
    n = c.stack.sql(db, "SELECT count(*) FROM bare_timers")[0][0]  # the same set, at one instant
    return db, int(n)


def row_timers_burst(c: Ctx) -> Row:
    """The product's `fire_due_timers` against the essential loop making the same decisions
    (`bench/essential_timers.py`), each on its own copy of the same backlog (the essential loop
    writes the product's tables); the bare loop (no decision) is run on the product's copy
    first and reported for comparison."""
    cases, due_target = (500, 3000) if c.stack.args.quick else (5000, 30000)
    row = Row("timers_burst", f"due timers fired in a burst ({cases:,} open cases)",
              "≥ 0.3× the essential loop")
    prod: list[dict[str, Any]] = []
    ess: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    seconds = secs(c.stack, 60, 6)
    for i in range(pairs(c.stack)):
        db, due = backlog_db(c, f"burst{i}", cases, due_target)
        twin = c.stack.create_db(f"burst{i}e", template=db)  # the same due timers
        row.figure = f"due timers fired in a burst ({due:,} due, {cases:,} open cases)"
        for which, on, acc in (("bare", db, bare), ("essential", twin, ess),
                               ("product", db, prod)):
            out = fire(c, on, which, seconds)
            out["due"] = due
            acc.append(out)
            log(f"  timers burst {which}: {out['fired']} of {due} in {out['seconds']:.1f} s "
                f"= {out['per_s']}/s; {out['decided_per_s']} decided/s, "
                f"{out['cpu_ms_per_timer']} ms CPU per decided timer")
        for name in (db, twin):
            admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    p, e = med(prod, "decided_per_s") or 0.0, med(ess, "decided_per_s") or 0.0
    pf, ef = med(prod, "per_s") or 0.0, med(ess, "per_s") or 0.0
    b = med(bare, "per_s") or 0.0
    row.product = (f"{p:.0f} decided/s ({pf:.0f} rows fired/s), "
                   f"{med(prod, 'cpu_ms_per_timer')} ms CPU + "
                   f"{med(prod, 'pg_ms_per_timer')} ms PG per decided timer")
    row.baseline = (f"essential: {e:.0f} decided/s ({ef:.0f} fired/s), "
                    f"{med(ess, 'cpu_ms_per_timer')} ms CPU + "
                    f"{med(ess, 'pg_ms_per_timer')} ms PG per decided timer (bare, no decision: "
                    f"{b:.0f}/s)")
    row.ratio = f"{p / e:.2f}× decided, {pf / ef:.2f}× fired" if e and ef else \
        (f"{p / e:.2f}× decided" if e else "")
    row.note = (f"a pass is bounded by {seconds:.0f} s; decided = due timers claimed and decided "
                f"(a repeated offer moved to its next attempt included), fired = rows marked "
                f"fired in the database, per second of the pass; the essential loop makes the "
                f"product's decisions (bench/essential_timers.py)")
    judge(c.stack, row, bool(e) and p / e >= 0.3)
    row.data = {"product": prod, "essential": ess, "bare": bare}
    return row


def row_timers_lateness(c: Ctx) -> Row:
    row = Row("timers_lateness", "overdue lateness in steady state, 5,000 open cases",
              "p99 ≤ 2 s")
    seconds = secs(c.stack, 60, 3)
    db = c.stack.create_db("steady", template=c.template)
    # Received over the last 30 minutes: their arrival deadlines come due through the window.
    clone_cases(c.stack, db, 5000 if not c.stack.args.quick else 500, -1800, 0, 1.0)
    start = datetime.now(UTC)
    out = fire(c, db, "product", seconds, steady=True)
    rows = c.stack.sql(db, """
        SELECT EXTRACT(EPOCH FROM fired_at - due_at) FROM timers
        WHERE kind = 'overdue' AND fired_at >= %s AND outcome <> 'before-bench'""", (start,))
    late = [float(r[0]) for r in rows]
    left = c.stack.sql(db, "SELECT count(*) FROM timers WHERE fired_at IS NULL "
                           "AND due_at <= now() - interval '5 seconds'")[0][0]
    admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    out.update(overdue_fired=len(late), left_due=int(left))
    if not late:
        row.note = "no overdue timer came due in the window"
        return row
    p50, p99 = percentile(late, 0.5), percentile(late, 0.99)
    out.update(lateness_p50_s=round(p50, 2), lateness_p99_s=round(p99, 2))
    row.product = (f"p50 {p50:.2f} s, p99 {p99:.2f} s over {len(late)} overdue notices "
                   f"({out['fired']} timers in {seconds:.0f} s, {left} due left unfired)")
    row.baseline = "(absolute target)"
    row.note = ("the product's fire_due_timers swept every 0.2 s when idle, in its own process; "
                "lateness = fired_at - due_at of the overdue timers")
    judge(c.stack, row, p99 <= 2.0)
    row.data = out
    return row


def row_backlog(c: Ctx) -> Row:
    row = Row("backlog", "reports at 15/s while a backlog of timers drains",
              "p99 ≤ 2× the same load alone; no 5xx")
    cases, due_target = (500, 3000) if c.stack.args.quick else (5000, 30000)
    seconds = secs(c.stack, 30, 3)
    db, due = backlog_db(c, "backlog", cases, due_target)
    row.figure = f"reports at 15/s for {seconds:.0f} s while {due:,} due timers drain"
    server = c.stack.product(db)
    reporters = [c.stack.tokens["demo-reporter"], c.stack.tokens["demo-reporter-2"]]
    try:
        alone = load(c.stack, server, "/api/v1/incidents", mode="open", rate=15, procs=1,
                     tokens=reporters, seconds=seconds, timeout=10.0)
        alone.pop("latencies_ms")
        check_reports(c.stack, db, "reports alone", alone)
        cmd = [sys.executable, "-m", "bench.fire_timers", "product", "--seconds",
               str(seconds + 2)]
        drain = c.stack.procs.start("fire-backlog", cmd, env=c.stack.env(db))
        time.sleep(1.0)  # let the drain take hold
        busy = load(c.stack, server, "/api/v1/incidents", mode="open", rate=15, procs=1,
                    tokens=reporters, seconds=seconds, timeout=10.0, spy="backlog")
        busy.pop("latencies_ms")
        drain.wait(30)
        busy["drain"] = json.loads(c.stack.procs.tail("fire-backlog", 1) or "{}")
        drained = c.stack.sql(db, "SELECT count(*) FROM timers WHERE fired_at IS NOT NULL "
                                  "AND outcome IS DISTINCT FROM 'before-bench'")[0][0]
        check_reports(c.stack, db, "reports during the drain", busy)
    finally:
        c.stack.stop(server)
        admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    log(f"  backlog: alone p99 {alone['p99_ms']} ms, during drain p99 {busy['p99_ms']} ms, "
        f"{busy['statuses']}")
    row.product = (f"p50 {fmt_ms(busy['p50_ms'])} p99 {fmt_ms(busy['p99_ms'])}, "
                   f"{busy['statuses']}; the drain fired {drained} timers meanwhile")
    row.baseline = f"alone: p50 {fmt_ms(alone['p50_ms'])} p99 {fmt_ms(alone['p99_ms'])}"
    ratio = (busy["p99_ms"] or 1e9) / (alone["p99_ms"] or 1)
    row.ratio = f"{ratio:.1f}× p99"
    fivexx = any(s.isdigit() and int(s) >= 500 for s in busy["statuses"])
    judge(c.stack, row, ratio <= 2.0 and not fivexx and not busy["timeouts"])
    row.data = {"alone": alone, "during_drain": busy}
    return row
