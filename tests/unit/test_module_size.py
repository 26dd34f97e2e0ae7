"""No module over the project's 400-line guideline (DESIGN 13) without a reason written at its
top (issue 15): every Python module the project ships or runs (the packages, `bench/`,
`scripts/`, the migrations) and every page module (`.js` beside the pages). A reason is a
sentence of the module's docstring (or first comment block, for JavaScript) saying why it is
"over 400 lines"."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400
PYTHON = ("server", "dispatch", "geo", "mobile_api", "simulate", "migrations", "bench", "scripts",
          "pages")


def _python() -> list[Path]:
    return [p for top in PYTHON if (ROOT / top).exists() for p in sorted((ROOT / top).rglob("*.py"))
            if "results" not in p.parts]


def _scripts() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.js"))
            if not {"vendor", "node_modules", ".venv", "mutants"} & set(p.parts)
            and ".min." not in p.name]


def _has_reason(path: Path, text: str) -> bool:
    if path.suffix == ".py":
        head = ast.get_docstring(ast.parse(text)) or ""
    else:
        head = "\n".join(line for line in text.splitlines()[:15])
    return f"over {LIMIT} lines" in head.lower()


def test_no_module_is_over_the_guideline_without_a_reason_at_its_top() -> None:
    too_long = []
    for path in _python() + _scripts():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > LIMIT and not _has_reason(path, text):
            too_long.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
    assert too_long == []


def test_the_check_reads_the_reason_at_the_top() -> None:
    assert _has_reason(Path("x.py"), '"""Why this is over 400 lines: one table."""\n')
    assert not _has_reason(Path("x.py"), '"""A module."""\n# over 400 lines\n')
    assert _has_reason(Path("x.js"), "/* Over 400 lines: the map. */\n")
