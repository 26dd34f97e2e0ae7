"""The domain stays plain Python: DESIGN.md point 3, enforced."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("flask", "flask_socketio", "socketio", "redis", "rq", "gevent")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_and_geo_import_no_framework_and_only_storage_speaks_sql():
    offenders = []
    for package in ("dispatch", "geo"):
        for path in (ROOT / package).rglob("*.py"):
            imported = _imports(path)
            bad = imported & set(FRAMEWORKS)
            in_storage = "storage" in path.relative_to(ROOT).parts
            if {"sqlalchemy", "geoalchemy2", "alembic"} & imported and not in_storage:
                bad.add("sqlalchemy")
            if package == "geo" and {"dispatch", "server", "mobile_api"} & imported:
                bad.add("dispatch/server")
            if bad:
                offenders.append((str(path.relative_to(ROOT)), sorted(bad)))
    assert offenders == []


def test_importing_the_app_package_builds_nothing():
    """In a fresh interpreter, so this process keeps the modules (and the bound Socket.IO) that
    other tests use."""
    import subprocess
    import sys
    check = (
        "import server, server.wsgi as wsgi\n"
        "from server.extensions import socketio\n"
        "assert socketio.server is None  # bound only by create_app\n"
        "assert callable(server.create_app) and callable(wsgi.create)\n"
        "assert not hasattr(wsgi, 'app')  # gunicorn's entry: a factory, not an app\n"
    )
    out = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
