"""mypy runs strict over every package the product ships (issue 15): the configuration says so,
and each exception names the check it turns off for which modules (the reasons are written
beside them in pyproject.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pyproject() -> dict:  # type: ignore[type-arg]  # TOML's nested tables
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_mypy_is_strict_over_every_shipped_package() -> None:
    conf = _pyproject()
    mypy = conf["tool"]["mypy"]
    assert mypy["strict"] is True
    shipped = [p.rstrip("*") for p in conf["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert set(shipped) <= set(mypy["files"])


def test_each_exception_is_narrow() -> None:
    for override in _pyproject()["tool"]["mypy"].get("overrides", []):
        assert all("*" not in m for m in override["module"]), override
        relaxed = {k for k in override if k != "module"}
        assert relaxed and relaxed <= {"disable_error_code", "disallow_subclassing_any"}, override
