"""`make bench`: every hot path of the product against a bare baseline, in one run, one table.

    .venv/bin/python bench/run.py               # the full run (about 20 minutes)
    .venv/bin/python bench/run.py --quick       # under 2 minutes: correctness only (CI)
    .venv/bin/python bench/run.py --only ingest_closed --only map
    .venv/bin/python bench/run.py --repeat 5    # pairs of interleaved product/bare passes
    .venv/bin/python bench/run.py --py-spy      # record the product's worker during each row

It starts everything it measures in the production shape (bench/README.md): a private PostGIS
database seeded with `python -m server seed-demo`, a private redis-server, the product's web
process as deployed (gunicorn, one GeventWebSocketWorker; two for the two-process row), the bare
baseline (bench/bare_app.py) served the same way on the same database, the timer firing in a
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
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import loadgen  # noqa: E402
from live_push import (  # noqa: E402
    ADMIN_URL,
    GUNICORN_WORKER_CONNECTIONS,
    Processes,
    admin_sql,
    children_of,
    free_port,
    http_request,
    log,
    percentile,
    proc_cpu_s,
    raise_nofile,
    start_redis,
    wait_http,
)

ROOT = BENCH.parent
RESULTS = BENCH / "results"
SECRET = "bench-run-secret"
# Inside 419001102 (轵城镇); every category routes from there.
POINT = {"lat": 35.0206, "lon": 112.6340}
REPORTS = [{"category": c, "description": "bench", "location": POINT}
           for c in ("power_cut", "water_cut", "road_blocked", "gate_blocked")]
UNITS = ["power_supply", "water_supply", "public_security", "traffic_police", "petition",
         "housing_construction", "development_reform",
         *[f"4190010{n:02d}" for n in range(1, 6)], *[f"419001{n}" for n in range(100, 111)]]


# ------------------------------------------------------------------------------ the stack

@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    workers: list[int]
    db: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        total = 0.0
        for pid in self.workers:
            try:
                total += proc_cpu_s(pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return total


@dataclass
class Stack:
    """The private services of one run, and everything started on them (stopped at the end)."""

    args: argparse.Namespace
    workdir: Path
    stamp: str
    procs: Processes = field(init=False)
    dbs: list[str] = field(default_factory=list)
    redis_port: int = 0
    tokens: dict[str, str] = field(default_factory=dict)
    templates: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.procs = Processes(self.workdir)

    def db_url(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{db}"

    def create_db(self, suffix: str, template: str | None = None) -> str:
        name = f"bench_{os.getpid()}_{suffix}"
        admin_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.dbs.append(name)
        return name

    def env(self, db: str, **extra: str) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.db_url(db), "DISPATCH_SECRET_KEY": SECRET,
                "DISPATCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "PYTHONUNBUFFERED": "1", **extra}

    def gunicorn(self, name: str, app: str, db: str, workers: int, extra: list[str]) -> Server:
        port = free_port()
        cmd = [sys.executable, "-m", "gunicorn",
               "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
               "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--worker-connections", str(GUNICORN_WORKER_CONNECTIONS),
               "--graceful-timeout", "3", "--no-control-socket", *extra, app]
        self.note_command(cmd)
        proc = self.procs.start(name, cmd, env=self.env(db))
        try:
            wait_http(port, "/healthz", proc, 90)
        except Exception:
            print(self.procs.tail(name), file=sys.stderr)
            raise
        deadline = time.monotonic() + 20
        kids: list[int] = []
        while time.monotonic() < deadline and len(kids) < workers:
            kids = children_of(proc.pid)
            time.sleep(0.1)
        if len(kids) < workers:
            raise RuntimeError(f"{name}: {len(kids)} of {workers} workers started")
        return Server(name, port, proc, kids, db)

    def product(self, db: str, workers: int = 1) -> Server:
        return self.gunicorn(f"product-{db[-6:]}-w{workers}", "server.wsgi:create()", db,
                             workers, [])

    def bare(self, db: str, workers: int = 1) -> Server:
        return self.gunicorn(f"bare-{db[-6:]}-w{workers}", "bare_app:create()", db, workers,
                             ["--chdir", str(BENCH)])

    def stop(self, server: Server) -> None:
        self.procs.stop(server.proc)

    def note_command(self, cmd: list[str]) -> None:
        text = " ".join(cmd).replace(sys.executable, "python").replace(str(ROOT) + "/", "")
        text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
        if text not in self.commands:
            self.commands.append(text)

    def sql(self, db: str, statement: str, params: Any = None) -> list[Any]:
        import psycopg2

        conn = psycopg2.connect(self.db_url(db))
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def pg_cpu(self, db: str) -> dict[int, float]:
        """CPU seconds of each PostgreSQL backend now serving `db`."""
        out = {}
        for (pid,) in self.sql(db,
                               "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                               "AND pid <> pg_backend_pid()", (db,)):
            try:
                out[pid] = proc_cpu_s(pid)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
        return out

    def drop_all(self) -> None:
        for db in self.dbs:
            try:
                admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - report and go on dropping
                print(f"could not drop database {db}: {exc}", file=sys.stderr)


def pg_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# ------------------------------------------------------------------------------- seeding

BARE_TABLES = """
CREATE TABLE bare_incidents (LIKE incidents INCLUDING DEFAULTS INCLUDING INDEXES);
CREATE TABLE bare_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES);
CREATE SEQUENCE bare_event_seq;
CREATE TABLE bare_positions (LIKE officer_positions INCLUDING DEFAULTS INCLUDING INDEXES);
CREATE TABLE bare_last_positions (LIKE officer_last_positions INCLUDING DEFAULTS
                                  INCLUDING INDEXES);
CREATE TABLE bare_timers (LIKE timers INCLUDING DEFAULTS INCLUDING INDEXES);
"""


def token(port: int, username: str) -> str:
    status, body = http_request(port, "POST", "/api/v1/auth/token",
                                {"username": username, "password": "demo"})
    if status != 200:
        raise RuntimeError(f"token for {username}: {status} {body[:200]!r}")
    return str(json.loads(body)["access_token"])


def seed_template(stack: Stack) -> str:
    """The template database: the demo, the bare tables, a few real reports to clone, tokens.

    Every row then runs on a copy (`CREATE DATABASE ... TEMPLATE`), so no row sees another's
    leftovers."""
    tpl = stack.create_db("tpl")
    cmd = [sys.executable, "-m", "server", "seed-demo"]
    stack.note_command(cmd)
    seed = subprocess.run(cmd, cwd=ROOT, env=stack.env(tpl), capture_output=True, text=True,
                          timeout=300)
    if seed.returncode != 0:
        raise RuntimeError(f"seed-demo failed:\n{seed.stdout[-2000:]}\n{seed.stderr[-3000:]}")
    stack.sql(tpl, BARE_TABLES)
    server = stack.product(tpl)
    try:
        for user in ("demo-reporter", "demo-reporter-2", "demo-commander",
                     *(f"officer-{u}" for u in UNITS)):
            stack.tokens[user] = token(server.port, user)
        for report in REPORTS * 3:
            status, body = http_request(server.port, "POST", "/api/v1/incidents", report,
                                        token=stack.tokens["demo-reporter"])
            if status != 201:
                raise RuntimeError(f"template report: {status} {body[:300]!r}")
            stack.templates.append(json.loads(body)["id"])
        wait_planned(stack, tpl, stack.templates)
    finally:
        stack.stop(server)
    return tpl


def wait_planned(stack: Stack, db: str, ids: list[str], timeout: float = 15.0) -> list[str]:
    """The ids among `ids` whose case has no timers yet, after waiting up to `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        missing = [r[0] for r in stack.sql(db, """
            SELECT i.id FROM incidents i WHERE i.id = ANY(%s)
            AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.incident_id = i.id)""", (ids,))]
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.5)


def columns(stack: Stack, db: str, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in stack.sql(db, """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = %s AND table_schema = 'public' ORDER BY ordinal_position""",
                                             (table,))]


def clone_cases(stack: Stack, db: str, n: int, first_s: float, last_s: float,
                fired_before_s: float | None) -> None:
    """`n` open cases copied from the template reports, the k-th received at now + first_s +
    (last_s - first_s) * k / n (seconds; negative is the past), every time of the case, its
    units and its timers shifted alike (so the clocks stay consistent), jittered by ~100 m.
    Timers due before now + fired_before_s are marked fired (a steady state: no backlog);
    with None every pending timer is kept (a backlog).

    Column lists are read from the schema, so added columns are copied as they are."""
    def select(table: str, src: str, skip: tuple[str, ...] = ()) -> tuple[str, str]:
        cols, exprs = [], []
        for name, kind in columns(stack, db, table):
            if name in skip:
                continue
            cols.append(name)
            if (table == "incidents" and name == "id") or name == "incident_id":
                exprs.append("m.id")
            elif table == "incidents" and name == "location":
                exprs.append(f"ST_Translate({src}.location, m.dx, m.dy)")
            elif table == "incidents" and name == "lon":
                exprs.append(f"{src}.lon + m.dx")
            elif table == "incidents" and name == "lat":
                exprs.append(f"{src}.lat + m.dy")
            elif kind.startswith("timestamp"):
                exprs.append(f"{src}.{name} + m.d")
            else:
                exprs.append(f"{src}.{name}")
        return ", ".join(cols), ", ".join(exprs)

    inc_cols, inc_exprs = select("incidents", "i")
    iu_cols, iu_exprs = select("incident_units", "u")
    t_cols, t_exprs = select("timers", "t", skip=("id",))
    fired = ("" if fired_before_s is None else f"""
        UPDATE timers SET fired_at = due_at, outcome = 'before-bench'
        WHERE fired_at IS NULL AND due_at < now() + make_interval(secs => {fired_before_s})
          AND incident_id IN (SELECT id FROM m);""")
    stack.sql(db, f"""
        CREATE TEMP TABLE m AS
        SELECT substr(md5(random()::text || g::text), 1, 32) AS id, t.id AS src,
               (now() + make_interval(secs => %(a)s + (%(b)s - %(a)s) * g / %(n)s))
                   - t.received_at AS d,
               (random() - 0.5) * 0.002 AS dx, (random() - 0.5) * 0.002 AS dy
        FROM generate_series(1, %(n)s) g
        JOIN (SELECT id, received_at, row_number() OVER (ORDER BY id) - 1 AS k,
                     count(*) OVER () AS c
              FROM incidents WHERE id = ANY(%(tpl)s)) t ON t.k = g %% t.c;
        INSERT INTO incidents ({inc_cols}) SELECT {inc_exprs} FROM incidents i
            JOIN m ON m.src = i.id;
        INSERT INTO incident_units ({iu_cols}) SELECT {iu_exprs} FROM incident_units u
            JOIN m ON m.src = u.incident_id;
        INSERT INTO timers ({t_cols}) SELECT {t_exprs} FROM timers t
            JOIN m ON m.src = t.incident_id WHERE t.fired_at IS NULL;
        {fired}
        ANALYZE incidents; ANALYZE incident_units; ANALYZE timers;
    """, {"a": first_s, "b": last_s, "n": n, "tpl": stack.templates})


# ------------------------------------------------------------------------------ measuring

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
                  table: str = "incidents") -> None:
    """Nothing lost: every 201 has its row and (for the product) its timers; no 5xx."""
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
    if stack.args.quick and (out["timeouts"] or out["errors"]):
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


# -------------------------------------------------------------------------------- the rows

@dataclass
class Ctx:
    stack: Stack
    template: str
    main: str
    product: Server
    bare: Server
    results: dict[str, Any] = field(default_factory=dict)


def row_ingest_closed(c: Ctx) -> Row:
    row = Row("ingest_closed", "report ingest, closed loop, 32 clients, one web process",
              "≥ 0.4× bare throughput, p99 ≤ 2× bare")
    reporters = [c.stack.tokens["demo-reporter"], c.stack.tokens["demo-reporter-2"]]
    prod, bare = [], []
    for i in range(pairs(c.stack)):
        for which, server, acc, table in (("bare", c.bare, bare, "bare_incidents"),
                                          ("product", c.product, prod, "incidents")):
            out = load(c.stack, server, "/incidents" if which == "bare" else "/api/v1/incidents",
                       mode="closed", concurrency=32, procs=2, tokens=reporters,
                       seconds=secs(c.stack, 20, 3), spy=f"ingest_closed-{i}"
                       if which == "product" else None)
            out.pop("latencies_ms")
            check_reports(c.stack, c.main, f"ingest closed ({which})", out, table)
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
    judge(c.stack, row, ratio >= 0.4 and p99_ratio <= 2.0)
    row.data = {"product": prod, "bare": bare}
    c.results["ingest_one_process_per_s"] = p_rate
    return row


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


def row_ingest_open(c: Ctx) -> Row:
    row = Row("ingest_open", "200 reports/s offered for 60 s, one web process",
              "all 201 or 503 + Retry-After, no 5xx/time-out, p99 ≤ 250 ms, idle ≤ 2 s after")
    seconds = secs(c.stack, 60, 10)
    row.figure = f"200 reports/s offered for {seconds:.0f} s, one web process"
    reporters = [c.stack.tokens["demo-reporter"], c.stack.tokens["demo-reporter-2"]]
    got = {}
    for which, server, table in (("bare", c.bare, "bare_incidents"),
                                 ("product", c.product, "incidents")):
        out = load(c.stack, server, "/incidents" if which == "bare" else "/api/v1/incidents",
                   mode="open", rate=200, procs=2, tokens=reporters, seconds=seconds,
                   timeout=10.0, spy="ingest_open" if which == "product" else None)
        out["idle_after_s"] = idle_after(server, secs(c.stack, 15, 5))
        out.pop("latencies_ms")
        check_reports(c.stack, c.main, f"ingest open ({which})", out, table)
        got[which] = out
        log(f"  ingest open {which}: {out['statuses']} p99 {out['p99_ms']} ms, idle after "
            f"{out['idle_after_s']} s")
    p, b = got["product"], got["bare"]

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


def positions_row(c: Ctx, socket: bool) -> Row:
    how = "over the socket (`position`: one fix per message)" if socket else \
        "over HTTP, batches of 50"
    row = Row("positions_socket" if socket else "positions_http", f"positions {how}",
              "≥ 3,000 positions/s, ≥ 0.4× bare")
    officers = [c.stack.tokens[f"officer-{u}"] for u in UNITS]
    prod, bare = [], []
    for _ in range(pairs(c.stack)):
        for which, server, acc in (("bare", c.bare, bare), ("product", c.product, prod)):
            path = ("/positions" if which == "bare" else "/api/v1/officers/me/positions")
            out = load(c.stack, server, "" if socket else path,
                       mode="socket" if socket else "closed", concurrency=16, procs=2,
                       tokens=officers, body="positions", batch=1 if socket else 50,
                       single=socket, seconds=secs(c.stack, 15, 2),
                       ok_status="ok" if socket else "202")
            out.pop("latencies_ms")
            out.pop("ids", None)
            check_reports(c.stack, c.main, f"positions {which}", out)
            acc.append(out)
            log(f"  positions {'socket' if socket else 'http'} {which}: "
                f"{out['items_per_s']} positions/s, p99 {out['p99_ms']} ms")
    p, b = med(prod, "items_per_s") or 0.0, med(bare, "items_per_s") or 0.0
    row.product = (f"{p:.0f} positions/s, p99 {fmt_ms(med(prod, 'p99_ms'))}, "
                   f"{med(prod, 'server_cpu_ms_per_op')} ms CPU per "
                   f"{'fix' if socket else 'batch'}")
    row.baseline = f"{b:.0f} positions/s, p99 {fmt_ms(med(bare, 'p99_ms'))}"
    row.ratio = f"{p / b:.2f}×" if b else ""
    judge(c.stack, row, p >= 3000 and bool(b) and p / b >= 0.4)
    if socket:
        row.note = ("the socket's `position` event takes one fix (server/live.py), so this row "
                    "sends single fixes: 16 clients, each waits for its acknowledgement")
    row.data = {"product": prod, "bare": bare}
    return row


def row_positions_http(c: Ctx) -> Row:
    return positions_row(c, socket=False)


def row_positions_socket(c: Ctx) -> Row:
    return positions_row(c, socket=True)


def fire(c: Ctx, db: str, which: str, seconds: float, steady: bool = False) -> dict[str, Any]:
    """Fire due timers in a process of its own for at most `seconds`; the timers fired are
    counted in the database (rows whose fired_at falls in the pass)."""
    cmd = [sys.executable, str(BENCH / "fire_timers.py"), which, "--seconds", str(seconds)]
    if steady:
        cmd.append("--steady")
    c.stack.note_command(cmd)
    table = "bare_timers" if which == "bare" else "timers"
    start = c.stack.sql(db, "SELECT now()")[0][0]
    pg0 = c.stack.pg_cpu(db)
    proc = c.stack.procs.start(f"fire-{which}", cmd, env=c.stack.env(db))
    pg1: dict[int, float] = {}
    while proc.poll() is None:  # the backend is gone once the process exits: sample as we go
        pg1 = {**pg1, **c.stack.pg_cpu(db)}
        time.sleep(0.5)
    if proc.returncode != 0:
        raise RuntimeError(f"fire_timers.py {which} exited {proc.returncode}:\n"
                           f"{c.stack.procs.tail(f'fire-{which}')}")
    out: dict[str, Any] = json.loads(c.stack.procs.tail(f"fire-{which}", 1))
    out["fired"] = int(c.stack.sql(db, f"SELECT count(*) FROM {table} WHERE fired_at >= %s",
                                   (start,))[0][0])
    out["pg_cpu_s"] = round(pg_delta(pg0, pg1), 2)
    out["per_s"] = round(out["fired"] / out["seconds"], 1) if out["seconds"] else 0.0
    out["cpu_ms_per_timer"] = round(out["cpu_s"] * 1000 / max(out["fired"], 1), 2)
    out["pg_ms_per_timer"] = round(out["pg_cpu_s"] * 1000 / max(out["fired"], 1), 2)
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
    cases, due_target = (500, 3000) if c.stack.args.quick else (5000, 30000)
    row = Row("timers_burst", f"due timers fired in a burst ({cases:,} open cases)",
              "≥ 0.3× bare")
    prod, bare = [], []
    for i in range(pairs(c.stack)):
        db, due = backlog_db(c, f"burst{i}", cases, due_target)
        row.figure = f"due timers fired in a burst ({due:,} due, {cases:,} open cases)"
        for which, acc in (("bare", bare), ("product", prod)):
            out = fire(c, db, which, secs(c.stack, 60, 6))
            out["due"] = due
            acc.append(out)
            log(f"  timers burst {which}: {out['fired']} of {due} in {out['seconds']:.1f} s "
                f"= {out['per_s']}/s, {out['cpu_ms_per_timer']} ms CPU/timer")
        admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    p, b = med(prod, "per_s") or 0.0, med(bare, "per_s") or 0.0
    row.product = (f"{p:.0f}/s, {med(prod, 'cpu_ms_per_timer')} ms CPU + "
                   f"{med(prod, 'pg_ms_per_timer')} ms PG per timer")
    row.baseline = (f"{b:.0f}/s, {med(bare, 'cpu_ms_per_timer')} ms CPU + "
                    f"{med(bare, 'pg_ms_per_timer')} ms PG per timer")
    row.ratio = f"{p / b:.2f}×" if b else ""
    row.note = (f"a pass is bounded by {secs(c.stack, 60, 6):.0f} s; the rate is the timers "
                f"fired (in the database) / elapsed")
    judge(c.stack, row, bool(b) and p / b >= 0.3)
    row.data = {"product": prod, "bare": bare}
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
        cmd = [sys.executable, str(BENCH / "fire_timers.py"), "product", "--seconds",
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


def timed_get(server: Server, path: str, token: str | None, n: int) -> dict[str, Any]:
    import http.client

    times, size, raw, status = [], 0, 0, 0
    for _ in range(n):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Accept-Encoding": "gzip"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        t = time.monotonic()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        times.append((time.monotonic() - t) * 1000)
        status, size = resp.status, len(body)
        if resp.getheader("Content-Encoding") == "gzip":
            import gzip

            raw = len(gzip.decompress(body))
        else:
            raw = size
        conn.close()
    return {"status": status, "median_ms": round(statistics.median(times), 1),
            "bytes": size, "uncompressed_bytes": raw}


def row_map(c: Ctx) -> Row:
    row = Row("map", "map load of 5,000 open cases (GET /api/v1/map/incidents)",
              "one request, ≤ 300 ms, ≤ 2 MB compressed, ≤ 2× bare")
    commander = c.stack.tokens["demo-commander"]
    probe = timed_get(c.product, "/api/v1/map/incidents", commander, 1)
    if probe["status"] == 404:
        row.note = "GET /api/v1/map/incidents does not exist on this branch yet (perf/reads)"
        return row
    n = 3 if c.stack.args.quick else 7
    prod, bare = [], []
    for _ in range(pairs(c.stack)):
        bare.append(timed_get(c.bare, "/map", None, n))
        prod.append(timed_get(c.product, "/api/v1/map/incidents", commander, n))
    if any(p["status"] != 200 for p in prod):
        c.stack.problems.append(f"map: answered {prod[-1]['status']}")
    p, b = med(prod, "median_ms") or 0.0, med(bare, "median_ms") or 0.0
    size = prod[-1]["bytes"]
    row.product = f"{fmt_ms(p)}, {size / 1e6:.2f} MB ({prod[-1]['uncompressed_bytes'] / 1e6:.1f}" \
                  f" MB raw)"
    row.baseline = f"{fmt_ms(b)}, {bare[-1]['bytes'] / 1e6:.2f} MB"
    row.ratio = f"{p / b:.2f}×" if b else ""
    row.note = "times are client-side on loopback (an upper bound of the server time)"
    judge(c.stack, row, p <= 300 and size <= 2e6 and bool(b) and p / b <= 2.0)
    row.data = {"product": prod, "bare": bare}
    return row


def row_list(c: Ctx) -> Row:
    row = Row("list", "incident list page (page 1, 50 per page, commander)", "p99 ≤ 2× bare")
    commander = c.stack.tokens["demo-commander"]
    prod, bare = [], []
    for _ in range(pairs(c.stack)):
        for which, server, path, acc in (
                ("bare", c.bare, "/incidents?page=1&per_page=50", bare),
                ("product", c.product, "/api/v1/incidents?page=1&per_page=50", prod)):
            out = load(c.stack, server, path, mode="closed", concurrency=4, procs=1,
                       tokens=[commander], body="none", method="GET", gzip=True,
                       seconds=secs(c.stack, 10, 2), ok_status="200")
            out.pop("latencies_ms")
            check_reports(c.stack, c.main, f"list {which}", out)
            acc.append(out)
    row.product = f"p50 {fmt_ms(med(prod, 'p50_ms'))} p99 {fmt_ms(med(prod, 'p99_ms'))}, " \
                  f"{med(prod, 'server_cpu_ms_per_op')} ms CPU"
    row.baseline = f"p50 {fmt_ms(med(bare, 'p50_ms'))} p99 {fmt_ms(med(bare, 'p99_ms'))}, " \
                   f"{med(bare, 'server_cpu_ms_per_op')} ms CPU"
    p99, b99 = med(prod, "p99_ms") or 1e9, med(bare, "p99_ms") or 0
    row.ratio = f"{p99 / b99:.1f}× p99" if b99 else ""
    row.note = "4 clients in a closed loop, gzip accepted"
    judge(c.stack, row, bool(b99) and p99 / b99 <= 2.0)
    row.data = {"product": prod, "bare": bare}
    return row


def row_push(c: Ctx) -> Row:
    row = Row("push", "push to a unit room of 200 with 2,000 connected (bench/live_push.py)",
              "≤ 2× bare emit (median and p99)")
    if c.stack.args.quick:
        row.note = "not in --quick (bench/live_push.py --quick alone takes about 45 s)"
        return row
    before = set(RESULTS.glob("live_push-*.json"))
    cmd = [sys.executable, str(BENCH / "live_push.py"), "--rounds", "30"]
    if c.stack.args.py_spy:
        cmd.append("--py-spy")
    c.stack.note_command(cmd)
    subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=900)
    new = sorted(set(RESULTS.glob("live_push-*.json")) - before)
    if not new:
        row.note = "live_push.py wrote no result"
        c.stack.problems.append("push: live_push.py crashed")
        return row
    result = json.loads(new[-1].read_text())
    verdict = result.get("verdict", {})
    if "ratio_median" not in verdict:
        row.note = f"live_push.py did not complete: {result.get('error', '')[-300:]}"
        c.stack.problems.append("push: live_push.py did not complete")
        return row
    p, b = result["product"]["rounds"], result["bare"]["rounds"]
    row.product = (f"median {fmt_ms(p['all_received_ms']['median'])} p99 "
                   f"{fmt_ms(p['all_received_ms']['p99'])}")
    row.baseline = (f"median {fmt_ms(b['all_received_ms']['median'])} p99 "
                    f"{fmt_ms(b['all_received_ms']['p99'])}")
    row.ratio = f"{verdict['ratio_median']}× / {verdict['ratio_p99']}×"
    row.note = (f"one live_push.py run of 30 rounds ({new[-1].name}); `bench/repeat.py` "
                f"judges the median of three")
    judge(c.stack, row, bool(verdict.get("latency_ok")))
    row.data = {"live_push": str(new[-1].relative_to(ROOT)), "verdict": verdict}
    return row


# In this order: the map and the list read the 5,000 open cases before the ingest rows add
# theirs; the overload row comes last on the shared web process (a product that queues the excess
# keeps working for a while after it), and its web processes are stopped before the push row.
ROWS: dict[str, Callable[[Ctx], Row]] = {
    "map": row_map, "list": row_list, "ingest_closed": row_ingest_closed,
    "ingest_two": row_ingest_two, "positions_http": row_positions_http,
    "positions_socket": row_positions_socket, "timers_burst": row_timers_burst,
    "timers_lateness": row_timers_lateness, "backlog": row_backlog,
    "ingest_open": row_ingest_open, "push": row_push,
}


# ----------------------------------------------------------------------------- reporting

def machine() -> dict[str, Any]:
    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    from importlib.metadata import PackageNotFoundError, version

    packages = {}
    for name in ("flask", "flask-socketio", "python-socketio", "gevent", "gevent-websocket",
                 "gunicorn", "sqlalchemy", "psycopg2-binary", "psycopg2", "geoalchemy2",
                 "redis", "rq", "pydantic", "aiohttp", "flask-compress"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            pass
    versions = {"python": platform.python_version(), "packages": packages,
                "redis": run(["redis-server", "--version"])}
    try:
        import psycopg2

        conn = psycopg2.connect(ADMIN_URL)
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            versions["postgresql"] = cur.fetchone()[0]
            cur.execute("SELECT default_version FROM pg_available_extensions "
                        "WHERE name = 'postgis'")
            row = cur.fetchone()
            versions["postgis"] = row[0] if row else "?"
        conn.close()
    except Exception as exc:  # noqa: BLE001 - the table is still worth writing
        versions["postgresql"] = f"? ({exc})"
    return {"nproc": os.cpu_count(), "cpu": cpu, "load_average": os.getloadavg(),
            "kernel": platform.release(), "versions": versions,
            "git": run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])}


def table(rows: list[Row]) -> str:
    head = ["figure", "product", "baseline (same run)", "ratio", "target", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        cells = [r.figure, r.product, r.baseline, r.ratio or "", r.target,
                 r.verdict + (f" ({r.note})" if r.verdict == "n/a" and r.note else "")]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def write_markdown(result: dict[str, Any], rows: list[Row], path: Path) -> None:
    m = result["machine"]
    v = m["versions"]
    mode = "--quick: correctness only, timings not judged" if result["quick"] else "full"
    notes = [f"- **{r.key}**: {r.note}" for r in rows if r.note and r.verdict != "n/a"]
    text = [
        "# Benchmark results (`make bench`)", "",
        f"Run {result['started_utc']} ({mode}), "
        f"{result['runtime_s']} s, commit {m['git']}. Written by `bench/run.py`; "
        "bench/README.md says what each row measures.", "",
        table(rows), "",
        f"**Correctness** (every 201 has its row and its timers, no 5xx"
        f"{', no time-out' if result['quick'] else ''}): "
        + ("no problem." if not result["problems"] else
           "PROBLEMS: " + "; ".join(result["problems"])), "",
        *(["## Notes", "", *notes, ""] if notes else []),
        "## Machine", "",
        f"- {m['nproc']} CPUs: {m['cpu']}; load average at the start "
        f"{', '.join(f'{x:.2f}' for x in result['load_start'])}, at the end "
        f"{', '.join(f'{x:.2f}' for x in m['load_average'])}; Linux {m['kernel']}",
        f"- Python {v['python']}, PostgreSQL {v.get('postgresql')}, PostGIS {v.get('postgis')}, "
        f"{v.get('redis')}",
        "- " + ", ".join(f"{k} {x}" for k, x in v["packages"].items()), "",
        "## Commands", "", "```", f"python bench/run.py {' '.join(result['argv'])}".strip(),
        *dict.fromkeys(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", c)
                       for c in result["commands"]), "```", "",
        "The load generator (bench/loadgen.py, asyncio + aiohttp) runs in processes of its own "
        "on the same machine. The JSON with every pass: "
        f"`{result['json']}`.", "",
    ]
    path.write_text("\n".join(text))


# ----------------------------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
        clone_cases(stack, main_db, 5000 if not args.quick else 500, -1800, 0, 0.0)
        ctx = Ctx(stack, template, main_db, stack.product(main_db), stack.bare(main_db))
        for key, fn in ROWS.items():
            if args.only and key not in args.only:
                continue
            if key == "push":  # its own servers: ours must not hold the machine meanwhile
                stack.stop(ctx.product)
                stack.stop(ctx.bare)
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
