"""The production shape: docker-compose.yml is accepted by Compose and has the four services."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> list[str]:
    plugin = shutil.which("docker") and subprocess.run(
        ["docker", "compose", "version"], capture_output=True).returncode == 0
    if plugin:
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    assert found, "no Compose implementation: run scripts/ensure-tools.sh"
    return [found]


def test_compose_config_accepts_the_file():
    env = {**os.environ, "DISPATCH_SECRET_KEY": "check-only"}
    out = subprocess.run([*_compose(), "-f", str(ROOT / "docker-compose.yml"), "config"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    services = yaml.safe_load(out.stdout)["services"]
    assert {"postgis", "redis", "web", "worker", "scheduler"} <= set(services)
    assert services["worker"]["command"] == ["python", "-m", "server.worker"]
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgresql://")
