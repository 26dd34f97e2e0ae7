"""The `storm` row: 500 officers and 5 command pages connected on `/live`, reports at 30/s for
2 minutes across the 16 towns, the overdue notices firing meanwhile (bench/storm.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any

from bench.measure import Ctx, Row, judge
from bench.processes import log, percentile
from bench.rows.timers import fire
from bench.seeding import clone_cases, on_duty
from bench.storm import collect, post_reports, start_sockets

POINTS = """
SELECT ST_X(p.geom), ST_Y(p.geom) FROM (
    SELECT (ST_Dump(ST_GeneratePoints(tb.geom, %(k)s, 7))).geom
    FROM territory_boundaries tb JOIN boundary_sets bs ON bs.id = tb.set_id AND bs.active
) p ORDER BY random()
"""


def _ms(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(percentile(values, 0.5) * 1000, 1), round(percentile(values, 0.99) * 1000, 1)


def row_storm(c: Ctx) -> Row:
    quick = c.stack.args.quick
    # --quick: a correctness check of the whole path, kept short (30 officers, one command page,
    # one generator process, 10 reports/s for 3 s).
    rate, seconds = (10.0, 3.0) if quick else (30.0, 120.0)
    officers = c.stack.field_officers[:30] if quick else c.stack.field_officers
    commands = 1 if quick else 5
    row = Row("storm", f"storm: {len(officers)} officers + {commands} command sockets, "
                       f"{rate:.0f} reports/s for {seconds:.0f} s over the 16 towns",
              "every report 201, p99 POST → officer's task.offered ≤ 500 ms, nothing missed")
    db = c.stack.create_db("storm", template=c.template)
    # Open cases received over the last 30 minutes: their deadlines come due during the storm.
    clone_cases(c.stack, db, c.cases, -1800, 0, 1.0)
    on_duty(c.stack, db)
    points = [(float(x), float(y)) for x, y in c.stack.sql(db, POINTS, {"k": 40})]
    server = c.stack.product(db)
    clients = [(tok, "officer") for tok, _, _ in officers] + \
        [(c.stack.tokens["demo-commander"], "command")] * commands
    units_of = [unit for _, unit, _ in officers] + [None] * commands
    started = start_sockets(server.url, clients, 1 if quick else 2)
    log(f"  storm: {len(clients)} sockets connected; reports at {rate}/s for {seconds} s")
    # What came due while the sockets connected is fired first (a scheduler that kept up);
    # the lateness counted is that of the overdue notices due during the storm.
    if not quick:
        fire(c, db, "product", 60)
    firing: dict[str, Any] = {}
    fire_start = datetime.now(UTC)
    firer = threading.Thread(target=lambda: firing.update(
        fire(c, db, "product", seconds + 3, steady=True)), daemon=True)
    firer.start()
    cpu0 = server.cpu()
    reporters = [c.stack.tokens["demo-reporter"], c.stack.tokens["demo-reporter-2"]]
    try:
        posts = asyncio.run(post_reports(server.url, reporters, points, rate, seconds))
        cpu = server.cpu() - cpu0
        time.sleep(2.0)  # frames still on their way when the last answer came
        got = collect(started, len(clients))
        firer.join(seconds + 60)
    finally:
        c.stack.stop(server)
    ok = [p for p in posts if p["status"] == 201]
    statuses: dict[str, int] = {}
    for p in posts:
        statuses[str(p["status"])] = statuses.get(str(p["status"]), 0) + 1
    units: dict[str, set[str]] = {}
    for case, unit in c.stack.sql(db, "SELECT incident_id, unit_code FROM incident_units "
                                      "WHERE incident_id = ANY(%s)", ([p["id"] for p in ok],)):
        units.setdefault(case, set()).add(unit)
    to_officer, to_command, answers = [], [], [p["answered"] - p["sent"] for p in ok]
    missed_officer = missed_command = doubled = 0
    for i, heard in enumerate(got["heard"]):
        if not got["connected"][i]:
            continue
        for p in ok:
            wanted = units_of[i] is None or units_of[i] in units.get(p["id"], ())
            if not wanted:
                continue
            times = heard.get(p["id"])
            if not times:
                if units_of[i] is None:
                    missed_command += 1
                else:
                    missed_officer += 1
                continue
            if units_of[i] is not None:
                doubled += len(times) > 1
                to_officer.append(min(times) - p["sent"])
            else:
                to_command.append(min(times) - p["sent"])
    late = [float(r[0]) for r in c.stack.sql(db, """
        SELECT EXTRACT(EPOCH FROM fired_at - due_at) FROM timers
        WHERE kind = 'overdue' AND due_at >= %s AND fired_at IS NOT NULL
          AND outcome <> 'before-bench'""", (fire_start,))]
    unfired = int(c.stack.sql(db, """
        SELECT count(*) FROM timers WHERE kind = 'overdue' AND fired_at IS NULL
          AND due_at >= %s AND due_at <= now() - interval '5 seconds'""", (fire_start,))[0][0])
    o50, o99 = _ms(to_officer)
    c50, c99 = _ms(to_command)
    h50, h99 = _ms(answers)
    l50, l99 = (round(percentile(late, 0.5), 2), round(percentile(late, 0.99), 2)) if late \
        else (None, None)
    connected = sum(got["connected"])
    row.product = (f"{len(ok)}/{len(posts)} × 201; to officer p50 {o50} p99 {o99} ms "
                   f"({len(to_officer)} frames, {missed_officer} missed); to command p50 {c50} "
                   f"p99 {c99} ms ({missed_command} missed); 201 p50 {h50} p99 {h99} ms; "
                   f"overdue lateness p50 {l50} p99 {l99} s ({len(late)} fired, {unfired} "
                   f"due and unfired); worker CPU "
                   f"{cpu * 1000 / max(len(ok), 1):.1f} ms per report")
    row.baseline = "(absolute targets)"
    problems = []
    if len(ok) != len(posts):
        problems.append(f"storm: {len(posts) - len(ok)} reports not answered 201: {statuses}")
    if missed_officer or missed_command or connected < len(clients) or got["drops"]:
        problems.append(f"storm: {missed_officer} offers and {missed_command} command frames "
                        f"missed, {len(clients) - connected} sockets not connected, "
                        f"{got['drops']} dropped")
    c.stack.problems.extend(problems)
    judge(c.stack, row, not problems and o99 is not None and o99 <= 500)
    row.note = ("latency from each report's intended send time (open loop) to the first frame "
                "about the case in each socket that must hear it; load generator on the same "
                "machine")
    row.data = {"statuses": statuses, "to_officer_ms": [o50, o99], "to_command_ms": [c50, c99],
                "answer_ms": [h50, h99], "lateness_s": [l50, l99], "overdue": len(late),
                "overdue_unfired": unfired,
                "missed_officer": missed_officer, "missed_command": missed_command,
                "doubled": doubled, "connected": connected, "drops": got["drops"],
                "firing": firing, "worker_cpu_s": round(cpu, 2)}
    return row
