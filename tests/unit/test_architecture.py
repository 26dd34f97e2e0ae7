"""The layering, enforced: DESIGN.md point 3 and issue 7's one composition root.

The rules themselves are import-linter contracts in pyproject.toml ([tool.importlinter]), run by
`make test` and `make lint` (`lint-imports`) and here, so that a plain `pytest` checks them too:
server (the composition root) > pages (the pages people open) > mobile_api (the API) >
dispatch (the domain) > geo; the domain and geo import no web framework, Socket.IO, Redis, rq,
werkzeug or gevent; only dispatch.storage and server speak SQL; only server reaches
dispatch.storage; none of them imports bench/ (the benchmarks, a dev tool); simulate/ knows only
geo (and UTC+8) of the product. (They replace the AST walk this file used to make, which saw the
domain's imports only.) Cycles between modules are checked here with grimp, which import-linter
installs: its `acyclic_siblings` contract does not see a cycle through a package's own
`__init__`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "pages", "mobile_api", "dispatch", "geo", "simulate")
LINT = ("import sys\nfrom importlinter.cli import lint_imports\n"
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))\n")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}  # this tree's packages, not an installed one
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    shutil.copy(ROOT / "pyproject.toml", root)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__", "data"))
    return root


def _add_line(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "\n" + rest if sep else line + "\n" + text,
                    encoding="utf-8")


def test_the_import_contracts_are_kept():
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "9 kept, 0 broken" in out.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("dispatch/fieldwork.py", "import flask", "know no web framework"),
    ("geo/distance.py", "from redis import Redis", "know no web framework"),
    ("dispatch/timers.py", "import rq", "know no web framework"),
    ("dispatch/relay.py", "import werkzeug", "know no web framework"),
    ("dispatch/clock.py", "from sqlalchemy import select", "speak SQL"),
    ("mobile_api/units.py", "from dispatch.storage import tables", "know no storage"),
    ("mobile_api/auth.py", "from server import tokens", "Layers"),
    ("pages/command/views.py", "from server import config", "Layers"),  # settings come handed
    ("pages/public/views.py", "import server.http_policy", "Layers"),
    ("mobile_api/public.py", "from pages.public import views", "Layers"),
    ("dispatch/labels.py", "import pages.settings", "Layers"),
    ("pages/public/views.py", "from dispatch.storage import tables", "know no storage"),
    ("pages/command/session.py", "import sqlalchemy", "speak SQL"),
    ("dispatch/model.py", "import mobile_api.schemas", "Layers"),
    ("geo/crs.py", "from dispatch import model", "Layers"),
    ("server/channels.py", "from server import live", "No import cycles"),
    ("server/cli.py", "from bench.seed_cases import seed_open_cases", "never imports the bench"),
    ("dispatch/demo.py", "import bench", "never imports the bench"),
    ("simulate/run.py", "from dispatch import model", "knows only geo"),
    ("simulate/agents.py", "import server.cli", "knows only geo"),
    ("simulate/ledger.py", "from dispatch import utc", "knows only geo"),  # run.py's alone
    ("simulate/client.py", "import pages", "knows only geo"),
    ("mobile_api/meta.py", "import simulate.run", "knows the simulation"),
    ("pages/command/csp.py", "import simulate", "knows the simulation"),
    ("pages/settings.py", "import bench", "never imports the bench"),
])
def test_each_contract_catches_its_kind_of_import(tmp_path, module, line, contract):
    root = _copy(tmp_path)
    _add_line(root / module, line)
    out = _lint(root)
    assert out.returncode != 0
    broken = out.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, out.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The import cycles between modules (strongly connected components of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(
                        child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_itself_through_others():
    """Any cycle between files, a package's `__init__` included (imports inside functions count:
    they are cycles all the same, only deferred)."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_through_a_package_init():
    graph = grimp.ImportGraph()
    for module in ("server", "server.cli", "server.live", "server.realtime", "server.config"):
        graph.add_module(module)
    graph.add_import(importer="server", imported="server.cli")
    graph.add_import(importer="server.cli", imported="server")
    graph.add_import(importer="server.live", imported="server.realtime")
    graph.add_import(importer="server.realtime", imported="server.live")
    graph.add_import(importer="server.realtime", imported="server.config")
    assert sorted(_cycles(graph)) == [["server", "server.cli"], ["server.live", "server.realtime"]]


def test_importing_the_app_package_builds_nothing():
    """In a fresh interpreter, so this process keeps the modules (and the bound Socket.IO) that
    other tests use."""
    check = (
        "import sys, server\n"
        "assert 'flask' not in sys.modules  # the worker and the scheduler import `server` too\n"
        "import server.wsgi as wsgi\n"
        "from server.extensions import socketio\n"
        "assert socketio.server is None  # bound only by create_app\n"
        "assert callable(server.create_app) and callable(wsgi.create)\n"
        "assert not hasattr(wsgi, 'app')  # gunicorn's entry: a factory, not an app\n"
    )
    out = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr


def test_every_type_ignore_names_its_error_and_says_why():
    """mypy (`ignore-without-code`, `warn_unused_ignores`) checks the code and that the ignore is
    needed; the reason, on the same line, is for the next reader."""
    import re

    pattern = re.compile(r"type: ignore\[[a-z, -]+\](?!\s+#\s*\S)")
    unexplained = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("dispatch", "geo", "mobile_api", "pages", "server", "migrations")
        for path in (ROOT / package).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line and (pattern.search(line) or "type: ignore[" not in line)
    ]
    assert unexplained == []
