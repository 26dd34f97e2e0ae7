"""`make mutate-changed` (scripts/mutate_changed.py): which rule modules are mutated again, given
the tree's hashes and the committed baseline; and how the figures are judged."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from scripts import mutate_changed
from scripts.mutate_changed import Baseline, Entry, Tree, dotted, judge, read_tree, select


def _entry(source: str, tests: dict[str, str], mutants: int = 10, killed: int = 9) -> Entry:
    return Entry(source=source, tests=tests, mutants=mutants, killed=killed,
                 rate=100.0 * killed / mutants if mutants else 100.0)


TREE = Tree(shared="s1",
            sources={"dispatch/a.py": "a1", "dispatch/b.py": "b1", "geo/c.py": "c1"},
            tests={"tests/unit/test_a.py": "ta1", "tests/unit/test_ab.py": "tab1",
                   "tests/unit/test_c.py": "tc1"})


def _baseline(**changes: Entry) -> Baseline:
    modules = {"dispatch/a.py": _entry("a1", {"tests/unit/test_a.py": "ta1",
                                              "tests/unit/test_ab.py": "tab1"}),
               "dispatch/b.py": _entry("b1", {"tests/unit/test_ab.py": "tab1"}),
               "geo/c.py": _entry("c1", {"tests/unit/test_c.py": "tc1"})}
    return Baseline(shared="s1", modules=modules | changes)


def test_nothing_is_mutated_again_when_nothing_changed() -> None:
    assert select(TREE, _baseline(), 90.0) == {}


def test_a_changed_source_re_runs_that_module_alone() -> None:
    tree = Tree(TREE.shared, TREE.sources | {"dispatch/b.py": "b2"}, TREE.tests)
    assert select(tree, _baseline(), 90.0) == {"dispatch/b.py": "its source changed"}


def test_a_changed_test_file_re_runs_every_module_it_reaches() -> None:
    tree = Tree(TREE.shared, TREE.sources, TREE.tests | {"tests/unit/test_ab.py": "tab2"})
    assert select(tree, _baseline(), 90.0) == {
        "dispatch/a.py": "its tests changed: tests/unit/test_ab.py",
        "dispatch/b.py": "its tests changed: tests/unit/test_ab.py"}


def test_a_removed_test_file_re_runs_its_modules_and_a_new_one_nothing() -> None:
    tests = {k: v for k, v in TREE.tests.items() if k != "tests/unit/test_c.py"}
    tree = Tree(TREE.shared, TREE.sources, tests | {"tests/unit/test_new.py": "n1"})
    assert select(tree, _baseline(), 90.0) == {
        "geo/c.py": "its tests changed: tests/unit/test_c.py"}


def test_a_module_new_to_the_baseline_is_mutated_and_a_gone_one_forgotten() -> None:
    tree = Tree(TREE.shared, TREE.sources | {"dispatch/d.py": "d1"}, TREE.tests)
    baseline = _baseline(**{"dispatch/gone.py": _entry("g1", {})})
    assert select(tree, baseline, 90.0) == {"dispatch/d.py": "not in the baseline"}


def test_a_module_below_the_minimum_is_mutated_again_whatever_changed() -> None:
    at = _entry("c1", {"tests/unit/test_c.py": "tc1"}, 100, 90)
    below = _entry("c1", {"tests/unit/test_c.py": "tc1"}, 100, 89)
    empty = _entry("c1", {}, 0, 0)
    assert select(TREE, _baseline(**{"geo/c.py": at}), 90.0) == {}
    assert select(TREE, _baseline(**{"geo/c.py": empty}), 90.0) == {}
    assert select(TREE, _baseline(**{"geo/c.py": below}), 90.0) == {
        "geo/c.py": "below the minimum in the baseline"}
    assert select(TREE, _baseline(**{"geo/c.py": below}), 89.0) == {}


def test_a_changed_conftest_or_no_baseline_re_runs_everything() -> None:
    every = list(TREE.sources)
    assert list(select(TREE, None, 90.0)) == every
    assert set(select(TREE, None, 90.0).values()) == {"no baseline"}
    changed = select(Tree("s2", TREE.sources, TREE.tests), _baseline(), 90.0)
    assert list(changed) == every
    assert all("tests/conftest.py" in why for why in changed.values())


def test_the_shared_hash_follows_the_conftest_and_the_mutmut_table(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "tests/conftest.py", "tests/unit/fakes.py",
                 "tests/unit/test_x.py", "dispatch/a.py", "dispatch/storage/sql.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mutmut]\nsource_paths = ["dispatch"]\nonly_mutate = ["dispatch/*.py"]\n'
        'do_not_mutate = ["dispatch/storage/*"]\n')
    first = read_tree(tmp_path)
    assert list(first.sources) == ["dispatch/a.py"]
    assert list(first.tests) == ["tests/unit/fakes.py", "tests/unit/test_x.py"]
    (tmp_path / "tests/unit/test_x.py").write_text("x = 2\n")
    (tmp_path / "tests/unit/fakes.py").write_text("x = 2\n")  # a test file of its users
    assert read_tree(tmp_path).shared == first.shared
    (tmp_path / "tests/conftest.py").write_text("x = 2\n")
    second = read_tree(tmp_path)
    assert second.shared != first.shared
    with open(tmp_path / "pyproject.toml", "a") as f:
        f.write('also_copy = ["data"]\n')
    third = read_tree(tmp_path)
    assert (third.shared != second.shared, third.sources) == (True, second.sources)


def test_the_names_of_a_module_s_mutants() -> None:
    assert dotted("mobile_api/open311/mapping.py") == "mobile_api.open311.mapping"


def test_every_module_must_reach_the_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    at = {"a.py": _entry("a", {}, 10, 9), "b.py": _entry("b", {}, 0, 0)}  # 90 %, no mutants
    assert judge(at, {"a.py"}, 90.0)
    assert not judge(at | {"c.py": _entry("c", {}, 100, 89)}, set(), 90.0)
    below = [ln.split()[0] for ln in capsys.readouterr().out.splitlines() if ln.endswith("BELOW")]
    assert below == ["c.py"]


def test_a_module_s_tests_are_those_mutmut_ran_and_the_fake_if_they_use_it(tmp_path: Path
                                                                           ) -> None:
    unit = tmp_path / "tests" / "unit"
    unit.mkdir(parents=True)
    (unit / "test_geo.py").write_text("from geo import crs\n")
    (unit / "test_rules.py").write_text("from tests.unit.fakes import new_world\n")
    (tmp_path / "mutants").mkdir()
    (tmp_path / "mutants" / "mutmut-stats.json").write_text(json.dumps({
        "tests_by_mangled_function_name": {
            "geo.crs.x_to_wgs84": ["tests/unit/test_geo.py::test_a[1]"],
            "dispatch.model.xǁIncidentǁextend": ["tests/unit/test_rules.py::test_b",
                                                 "tests/unit/test_geo.py::test_c"]}}))
    assert mutate_changed.tests_by_module(tmp_path) == {
        "geo.crs": {"tests/unit/test_geo.py"},
        "dispatch.model": {"tests/unit/test_rules.py", "tests/unit/test_geo.py",
                           "tests/unit/fakes.py"}}


def test_a_run_past_its_budget_is_stopped_with_the_processes_it_forked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for mutmut that forks a worker, as mutmut does, and both outlive the budget.
    script = ("import os, subprocess, sys, time\n"
              "w = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
              "open('worker.pid', 'w').write(str(w.pid))\n"
              "time.sleep(600)\n")
    monkeypatch.setattr(mutate_changed, "mutmut_command",
                        lambda names: [sys.executable, "-c", script])
    assert mutate_changed.run_mutmut(tmp_path, ["dispatch/a.py"], False, budget=3.0) is None
    status = Path(f"/proc/{(tmp_path / 'worker.pid').read_text()}/status")
    for _ in range(100):  # killed with its group: gone, or a zombie until init reaps it
        if not status.exists() or "\nState:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    else:
        pytest.fail("mutmut's worker outlived the budget")
    monkeypatch.setattr(mutate_changed, "mutmut_command",
                        lambda names: [sys.executable, "-c", "raise SystemExit(4)"])
    assert mutate_changed.run_mutmut(tmp_path, [], True, budget=60.0) == 4


def _tiny_tree(root: Path) -> None:
    for name in ("tests/conftest.py", "tests/unit/test_a.py", "dispatch/a.py", "dispatch/b.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")
    (root / "pyproject.toml").write_text(
        '[tool.mutmut]\nsource_paths = ["dispatch"]\nonly_mutate = ["dispatch/*.py"]\n')


def test_list_names_the_modules_and_mutates_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tiny_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    tree = read_tree(tmp_path)
    baseline = Baseline(shared=tree.shared, modules={
        "dispatch/a.py": _entry(tree.sources["dispatch/a.py"], {}, 10, 10)})
    (tmp_path / "baseline.json").write_text(json.dumps(baseline))
    monkeypatch.setattr(mutate_changed, "run_mutmut", lambda *a, **k: pytest.fail("mutated"))
    assert mutate_changed.main(["--list", "--baseline", "baseline.json"]) == 0
    assert capsys.readouterr().out == "to mutate: dispatch/b.py (not in the baseline)\n"
    assert json.loads((tmp_path / "baseline.json").read_text()) == baseline


def test_past_the_budget_the_run_fails_and_keeps_the_baseline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tiny_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    budgets = []
    monkeypatch.setattr(mutate_changed, "run_mutmut",
                        lambda root, modules, everything, budget=None: budgets.append(budget))
    assert mutate_changed.main(["--budget", "600", "--baseline", "baseline.json"]) == 3
    assert budgets == [600.0]
    assert "within the budget of 600 s" in capsys.readouterr().err
    assert not (tmp_path / "baseline.json").exists()
