"""The report of a `python -m bench` run: the machine it ran on (CPU, load, kernel, versions),
the table (stdout, RESULTS.md) and the markdown record written next to the run's JSON."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

from bench.measure import Row
from bench.processes import ADMIN_URL, ROOT


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
        f"{result['runtime_s']} s, commit {m['git']}. Written by `python -m bench`; "
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
        "## Commands", "", "```", f"python -m bench {' '.join(result['argv'])}".strip(),
        *dict.fromkeys(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", c)
                       for c in result["commands"]), "```", "",
        "The load generator (bench/loadgen.py, asyncio + aiohttp) runs in processes of its own "
        "on the same machine. The JSON with every pass: "
        f"`{result['json']}`.", "",
    ]
    path.write_text("\n".join(text))
