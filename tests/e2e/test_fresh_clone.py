"""The repository stands alone: a clone of HEAD placed where no ../shared exists rebuilds the demo
boundaries and passes the tests that touch them, and no tracked file outside the docs reads
anything from ../shared."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOUNDARIES = Path("geo") / "data" / "jiyuan_demo_boundaries.geojson"
# A path into the shared folder beside the checkout, however it is spelt.
SHARED_PATH = re.compile(r"\.\.[/\\]+shared\b|\bshared[/\\]+data\b")
# An ES module importing its app's own `shared/` modules by URL (`import x from "../shared/a.js"`,
# or `import "../shared/a.js"`): the browser asks the server for it; no folder is read.
ES_IMPORT_TEXT = (r"(?:import|export)\b[^\n\"']*?(?:\bfrom\s+)?[\"']\.\./shared/[\w.-]+\.js[\"'];?")
ES_IMPORT = re.compile(r"\s*" + ES_IMPORT_TEXT + r"\s*$")


def git(*args: str, cwd: Path = ROOT) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_clone_with_no_shared_beside_it_rebuilds_and_passes(tmp_path: Path) -> None:
    head = git("rev-parse", "HEAD").strip()
    clone = tmp_path / "alone" / "jiyuan-311"
    clone.parent.mkdir()
    git("clone", "--quiet", "--no-checkout", str(ROOT), str(clone), cwd=tmp_path)
    git("checkout", "--quiet", "--detach", head, cwd=clone)
    assert not (clone.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PYTHONPATH=str(clone), HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")

    rebuilt = tmp_path / "rebuilt.geojson"
    out = subprocess.run([sys.executable, "scripts/build_jiyuan_demo.py", "--out", str(rebuilt)],
                         cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert rebuilt.read_bytes() == (clone / BOUNDARIES).read_bytes()

    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit",
         "tests/integration/test_deploy_files.py"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert re.search(r"\d+ passed", out.stdout) and " failed" not in out.stdout
    # The clone's own files were the ones tested, not this checkout's.
    assert str(ROOT) not in out.stdout


def test_make_installs_a_fresh_clone_from_the_lock_without_warnings(tmp_path: Path) -> None:
    """What `make run` installs before serving: uv bootstrapped, .venv synced from uv.lock, and
    not one warning printed on the way (setuptools used to print two on every install)."""
    clone = tmp_path / "jiyuan-311"
    git("clone", "--quiet", str(ROOT), str(clone), cwd=tmp_path)
    git("checkout", "--quiet", "--detach", git("rev-parse", "HEAD").strip(), cwd=clone)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT"))}
    out = subprocess.run(["make", ".venv/.base"], cwd=clone, env=env, capture_output=True,
                         text=True, timeout=900)
    output = out.stdout + out.stderr
    assert out.returncode == 0, output
    assert not re.search(r"warn|deprecat|careful", output, re.I), output
    check = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-c",
         "import server, geo.jiyuan; print(server.__file__, geo.jiyuan.DEMO_BOUNDARIES_PATH)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(str(clone)), check.stdout  # the clone's code, editable


def _python_paths(source: str) -> list[str]:
    """String constants of a module that are not docstrings (docs may name ../shared)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def _reads_shared(path: Path) -> list[str]:
    """What in a tracked file points into ../shared: a string that spells the path, or a path
    built from the parent folder and "shared"; comments and docstrings do not count."""
    text = path.read_text(errors="replace")
    if path.suffix == ".py":
        strings = _python_paths(text)
        hits = [s for s in strings if SHARED_PATH.search(s) and not ES_IMPORT.match(s)]
        bare = re.sub(ES_IMPORT_TEXT, "", text)
        if "shared" in strings and re.search(r"\.parent\b|\bparents\[|[\"']\.\.[\"'/\\]", bare):
            hits.append('"shared" joined to a parent folder')
        return hits
    # A page's ES module importing its app's own `shared/` modules by URL reads no folder.
    return [line for line in text.splitlines()
            if SHARED_PATH.search(line) and not line.lstrip().startswith(("#", "//"))
            and not (path.suffix in (".js", ".mjs") and ES_IMPORT.match(line))]


def test_no_tracked_file_outside_the_docs_reads_shared() -> None:
    tracked = [ROOT / p for p in git("ls-files").splitlines()]
    docs = {".md", ".rst", ".txt", ".LICENSE"}
    offenders = {
        str(p.relative_to(ROOT)): hits
        for p in tracked
        # This file spells the bad patterns as data for the self-test below.
        if p.suffix not in docs and p.is_file() and p.stat().st_size < 2_000_000
        and p.resolve() != Path(__file__).resolve()
        and (hits := _reads_shared(p))
    }
    assert offenders == {}


def test_the_check_catches_the_ways_of_reading_shared(tmp_path: Path) -> None:
    """The scan above is only as good as what it recognises: each spelling of the old read."""
    bad = {
        "a.py": 'SHARED = REPO.parent / "shared"\n',
        "b.py": 'open("../shared/data/jiyuan/towns-seats-gcj02.csv")\n',
        "c.py": 'p = os.path.join(root, "..", "shared")\n',
        "d.sh": 'cp -r ../shared/data/jiyuan data/\n',
        "Makefile": "build:\n\tpython build.py --shared ../shared\n",
    }
    fine = {
        "e.py": '"""Built once from ../shared."""\nX = 1  # not from ../shared\n',
        "f.sh": "# ../shared is the lead's folder\necho hi\n",
    }
    for name, text in {**bad, **fine}.items():
        (tmp_path / name).write_text(text)
        assert bool(_reads_shared(tmp_path / name)) == (name in bad), name
