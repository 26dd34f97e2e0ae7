"""bench/ as code (issue 15, item 7): a package run as `python -m bench...`, no `sys.path` edits,
no module over the project's 400-line guideline without a reason at its top, type-checked with
the product and not shipped in its wheel; and `make bench`'s rows are those bench/README.md
documents, in its order."""

from __future__ import annotations

import ast
import fnmatch
import importlib
import re
import tomllib

from tests.e2e.procs import ROOT

BENCH = ROOT / "bench"
LIMIT = 400


def _modules() -> list[tuple[str, str]]:
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
            for p in sorted(BENCH.rglob("*.py")) if "results" not in p.parts]


def test_bench_is_a_package_that_edits_no_import_path():
    assert (BENCH / "__init__.py").exists() and (BENCH / "__main__.py").exists()
    edits = [path for path, text in _modules() if "sys.path" in text]
    assert edits == []


def test_no_bench_module_is_over_the_guideline_without_a_reason_at_its_top():
    too_long = []
    for path, text in _modules():
        doc = ast.get_docstring(ast.parse(text)) or ""
        if len(text.splitlines()) > LIMIT and f"over {LIMIT} lines" not in doc.lower():
            too_long.append(path)
    assert too_long == []


def test_bench_is_type_checked_and_not_shipped():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "bench" in config["tool"]["mypy"]["files"]
    shipped = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(fnmatch.fnmatch(name, pattern) for pattern in shipped
                   for name in ("bench", "bench.rows", "bench.live_push"))


def test_the_rows_are_the_readmes_in_its_order():
    readme = (BENCH / "README.md").read_text(encoding="utf-8")
    table = readme.split("## The rows", 1)[1].split("\n\n", 2)[1]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)
    rows = importlib.import_module("bench.rows").ROWS
    assert documented == list(rows)
