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
    import importlib
    import sys
    for name in [m for m in sys.modules if m.split(".")[0] in ("server", "mobile_api")]:
        del sys.modules[name]
    server = importlib.import_module("server")
    wsgi = importlib.import_module("server.wsgi")  # gunicorn's entry: a factory, not an app
    from server.extensions import socketio
    assert socketio.server is None  # bound only by create_app
    assert callable(server.create_app) and callable(wsgi.create)
    assert not hasattr(wsgi, "app")
