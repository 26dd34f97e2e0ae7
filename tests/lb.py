"""deploy/nginx.conf made runnable on this machine: the compose file's names replaced by local
addresses, nothing else changed, so the tests check and run the very file that is deployed."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# What the file says for the compose network (docker-compose.yml: web exposes 5000, lb maps :80).
UPSTREAM = "server web:5000;"
LISTEN = "listen 80;"
USER = "user nginx;"  # the worker user of the official nginx image


def nginx() -> str:
    """The nginx binary (scripts/ensure-tools.sh installs it; /usr/sbin is not on every PATH)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    assert found, "nginx is missing: run scripts/ensure-tools.sh (make test does)"
    return found


def local_user() -> str:
    """A worker user that exists here (Debian's www-data, else nobody)."""
    for name in ("www-data", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise AssertionError("no unprivileged user for nginx's workers")


def render(port: int, upstreams: list[int], text: str | None = None) -> str:
    """deploy/nginx.conf listening on 127.0.0.1:port with the given web ports as replicas."""
    text = NGINX_CONF.read_text() if text is None else text
    assert text.count(UPSTREAM) == 2 and text.count(LISTEN) == 1 and text.count(USER) == 1, (
        "deploy/nginx.conf changed shape: update tests/lb.py")
    servers = " ".join(f"server 127.0.0.1:{p};" for p in upstreams)
    return (text.replace(UPSTREAM, servers).replace(LISTEN, f"listen 127.0.0.1:{port};")
            .replace(USER, f"user {local_user()};"))


def args(conf: Path, test: bool = False) -> list[str]:
    """nginx's command line for a rendered file kept in its own folder (pid file there too): in
    the foreground, or `-t` to check it."""
    directives = f"pid {conf.parent / 'nginx.pid'};" + ("" if test else " daemon off;")
    return [nginx(), "-p", str(conf.parent), "-c", str(conf), "-e", "stderr", "-g", directives,
            *(["-t"] if test else [])]


def check(conf: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a rendered file."""
    return subprocess.run(args(conf, test=True), capture_output=True, text=True, timeout=30)
