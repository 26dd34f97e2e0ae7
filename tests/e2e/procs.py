"""Real processes for end-to-end tests: Redis, web (gunicorn + gevent websocket), RQ workers,
the scheduler, the embedded server; and a Socket.IO client that records what it hears."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

import requests
import socketio

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Processes:
    """Starts processes with their output in files, and stops them all at the end."""

    def __init__(self, logdir: Path, env: dict[str, str]) -> None:
        self.logdir, self.env = logdir, env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env={**self.env, **env}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def stop_all(self, grace: float = 1.0) -> None:
        """At a test's end: every process told at once (not one after the other, each with
        its own graceful wait), and killed if it has not gone within `grace` seconds."""
        procs, self.procs = list(self.procs.values()), {}
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def log(self, name: str) -> str:
        return (self.logdir / f"{name}.log").read_text(errors="replace")

    # -- the kinds of process ----------------------------------------------------------------
    def redis(self, port: int) -> None:
        self.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"])
        wait_for(lambda: _redis_up(port), 10, f"redis on {port}")

    def web(self, name: str, port: int) -> str:
        self.start(name, [PY, "-m", "gunicorn", "-k",
                          "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1",
                          "--worker-connections", "10000", "--no-control-socket",
                          "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2",
                          "server.wsgi:create()"])
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{base}/healthz"), 60, f"{name} to answer")
        return base

    def embedded(self, name: str, port: int) -> str:
        self.start(name, [PY, "-m", "server.serve"], PORT=str(port))
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{base}/healthz"), 60, f"{name} to answer")
        return base

    def worker(self, name: str) -> None:
        self.start(name, [PY, "-m", "server.worker"])
        wait_for(lambda: "Listening on" in self.log(name) or "listening on" in self.log(name),
                 60, f"{name} to listen")

    def scheduler(self, name: str = "scheduler") -> None:
        self.start(name, [PY, "-m", "server.scheduler"])
        wait_for(lambda: "sweeping every" in self.log(name), 60, f"{name} to start")


def _redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def token(base: str, username: str) -> str:
    r = requests.post(f"{base}/api/v1/auth/token", timeout=10,
                      json={"username": username, "password": "demo"})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def auth(base: str, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(base, username)}"}


class Live:
    """A real Socket.IO client over websocket on /live that keeps every event it hears."""

    def __init__(self, base: str, username: str | None = None, tok: str | None = None) -> None:
        self.events: list[tuple[str, dict[str, Any], float]] = []
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)

        @self.sio.on("*", namespace="/live")
        def _any(event: str, data: Any = None) -> None:
            with self._lock:
                self.events.append((event, data, time.monotonic()))

        self.base = base
        self.token = tok or (token(base, username) if username else None)

    def connect(self) -> Live:
        self.sio.connect(self.base, namespaces=["/live"], auth={"token": self.token},
                         transports=["websocket"], wait_timeout=10)
        return self

    def disconnect(self) -> None:
        self.sio.disconnect()

    def call(self, event: str, data: Any) -> Any:
        return self.sio.call(event, data, namespace="/live", timeout=10)

    def heard(self, name: str | None = None,
              where: Callable[[dict[str, Any]], bool] = lambda d: True) -> list[dict[str, Any]]:
        with self._lock:
            return [d for n, d, _ in self.events if (name is None or n == name) and where(d)]

    def wait(self, name: str, where: Callable[[dict[str, Any]], bool] = lambda d: True,
             timeout: float = 5.0) -> dict[str, Any]:
        return wait_for(lambda: next(iter(self.heard(name, where)), None), timeout,
                        f"{name} on {self.base}", every=0.01)

    def last_seq(self) -> int:
        return max((d.get("seq") or 0 for n, d, _ in self.events if n != "officer.position"),
                   default=0)
