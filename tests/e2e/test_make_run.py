"""`make run` serves the demo on the embedded default and stops cleanly on a signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from tests.helpers import ZHICHENG, location, seat

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_make_run_serves_the_demo_and_stops_on_sigint(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PORT=str(port), DISPATCH_INSTANCE_PATH=str(tmp_path / "instance"))
    log = open(tmp_path / "server.log", "w+")
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", proc)
        assert requests.get(f"{base}/readyz", timeout=5).json()["checks"] == {"database": "ok"}
        tok = requests.post(f"{base}/api/v1/auth/token", timeout=5,
                            json={"username": "demo-reporter", "password": "demo"}).json()
        headers = {"Authorization": f"Bearer {tok['access_token']}"}
        lon, lat = seat()
        r = requests.post(f"{base}/api/v1/incidents", headers=headers, timeout=5, json={
            "category": "power_cut", "description": "停电", "location": location(lon, lat)})
        assert r.status_code == 201, r.text
        assert [u["code"] for u in r.json()["units"]] == [ZHICHENG, "power_supply"]
        fc = requests.get(f"{base}/api/v1/units/boundaries", headers=headers, timeout=5).json()
        assert len(fc["features"]) == 16 and fc["label"] == "demo boundaries, not official"
        for user in ("demo-commander", "demo-admin", "officer-419001102",
                     "dispatcher-power_supply", "demo-reporter-2"):
            r = requests.post(f"{base}/api/v1/auth/token", timeout=5,
                              json={"username": user, "password": "demo"})
            assert r.status_code == 200, user
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    log.seek(0)
    output = log.read()
    assert "stopping" in output, output[-2000:]
    with socket.socket() as s:  # nothing listens there any more
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
