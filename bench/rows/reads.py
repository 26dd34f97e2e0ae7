"""The read rows: `map` (the open cases as GeoJSON, one request at a time) and `list` (a page of
the incident list, 4 clients in a closed loop), each against the bare baseline's same read."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.measure import Ctx, Row, check_reports, fmt_ms, judge, load, med, pairs, secs
from bench.stack import Server


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


def post_report(server: Server, token: str) -> int:
    """One report through the product's API (a new event: the map's kept document is stale)."""
    import http.client
    import json

    from bench.stack import REPORTS

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", "/api/v1/incidents", body=json.dumps(REPORTS[0]),
                 headers={"Authorization": f"Bearer {token}",
                          "Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


def row_map(c: Ctx) -> Row:
    """The product's map against its essential baseline (`bench/essential_map.py`: the same
    document, the same judgement, the plainest way): warm (the web process keeps the document
    per event-log seq: the median of n requests after one that fills it) and cold (the first
    request after a report, which moves the seq: the product reads and writes it anew)."""
    row = Row("map", "map load of 5,000 open cases (GET /api/v1/map/incidents)",
              "one request, ≤ 300 ms, ≤ 2 MB compressed, ≤ 1.5× the essential read")
    commander = c.stack.tokens["demo-commander"]
    reporter = c.stack.tokens["demo-reporter"]
    probe = timed_get(c.product, "/api/v1/map/incidents", commander, 1)
    if probe["status"] == 404:
        row.note = "GET /api/v1/map/incidents does not exist on this branch yet (perf/reads)"
        return row
    n, colds = (3, 1) if c.stack.args.quick else (7, 3)
    prod, cold, bare = [], [], []
    for _ in range(pairs(c.stack)):
        bare.append(timed_get(c.bare, "/map/judged", commander, n))
        timed_get(c.product, "/api/v1/map/incidents", commander, 1)  # fills the kept document
        prod.append(timed_get(c.product, "/api/v1/map/incidents", commander, n))
        for _ in range(colds):
            if post_report(c.product, reporter) != 201:
                c.stack.problems.append("map: the report that moves the seq was not 201")
            cold.append(timed_get(c.product, "/api/v1/map/incidents", commander, 1))
    if any(p["status"] != 200 for p in prod + cold + bare):
        c.stack.problems.append(f"map: answered {prod[-1]['status']} (product), "
                                f"{bare[-1]['status']} (essential)")
    p, b = med(prod, "median_ms") or 0.0, med(bare, "median_ms") or 0.0
    k = med(cold, "median_ms") or 0.0
    size = prod[-1]["bytes"]
    row.product = (f"warm {fmt_ms(p)}, cold (after a report) {fmt_ms(k)}; {size / 1e6:.2f} MB "
                   f"({prod[-1]['uncompressed_bytes'] / 1e6:.1f} MB raw)")
    row.baseline = (f"essential: {fmt_ms(b)}, {bare[-1]['bytes'] / 1e6:.2f} MB "
                    f"({bare[-1]['uncompressed_bytes'] / 1e6:.1f} MB raw)")
    row.ratio = f"{p / b:.2f}× warm, {k / b:.2f}× cold" if b else ""
    row.note = ("times are client-side on loopback (an upper bound of the server time), gzip; "
                "the essential read writes the same document (bench/essential_map.py)")
    judge(c.stack, row, p <= 300 and size <= 2e6 and bool(b) and p / b <= 1.5)
    row.data = {"product": prod, "product_cold": cold, "essential": bare}
    return row


def row_list(c: Ctx) -> Row:
    row = Row("list", "incident list page (page 1, 50 per page, commander)", "p99 ≤ 2× bare")
    commander = c.stack.tokens["demo-commander"]
    prod: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
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
