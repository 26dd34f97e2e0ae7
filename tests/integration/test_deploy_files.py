"""The production shape works as written: docker-compose.yml is a valid Compose file (checked
against the Compose Specification's schema, and by Compose itself when one is installed; no
container engine is installed for it), the web replicas sit behind nginx with sticky Socket.IO,
and the image lets its unprivileged user write the photo volume."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests import lb

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
ENV = {"DISPATCH_SECRET_KEY": "check-only"}
APP_SERVICES = {"migrate", "web", "worker", "scheduler"}

# -- Compose, without an engine -------------------------------------------------------------------

_VAR = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_]\w*))")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation (`$$`, `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`,
    `${VAR?e}`) applied to every string of the file, as Compose does before validating."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(5)
        op, arg = m.group(3), m.group(4)
        unset = name not in env or (op is not None and op.startswith(":") and env[name] == "")
        if op and op.endswith("?") and unset:
            raise ValueError(f"required variable {name} is missing: {arg}")
        if op and op.endswith("-") and unset:
            return arg
        return env.get(name, "")

    return _VAR.sub(one, value)


def load(text: str | None = None, env: dict[str, str] = ENV) -> dict[str, Any]:
    """The file as Compose models it before validation: YAML (anchors and `<<` merges resolved by
    the safe loader), then interpolated."""
    data = yaml.safe_load(COMPOSE.read_text() if text is None else text)
    return interpolate(data, env)  # type: ignore[no-any-return]


def schema_errors(model: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(model)]


def compose_v2() -> list[str] | None:
    """A working Compose v2 command, or None (Compose v1 is end-of-life and predates the
    specification this file follows, so it does not count)."""
    candidates = [["docker", "compose"]] if shutil.which("docker") else []
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    for cmd in candidates:
        out = subprocess.run([*cmd, "version", "--short"], capture_output=True, text=True)
        if out.returncode == 0 and re.match(r"v?([2-9]|\d{2,})\.", out.stdout.strip()):
            return cmd
    return None


def test_compose_file_matches_the_compose_specification() -> None:
    assert schema_errors(load()) == []


def test_compose_itself_accepts_the_file_when_installed() -> None:
    """With a Compose v2 here, its own `config` must accept the file (it needs no daemon); without
    one, the schema above is the check. Either way nothing is installed for it."""
    cmd = compose_v2()
    if cmd is None:
        assert schema_errors(load()) == []
        return
    out = subprocess.run([*cmd, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True,
                         text=True, env={**os.environ, **ENV}, cwd=ROOT)
    assert out.returncode == 0, out.stderr


def test_the_schema_is_the_vendored_one_and_it_bites() -> None:
    """The schema is the file its provenance note names, and it refuses what Compose refuses."""
    note = (ROOT / "tests" / "data" / "compose-spec.md").read_text()
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() in note
    assert (ROOT / "tests" / "data" / "compose-spec.LICENSE").read_text().count("Apache License")
    good = COMPOSE.read_text()
    broken = {
        "unknown service key": good.replace("    expose:\n", "    exposes:\n", 1),
        "replicas not a number": good.replace("replicas: 2", "replicas: [2]", 1),
        "depends_on condition unknown": good.replace("condition: service_healthy",
                                                     "condition: when_ready", 1),
        "unknown top-level key": good + "\nservice:\n  web: {}\n",
    }
    for what, text in broken.items():
        assert text != good, what
        assert schema_errors(load(text)), what


def test_interpolation_requires_the_secret_and_honours_port() -> None:
    with pytest.raises(ValueError, match="DISPATCH_SECRET_KEY"):
        load(env={})
    assert load(env={**ENV, "PORT": "8088"})["services"]["lb"]["ports"] == ["8088:80"]
    assert load()["services"]["lb"]["ports"] == ["5000:80"]
    assert interpolate("$$HOME ${A:-x} ${A-y} $B", {"A": "", "B": "b"}) == "$HOME x  b"


# -- the project's own checks ------------------------------------------------------------

def services() -> dict[str, Any]:
    return load()["services"]  # type: ignore[no-any-return]


def test_the_production_services_are_there() -> None:
    svc = services()
    assert {"postgis", "redis", "lb", *APP_SERVICES} <= set(svc)
    assert svc["worker"]["command"] == ["python", "-m", "server.worker"]
    assert svc["scheduler"]["command"] == ["python", "-m", "server.scheduler"]
    assert svc["migrate"]["command"] == ["python", "-m", "server", "upgrade-db"]
    assert svc["web"]["deploy"]["replicas"] >= 2
    for name in APP_SERVICES:
        env = svc[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://"), name
        assert env["REDIS_URL"].startswith("redis://"), name
        assert env["DISPATCH_SECRET_KEY"] == ENV["DISPATCH_SECRET_KEY"], name


def test_only_the_load_balancer_is_published_and_it_fronts_web() -> None:
    svc = services()
    published = {name for name, s in svc.items() if s.get("ports")}
    assert published == {"lb"}
    assert [str(p) for p in svc["web"]["expose"]] == ["5000"]
    lb_svc = svc["lb"]
    assert lb_svc["image"].startswith("nginx:")
    assert lb_svc["ports"] == ["5000:80"]
    assert "web" in lb_svc["depends_on"]
    [mount] = [v for v in lb_svc["volumes"] if v.split(":")[1] == "/etc/nginx/nginx.conf"]
    source = ROOT / mount.split(":")[0]
    assert source == ROOT / "deploy" / "nginx.conf" and source.is_file()
    # The container port, the upstream and the web port agree with the nginx file.
    conf = source.read_text()
    assert lb.LISTEN in conf and lb.UPSTREAM in conf
    assert svc["web"]["healthcheck"]["test"][-1].count("127.0.0.1:5000/")
    # Per-address throttling must see the client, not nginx: web trusts exactly one proxy hop.
    assert svc["web"]["environment"]["DISPATCH_TRUSTED_PROXY_HOPS"] == "1"
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in conf


def test_every_app_service_mounts_the_photo_volume_at_the_photo_dir() -> None:
    data = load()
    assert "photos" in data["volumes"]
    for name in APP_SERVICES:
        svc = data["services"][name]
        photo_dir = svc["environment"]["DISPATCH_PHOTO_DIR"]
        assert f"photos:{photo_dir}" in svc["volumes"], name


# -- the image ------------------------------------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instr, _, rest = line.partition(" ")
            out.append((instr.upper(), rest.strip()))
    return out


def test_the_image_runs_unprivileged_and_owns_the_photo_volume() -> None:
    """A named volume starts as a copy of the image's folder at its mount point, owner included:
    the app user can write photos only if the image made that folder its own."""
    steps = dockerfile()
    users = [(i, arg) for i, (instr, arg) in enumerate(steps) if instr == "USER"]
    assert users, "the image must not run as root"
    last_user_at, user = users[-1]
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    before = " && ".join(arg for instr, arg in steps[:last_user_at] if instr == "RUN")
    env = " ".join(arg for instr, arg in steps if instr == "ENV")
    instance = re.search(r"DISPATCH_INSTANCE_PATH=(\S+)", env)
    assert instance, "an installed package's default instance folder is not the app user's"
    photo_dir = services()["web"]["environment"]["DISPATCH_PHOTO_DIR"]
    for folder in (photo_dir, instance.group(1)):
        made = [c for c in re.split(r"&&|;", before) if "mkdir" in c]
        assert any(folder in shlex.split(c) for c in made), f"{folder} is not created"
        chowned = [shlex.split(c) for c in re.split(r"&&|;", before) if "chown" in c]
        assert any(folder in c and c[c.index("chown") + 1].split(":")[0] == user
                   for c in chowned), f"{folder} is not owned by {user}"


def test_the_image_installs_from_the_lock() -> None:
    runs = [arg for instr, arg in dockerfile() if instr == "RUN"]
    assert any("uv sync" in r and "--locked" in r for r in runs)
    copied = " ".join(arg for instr, arg in dockerfile() if instr == "COPY")
    assert "uv.lock" in copied


# -- the load balancer ----------------------------------------------------------------------

def _location(conf: str, path: str) -> str:
    m = re.search(r"location " + re.escape(path) + r" \{(.*?)\n        \}", conf, re.S)
    assert m, f"no location {path}"
    return m.group(1)


def _upstream(conf: str, location: str) -> str:
    target = re.search(r"proxy_pass http://(\w+);", location)
    assert target
    m = re.search(r"upstream " + target.group(1) + r" \{(.*?)\}", conf, re.S)
    assert m
    return m.group(1)


def test_nginx_routes_socketio_sticky_with_websocket_upgrades() -> None:
    conf = lb.NGINX_CONF.read_text()
    live = _location(conf, "/socket.io/")
    upstream = _upstream(conf, live)
    assert re.search(r"^\s*(ip_hash|hash \$\w+ consistent|hash \$\w+|sticky)\b", upstream, re.M)
    assert "proxy_http_version 1.1;" in conf
    assert re.search(r"proxy_set_header Upgrade \$http_upgrade;", live)
    assert re.search(r"proxy_set_header Connection \$connection_upgrade;", live)
    assert re.search(r"map \$http_upgrade \$connection_upgrade", conf)
    timeout = re.search(r"proxy_read_timeout (\d+)(h|m|s)?;", live)
    assert timeout
    seconds = int(timeout.group(1)) * {"h": 3600, "m": 60, "s": 1, None: 1}[timeout.group(2)]
    assert seconds > 25 + 20, "a long-poll lasts up to the ping interval plus its timeout"
    assert "proxy_set_header Host $http_host;" in live  # Socket.IO's same-origin check
    api = _location(conf, "/")
    assert "hash" not in _upstream(conf, api)  # REST is stateless: spread it
    assert "proxy_set_header Host $http_host;" in api
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in api


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(lb.render(8080, [5001, 5002]))
    out = lb.check(conf)
    assert out.returncode == 0, out.stderr
    assert "test is successful" in out.stderr
    broken = tmp_path / "broken" / "nginx.conf"
    broken.parent.mkdir()
    broken.write_text(lb.render(8080, [5001, 5002]).replace("proxy_pass http://live;",
                                                            "proxy_pass http://live"))
    assert lb.check(broken).returncode != 0
