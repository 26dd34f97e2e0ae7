"""One server's measurement in `bench.live_push`: its worker's memory with 3,000 clients connected
and idle, then, with 2,000 connected, the timed rounds (a message sent, until every member of the
room received it), the worker's and the generators' CPU, and py-spy around the rounds."""

from __future__ import annotations

import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.live_push import CONNECT_BATCH, CONNECTED, MEMORY_CONNECTED, ROOM_SIZE
from bench.live_push.generator import Generators
from bench.processes import ROOT, log, percentile, proc_cpu_s, proc_rss_kb

PROFILE: dict[str, Any] = {}  # --py-spy: {"dir": Path, "stamp": str}


def split_clients(specs: list[tuple[dict[str, Any], bool]], n: int
                  ) -> list[list[tuple[dict[str, Any], bool]]]:
    """Round-robin, so each generator holds the same share of targets and bystanders."""
    return [specs[i::n] for i in range(n)]


def client_specs(total: int, target_auth: dict[str, Any],
                 bystander_auth: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    """Targets first, then bystanders; ordered so that dropping the *last* bystanders of each
    generator keeps the units evenly spread."""
    specs = [(target_auth, True) for _ in range(ROOM_SIZE)]
    specs += [(bystander_auth[i % len(bystander_auth)], False) for i in range(total - ROOM_SIZE)]
    return specs


def run_scenario(name: str, port: int, worker: int, gens: Generators, mode: str,
                 target_auth: dict[str, Any], bystander_auth: list[dict[str, Any]],
                 send_round: Callable[[int], tuple[str, float, float]], rounds: int,
                 warmup: int, gap: float) -> dict[str, Any]:
    """Memory at 3,000, then latency rounds at 2,000. `send_round(i)` sends one message and
    returns (key, t_sent, t_answered)."""
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"name": name, "worker_pid": worker}

    time.sleep(1.0)
    rss0 = proc_rss_kb(worker)
    specs = client_specs(MEMORY_CONNECTED, target_auth, bystander_auth)
    shares = split_clients(specs, len(gens.conns))
    log(f"{name}: connecting {MEMORY_CONNECTED} clients from {len(gens.conns)} generators "
        f"(RSS of worker {worker} before: {rss0 / 1024:.1f} MiB)")
    t0 = time.monotonic()
    replies = gens.ask_all([{"op": "connect", "url": url, "mode": mode, "clients": share,
                             "batch": CONNECT_BATCH} for share in shares], timeout=240)
    connected = sum(r["connected"] for r in replies)
    failed = sum(r["failed"] for r in replies)
    out["connect_seconds"] = round(time.monotonic() - t0, 2)
    log(f"{name}: {connected} connected, {failed} failed in {out['connect_seconds']} s"
        + (f"; e.g. {replies[0]['errors'][:2] or replies[-1]['errors'][:2]}" if failed else ""))
    time.sleep(5.0)  # idle
    rss1 = proc_rss_kb(worker)
    stats = gens.same({"op": "stats"}, timeout=30)
    still = sum(s["connected"] for s in stats)
    out["memory"] = {
        "connections": still, "rss_before_kb": rss0, "rss_after_kb": rss1,
        "kb_per_connection": round((rss1 - rss0) / max(still, 1), 1),
        "connect_failures": failed,
    }
    log(f"{name}: {still} connected and idle 5 s: RSS {rss1 / 1024:.1f} MiB, "
        f"{out['memory']['kb_per_connection']} KB per connection")

    # down to 2,000: drop bystanders evenly from each generator
    drop_total = still - CONNECTED
    per = [drop_total // len(gens.conns) + (1 if i < drop_total % len(gens.conns) else 0)
           for i in range(len(gens.conns))]
    gens.ask_all([{"op": "drop", "n": n} for n in per], timeout=120)
    time.sleep(3.0)
    stats = gens.same({"op": "stats"}, timeout=30)
    out["connected_for_rounds"] = sum(s["connected"] for s in stats)
    out["targets_connected"] = sum(s["targets"] for s in stats)
    log(f"{name}: {out['connected_for_rounds']} connected, {out['targets_connected']} in the "
        f"room; {warmup} warm-up + {rounds} rounds")

    expected = out["targets_connected"]
    latencies: list[float] = []
    firsts: list[float] = []
    answers: list[float] = []
    sent_at: list[float] = []  # time.monotonic() of each send, to line up with other logs
    incomplete = 0
    cpu0 = gen_cpu0 = 0.0
    t_rounds = 0.0
    spy = None
    for i in range(warmup + rounds):
        if i == warmup:
            spy = start_py_spy(name, worker)
            cpu0 = proc_cpu_s(worker)
            gen_cpu0 = sum(s["cpu_s"] for s in gens.same({"op": "stats"}, timeout=30))
            t_rounds = time.monotonic()
        key, t_sent, t_answer = send_round(i)
        got = gens.same({"op": "wait", "key": key, "timeout": 10.0}, timeout=20)
        count = sum(g["count"] for g in got)
        lasts = [g["last"] for g in got if g["last"] is not None]
        fsts = [g["first"] for g in got if g["first"] is not None]
        if i >= warmup:
            sent_at.append(round(t_sent, 4))
            answers.append((t_answer - t_sent) * 1000)
            if count < expected or not lasts:
                incomplete += 1
            else:
                latencies.append((max(lasts) - t_sent) * 1000)
                firsts.append((min(fsts) - t_sent) * 1000)
        time.sleep(gap)
    elapsed = time.monotonic() - t_rounds
    cpu = proc_cpu_s(worker) - cpu0
    if spy is not None:
        out["py_spy"] = stop_py_spy(spy)
    stats = gens.same({"op": "stats"}, timeout=30)
    gen_cpu = sum(s["cpu_s"] for s in stats) - gen_cpu0
    n = max(len(answers), 1)
    out["rounds"] = {
        "rounds": rounds, "complete": len(latencies), "incomplete": incomplete,
        "all_received_ms": {"median": statistics.median(latencies) if latencies else None,
                            "p99": percentile(latencies, 0.99) if latencies else None,
                            "p90": percentile(latencies, 0.90) if latencies else None,
                            "min": min(latencies, default=None),
                            "max": max(latencies, default=None)},
        "first_received_ms_median": statistics.median(firsts) if firsts else None,
        "http_answer_ms_median": statistics.median(answers) if answers else None,
        "samples_ms": [round(x, 2) for x in latencies],
        "sent_at_monotonic": sent_at,
        "server_cpu_ms_per_round": round(cpu * 1000 / n, 2),
        "server_cpu_us_per_delivery": round(cpu * 1e6 / (n * max(expected, 1)), 1),
        "server_cpu_utilisation": round(cpu / elapsed, 3) if elapsed else None,
        "generator_cpu_ms_per_round": round(gen_cpu * 1000 / n, 2),
        "unexpected_disconnects": sum(s["disconnects"] for s in stats),
        "bystander_events": sum(s["other_events"] for s in stats),
        "duplicates": sum(s["duplicates"] for s in stats),
        "other_events_per_target_socket_per_round": round(
            sum(s["target_other_events"] for s in stats) / max(expected, 1)
            / (warmup + rounds), 2),
        "payload_bytes": next((s["payload_bytes"][0] for s in stats if s["payload_bytes"]),
                              None),
    }
    r = out["rounds"]
    log(f"{name}: median {fmt(r['all_received_ms']['median'])} ms, p99 "
        f"{fmt(r['all_received_ms']['p99'])} ms, server CPU {r['server_cpu_ms_per_round']} ms "
        f"per round, {incomplete} incomplete")
    return out


def start_py_spy(name: str, pid: int) -> tuple[subprocess.Popen[bytes], Path] | None:
    """--py-spy: sample the server worker during the rounds (it perturbs the timings a little;
    use it to see where the time goes, not for the figures)."""
    if not PROFILE:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    path = PROFILE["dir"] / f"live_push-{PROFILE['stamp']}-{name}.pyspy.txt"
    proc = subprocess.Popen([exe, "record", "-p", str(pid), "-r", "1000", "-f", "raw",
                             "-o", str(path), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    time.sleep(1.0)  # let it attach
    return proc, path


def stop_py_spy(spy: tuple[subprocess.Popen[bytes], Path]) -> str:
    proc, path = spy
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    return str(path.relative_to(ROOT)) if path.exists() else "py-spy wrote nothing"


def fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"

