"""The positions rows: `positions_http` (batches of 50 fixes, 16 clients in a closed loop) and
`positions_socket` (the socket's `positions` event, batches of 50 as over HTTP)."""

from __future__ import annotations

from typing import Any

from bench.measure import Ctx, Row, check_reports, fmt_ms, judge, load, med, pairs, secs
from bench.processes import log
from bench.stack import UNITS


def positions_row(c: Ctx, socket: bool) -> Row:
    how = "over the socket (`positions`), batches of 50" if socket else \
        "over HTTP, batches of 50"
    row = Row("positions_socket" if socket else "positions_http", f"positions {how}",
              "≥ 3,000 positions/s, ≥ 0.4× bare")
    officers = [c.stack.tokens[f"officer-{u}"] for u in UNITS]
    prod: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    for _ in range(pairs(c.stack)):
        for which, server, acc in (("bare", c.bare, bare), ("product", c.product, prod)):
            path = ("/positions" if which == "bare" else "/api/v1/officers/me/positions")
            out = load(c.stack, server, "" if socket else path,
                       mode="socket" if socket else "closed", concurrency=16, procs=2,
                       tokens=officers, body="positions", batch=50,
                       seconds=secs(c.stack, 15, 2),
                       ok_status="ok" if socket else "202",
                       spy=None if which == "bare" else row.key)
            out.pop("latencies_ms")
            out.pop("ids", None)
            check_reports(c.stack, c.main, f"positions {which}", out)
            acc.append(out)
            log(f"  positions {'socket' if socket else 'http'} {which}: "
                f"{out['items_per_s']} positions/s, p99 {out['p99_ms']} ms")
    p, b = med(prod, "items_per_s") or 0.0, med(bare, "items_per_s") or 0.0
    row.product = (f"{p:.0f} positions/s, p99 {fmt_ms(med(prod, 'p99_ms'))}, "
                   f"{med(prod, 'server_cpu_ms_per_op')} ms CPU per batch")
    row.baseline = f"{b:.0f} positions/s, p99 {fmt_ms(med(bare, 'p99_ms'))}"
    row.ratio = f"{p / b:.2f}×" if b else ""
    judge(c.stack, row, p >= 3000 and bool(b) and p / b >= 0.4)
    if socket:
        row.note = ("the socket's `positions` event (a batch, as over HTTP): 16 connected "
                    "officers, each waits for its acknowledgement")
    row.data = {"product": prod, "bare": bare}
    return row


def row_positions_http(c: Ctx) -> Row:
    return positions_row(c, socket=False)


def row_positions_socket(c: Ctx) -> Row:
    return positions_row(c, socket=True)
