"""The wheel carries every file the product reads at run time besides its modules: the pages'
templates, modules, stylesheets, icons and vendored libraries, the demo boundaries, Alembic's
template. The Docker image installs the wheel (`uv sync --no-editable`), not the checkout: a file
left out of pyproject.toml's package-data is a page that fails only there (the command center's
templates once were)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _package_data() -> set[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped: set[Path] = set()
    for package, patterns in config["tool"]["setuptools"]["package-data"].items():
        base = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            shipped |= {p for p in base.glob(pattern) if p.is_file()}
    return shipped


def _needed() -> set[Path]:
    """What the running product opens: whatever a page serves or renders, and the data files."""
    pages = {p for folder in ("templates", "static")
             for p in (ROOT / "pages").rglob(f"{folder}/**/*")
             if p.is_file() and "__pycache__" not in p.parts}
    return pages | set((ROOT / "geo" / "data").glob("*.geojson")) | {
        ROOT / "migrations" / "script.py.mako"}


def test_every_file_a_page_serves_is_in_the_wheel() -> None:
    needed = _needed()
    assert len(needed) >= 40  # the command center's, the public page's, the shared modules
    assert {p.relative_to(ROOT).as_posix() for p in needed - _package_data()} == set()


def test_the_pages_are_a_package_the_wheel_finds() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "pages*" in config["tool"]["setuptools"]["packages"]["find"]["include"]
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    found = config["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in (p.rstrip("*") for p in found):
        assert f"COPY {package} {package}\n" in docker, package
