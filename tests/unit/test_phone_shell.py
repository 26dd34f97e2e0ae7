"""The phone apps' shell (pages/phone.py): its version is a hash of its files, so a deploy that
changes a file changes every url and the worker's bytes (a stale app cannot be served); only
the shell's own files are served; the worker carries the precache list, or, with the kill
switch, unregisters itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pages

import pytest
from flask import Flask

from pages.phone import IMMUTABLE, PhoneApp, PhoneSettings, Shell, register_app, shell_version


def _tree(tmp_path: Path) -> tuple[Path, PhoneSettings]:
    app, shared, vendor = tmp_path / "app", tmp_path / "shared", tmp_path / "vendor"
    (app / "static" / "icons").mkdir(parents=True)
    (app / "templates").mkdir()
    (shared).mkdir()
    (vendor / "lib").mkdir(parents=True)
    (app / "static" / "main.js").write_text("import '../shared/a.js';\n")
    (app / "static" / "icons" / "i.svg").write_text("<svg/>")
    (app / "templates" / "demo.html").write_text("<p>{{ asset('app/main.js') }}</p>")
    (shared / "a.js").write_text("export const a = 1;\n")
    (shared / "NOTES.md").write_text("not served")
    real = Path(pages.__path__[0]) / "static" / "shared"
    for name in ("sw.js", "swkill.js"):
        (shared / name).write_text((real / name).read_text())
    (vendor / "lib" / "lib.js").write_text("var lib;\n")
    (vendor / "lib" / "other.js").write_text("var other;\n")
    return app, PhoneSettings(shared_dir=shared, vendor_dir=vendor)


def _client(app_root: Path, settings: PhoneSettings):  # type: ignore[no-untyped-def]
    flask = Flask(__name__)
    phone = PhoneApp("demo", app_root, {"name": "d", "icons": [{"src": "app/icons/i.svg"}]},
                     ("lib/lib.js",), settings)
    register_app(flask, phone)
    return flask.test_client(), phone


def test_the_version_is_the_files_hash_and_changes_with_any_of_them(tmp_path: Path) -> None:
    root, settings = _tree(tmp_path)
    client, phone = _client(root, settings)
    first = phone.shell.version()
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert phone.shell.version() == first  # nothing changed
    (settings.shared_dir / "a.js").write_text("export const a = 2;\n")
    second = phone.shell.version()
    assert second != first
    (root / "templates" / "demo.html").write_text("<p>{{ asset('app/main.js') }}!</p>")
    assert phone.shell.version() not in (first, second)
    # A file the app does not use, or the notes of the shared folder, change nothing.
    third = phone.shell.version()
    (settings.vendor_dir / "lib" / "other.js").write_text("var other = 2;\n")
    (settings.shared_dir / "NOTES.md").write_text("changed")
    assert phone.shell.version() == third
    assert shell_version([("a", b"1")], "r1") != shell_version([("a", b"1")], "r2")


def test_only_the_shells_files_are_served_immutable_under_the_current_version(
        tmp_path: Path) -> None:
    root, settings = _tree(tmp_path)
    client, phone = _client(root, settings)
    v = phone.shell.version()
    r = client.get(f"/m/demo/v/{v}/shared/a.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == IMMUTABLE
    old = client.get("/m/demo/v/000000000000/shared/a.js")
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-store"
    for path in ("shared/NOTES.md", "vendor/lib/other.js", "shared/../app/static/main.js",
                 "app/../../x", "shared/missing.js"):
        assert client.get(f"/m/demo/v/{v}/{path}").status_code == 404, path
    page = client.get("/m/demo/")
    assert f"/m/demo/v/{v}/app/main.js" in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/m/demo").headers["Location"].endswith("/m/demo/")
    manifest = json.loads(client.get("/m/demo/manifest.webmanifest").get_data(as_text=True))
    assert manifest["scope"] == "/m/demo/" and manifest["start_url"] == "/m/demo/"
    assert manifest["icons"][0]["src"] == f"/m/demo/v/{v}/app/icons/i.svg"


@pytest.mark.parametrize("classic", [False, True])
def test_the_worker_carries_the_version_and_the_precache_list(tmp_path: Path,
                                                              classic: bool) -> None:
    root, settings = _tree(tmp_path)
    client, phone = _client(root, settings)
    v = phone.shell.version()
    text = client.get("/m/demo/sw.js" + ("?classic=1" if classic else "")).get_data(as_text=True)
    shell = json.loads(re.search(r"^const SHELL = (\{.*\});$", text, re.M).group(1))
    assert shell["version"] == v and shell["page"] == "/m/demo/"
    assert sorted(shell["urls"]) == sorted(
        [f"/m/demo/v/{v}/{t}" for t in ("app/main.js", "app/icons/i.svg", "shared/a.js",
                                         "shared/sw.js", "shared/swkill.js", "vendor/lib/lib.js")]
        + ["/m/demo/manifest.webmanifest"])
    if classic:
        assert "import " not in text and "const flushInWorker = null;" in text
    else:
        assert f'import {{ flushInWorker }} from "/m/demo/v/{v}/shared/swsync.js";' in text


def test_the_kill_switch_serves_a_worker_that_unregisters_itself(tmp_path: Path) -> None:
    root, settings = _tree(tmp_path)
    killed = PhoneSettings(shared_dir=settings.shared_dir, vendor_dir=settings.vendor_dir,
                           kill_switch=True)
    client, phone = _client(root, killed)
    text = client.get("/m/demo/sw.js").get_data(as_text=True)
    assert "registration.unregister()" in text and "SHELL" not in text
    assert phone.boot()["worker_off"] is True


def test_shell_lists_files_sorted_and_by_segment(tmp_path: Path) -> None:
    root, settings = _tree(tmp_path)
    shell = Shell(folders={"app": root / "static", "shared": settings.shared_dir,
                           "vendor": settings.vendor_dir}, vendor_files=("lib/lib.js",))
    tails = [t for t, _ in shell.files()]
    assert tails == sorted(tails) and "vendor/lib/lib.js" in tails
    assert "vendor/lib/other.js" not in tails and "shared/NOTES.md" not in tails


def test_a_page_extends_the_shared_templates_which_count_in_the_version(tmp_path: Path) -> None:
    root, settings = _tree(tmp_path)
    shared = tmp_path / "templates"
    shared.mkdir()
    (shared / "base.html").write_text("<main>{% block body %}{% endblock %}</main>")
    (root / "templates" / "demo.html").write_text(
        "{% extends 'base.html' %}{% block body %}{{ asset('app/main.js') }}{% endblock %}")
    client, phone = _client(root, PhoneSettings(shared_dir=settings.shared_dir,
                                                vendor_dir=settings.vendor_dir,
                                                templates_dir=shared))
    first = phone.shell.version()
    page = client.get("/m/demo/").get_data(as_text=True)
    assert page == f"<main>/m/demo/v/{first}/app/main.js</main>"
    (shared / "base.html").write_text("<main class=x>{% block body %}{% endblock %}</main>")
    assert phone.shell.version() != first
