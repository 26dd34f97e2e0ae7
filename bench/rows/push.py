"""The push row: one `python -m bench.live_push --rounds 30` run (its own servers and database),
read back from the JSON it writes. Not in --quick."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.measure import Ctx, Row, fmt_ms, judge
from bench.processes import RESULTS, ROOT


def row_push(c: Ctx) -> Row:
    row = Row("push", "push to a unit room of 200 with 2,000 connected (bench.live_push)",
              "≤ 2× bare emit (median and p99)")
    if c.stack.args.quick:
        row.note = "not in --quick (python -m bench.live_push --quick alone takes about 45 s)"
        return row
    before = set(RESULTS.glob("live_push-*.json"))
    cmd = [sys.executable, "-m", "bench.live_push", "--rounds", "30"]
    if c.stack.args.py_spy:
        cmd.append("--py-spy")
    c.stack.note_command(cmd)
    subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=900)
    new = sorted(set(RESULTS.glob("live_push-*.json")) - before)
    if not new:
        row.note = "bench.live_push wrote no result"
        c.stack.problems.append("push: bench.live_push crashed")
        return row
    result = json.loads(new[-1].read_text())
    verdict = result.get("verdict", {})
    if "ratio_median" not in verdict:
        row.note = f"bench.live_push did not complete: {result.get('error', '')[-300:]}"
        c.stack.problems.append("push: bench.live_push did not complete")
        return row
    p, b = result["product"]["rounds"], result["bare"]["rounds"]
    row.product = (f"median {fmt_ms(p['all_received_ms']['median'])} p99 "
                   f"{fmt_ms(p['all_received_ms']['p99'])}")
    row.baseline = (f"median {fmt_ms(b['all_received_ms']['median'])} p99 "
                    f"{fmt_ms(b['all_received_ms']['p99'])}")
    row.ratio = f"{verdict['ratio_median']}× / {verdict['ratio_p99']}×"
    row.note = (f"one bench.live_push run of 30 rounds ({new[-1].name}); `python -m bench.repeat` "
                f"judges the median of three")
    judge(c.stack, row, bool(verdict.get("latency_ok")))
    row.data = {"live_push": str(new[-1].relative_to(ROOT)), "verdict": verdict}
    return row


