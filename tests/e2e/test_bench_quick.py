"""`make bench`'s quick mode, the one `.ci/run` runs: it starts its own production shape (a
private PostGIS database, redis-server, gunicorn web processes, the bare baseline, the timer
firing process) and must prove the product correct end to end -- every 201 answered has its row
and its timers -- whatever the timings. And the check itself must see a lost report."""

from __future__ import annotations

import importlib
import json
import subprocess
from typing import Any

from tests.e2e.procs import PY, ROOT


def test_the_quick_bench_counts_every_report_against_the_database(tmp_path):
    out = tmp_path / "run.json"
    done = subprocess.run([PY, "-m", "bench", "--quick", "--only", "ingest_closed",
                           "--only", "timers_burst", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["problems"] == [] and result["error"] is None
    rows = {r["key"]: r for r in result["rows"]}
    assert [r["verdict"] for r in rows.values()] == ["checked", "checked"]
    for which in ("product", "bare"):
        ingest = rows["ingest_closed"]["data"][which][0]
        assert ingest["ok"] > 0 and ingest["statuses"] == {"201": ingest["ok"]}, ingest
        assert ingest["rows_checked"] == ingest["ok"] and ingest["lost"] == 0, ingest
    assert rows["ingest_closed"]["data"]["product"][0]["without_timers"] == 0
    burst = rows["timers_burst"]["data"]
    assert burst["bare"][0]["fired"] == burst["bare"][0]["due"] >= 2900, burst
    assert burst["product"][0]["fired"] > 0, burst
    # Partial runs leave the record alone: their table goes next to the JSON's default place.
    assert "quick" in result["json"] or result["json"] == str(out)


class _Stack:
    """bench.stack's Stack as check_reports sees it: SQL answers, the problems found."""

    def __init__(self, in_db: list[str], quick: bool = True) -> None:
        self.in_db = in_db
        self.problems: list[str] = []
        self.args = type("Args", (), {"quick": quick})()

    def sql(self, db: str, statement: str, params: Any = None) -> list[Any]:
        if "NOT EXISTS" in statement:  # cases without timers: none
            return []
        return [(i,) for i in self.in_db]


def _pass(ids: list[str], **statuses: int) -> dict[str, Any]:
    return {"ids": ids, "statuses": statuses, "retry_after_503": 0, "error_samples": [],
            "timeouts": 0, "errors": 0}


def test_a_report_answered_201_without_its_row_is_a_problem():
    run = importlib.import_module("bench.measure")
    stack = _Stack(in_db=["a", "b"])
    out = _pass(["a", "b", "c"], **{"201": 3})
    run.check_reports(stack, "db", "ingest", out)
    assert out["lost"] == 1 and stack.problems == [
        "ingest: 1 of 3 reports answered 201 have no row"]

    stack = _Stack(in_db=["a"])
    run.check_reports(stack, "db", "ingest", _pass(["a"], **{"201": 1}))
    assert stack.problems == []


def test_a_5xx_is_a_problem_and_a_503_with_retry_after_is_not():
    run = importlib.import_module("bench.measure")
    stack = _Stack(in_db=[])
    clean = _pass([], **{"503": 2})
    clean["retry_after_503"] = 2
    run.check_reports(stack, "db", "open", clean)
    assert stack.problems == []
    bare_503 = _pass([], **{"503": 2})
    bare_503["retry_after_503"] = 1  # one of the two without Retry-After
    run.check_reports(stack, "db", "open", bare_503)
    run.check_reports(stack, "db", "open", _pass([], **{"500": 1}))
    assert len(stack.problems) == 2


def test_in_quick_mode_a_time_out_is_a_problem():
    run = importlib.import_module("bench.measure")
    timed_out = _pass([])
    timed_out["timeouts"] = 1
    quick, full = _Stack(in_db=[]), _Stack(in_db=[], quick=False)
    run.check_reports(quick, "db", "open", dict(timed_out))
    run.check_reports(full, "db", "open", dict(timed_out))
    assert len(quick.problems) == 1 and full.problems == []
