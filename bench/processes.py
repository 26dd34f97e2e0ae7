"""This machine, as every benchmark here sees it: subprocesses in sessions of their own (killed
by process group at the end), free loopback ports, CPU and memory from /proc, HTTP on loopback,
a private redis-server and the PostgreSQL admin connection. Shared by `python -m bench` and
`python -m bench.live_push`."""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
GUNICORN_WORKER_CONNECTIONS = 10_000  # gunicorn's default of 1,000 caps a gevent worker's sockets


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65_536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def child_setup() -> None:
    """preexec_fn of every server subprocess: its own fd limit (it also has its own session)."""
    raise_nofile()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class Processes:
    """Every subprocess in its own session; all of them killed (by process group) at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str] | None = None,
              cwd: Path = ROOT) -> subprocess.Popen[bytes]:
        out = open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=child_setup)
        out.close()
        self.procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # the group may hold a worker that outlived its master
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def stop_all(self) -> None:
        for _, proc in reversed(self.procs):
            self.stop(proc, grace=3.0)
        self.procs.clear()

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def http_request(port: int, method: str, path: str, body: Any = None,
                 token: str | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_http(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {path}")
        try:
            if http_request(port, "GET", path, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer on {path} within {timeout:.0f} s")


def gunicorn_cmd(port: int, app: str, extra: list[str], workers: int = 1) -> list[str]:
    """The product's web process as deployed: gunicorn, GeventWebSocketWorker."""
    return [sys.executable, "-m", "gunicorn",
            "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
            "-w", str(workers), "-b", f"127.0.0.1:{port}",
            "--worker-connections", str(GUNICORN_WORKER_CONNECTIONS),
            "--graceful-timeout", "3", "--no-control-socket", *extra, app]


def gunicorn_worker(master: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children_of(master)
        if kids:
            return kids[0]
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def start_redis(procs: Processes, workdir: Path) -> tuple[int, subprocess.Popen[bytes]]:
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("redis-server is not on PATH")
    port = free_port()
    proc = procs.start("redis", [exe, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", str(workdir),
                                 "--daemonize", "no"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return port, proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("private redis-server did not start")


def admin_sql(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(ADMIN_URL)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()
