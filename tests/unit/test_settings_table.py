"""The README's configuration table is the settings' own: every variable in it is a setting with
the same default, every setting is in it, and it is exactly what scripts/config_table.py prints."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from server.config import Config, env_name, from_environment

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "config_table.py"
ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| (.*?) \| (.*) \|$")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("config_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readme_rows() -> dict[str, tuple[str, str]]:
    """variable -> (default, meaning), from the table of the README's "## Configuration"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        m = ROW.match(line)
        if m:
            assert m[1] not in rows, f"{m[1]} is twice in the table"
            rows[m[1]] = (m[2], m[3])
    return rows


def test_every_variable_in_the_table_is_a_setting_with_the_same_default() -> None:
    table = _script()
    by_variable = {env_name(name): name for name in from_environment()}
    rows = _readme_rows()
    assert len(rows) >= 50
    for variable, (default, _) in rows.items():
        assert variable in by_variable, f"{variable} is in the README but is no setting"
        name = by_variable[variable]
        assert default == table.default_text(name, Config.model_fields[name]), variable


def test_every_setting_read_from_the_environment_is_in_the_table() -> None:
    rows = _readme_rows()
    missing = [env_name(name) for name in from_environment() if env_name(name) not in rows]
    assert missing == []


def test_the_settings_that_are_no_variables_are_not_in_the_table() -> None:
    rows = _readme_rows()
    for name in Config.NOT_FROM_ENVIRONMENT:
        assert name in Config.model_fields and env_name(name) not in rows


def test_the_table_is_what_the_script_prints_meaning_included() -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_the_check_fails_on_a_drifted_default_and_write_puts_it_right(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    row = "| `DISPATCH_ADMISSION_LIMIT` | 10 |"
    assert text.count(row) == 1
    readme.write_text(text.replace(row, "| `DISPATCH_ADMISSION_LIMIT` | 12 |"), encoding="utf-8")
    table = _script()
    assert table.main(["--check", "--readme", str(readme)]) == 1
    assert table.main(["--write", "--readme", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == text
    assert table.main(["--check", "--readme", str(readme)]) == 0


def test_a_row_missing_from_the_readme_is_seen() -> None:
    table = _script()
    printed = table.table()
    assert "| `DISPATCH_ADMISSION_WAIT_SECONDS` | 5 |" in printed
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = table.span(text)
    assert text[start:end] == printed
    shorter = text.replace("| `DISPATCH_ADMISSION_WAIT_SECONDS` | 5 |", "x", 1)
    start, end = table.span(shorter)
    assert shorter[start:end] != printed
