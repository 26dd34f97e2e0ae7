"""Mutation testing within CI's time (`make mutate-changed`; `make mutate` is `--all`): mutate
again only the rule modules whose source or unit tests changed since the committed baseline,
docs/mutation-baseline.json, and judge them with the others' figures from it. Exit 1 when a
module or the total kills under `--min` percent of its mutants; 2 when mutmut did not finish; 3
when it ran past `--budget` seconds (CI's bound: commit the baseline with the change instead).

The baseline holds per rule module the SHA-256 of its source and of the unit test files mutmut
ran against its mutants (its stats; the fake unit of work counts as one for the modules whose
tests use it), its mutants and kills; and one hash of SHARED and [tool.mutmut]. A module is run
again when it is not in the baseline, its source or one of its test files changed or is gone,
or it is below the minimum there (new tests may lift it); all are when the shared hash changed.
A new test file alone re-runs nothing else (it can only kill more); nor does a change in what a
module calls (the full run checks that). The baseline is rewritten: commit it with the change.

    python -m scripts.mutate_changed [--all | --only GLOB...] [--min 90] [--baseline PATH]
                                    [--budget SECONDS] [--list]
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from scripts.mutation_report import counted_and_killed, module_codes, mutated_files, outcome

BASELINE = Path("docs/mutation-baseline.json")
# What every unit test runs with: a change here can move any module's figures.
SHARED = ("tests/__init__.py", "tests/conftest.py", "tests/unit/__init__.py")
FAKE = "tests/unit/fakes.py"  # counted a test file of each module whose test files use it


class Entry(TypedDict):
    source: str
    tests: dict[str, str]
    mutants: int
    killed: int
    rate: float


class Baseline(TypedDict):
    shared: str
    modules: dict[str, Entry]


@dataclass(frozen=True)
class Tree:
    """The hashes the figures depend on, as the tree is now."""
    shared: str
    sources: dict[str, str]  # rule module -> SHA-256 of its source
    tests: dict[str, str]  # unit test file -> SHA-256


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_tree(root: Path) -> Tree:
    conf = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    shared = hashlib.sha256(json.dumps(conf, sort_keys=True).encode("utf-8"))
    for name in SHARED:
        path = root / name
        shared.update(name.encode("utf-8") + b"\0" + (path.read_bytes() if path.exists() else b""))
    return Tree(shared.hexdigest(),
                {str(rel): sha256(root / rel) for rel in mutated_files(root)},
                {p.relative_to(root).as_posix(): sha256(p)
                 for p in sorted((root / "tests" / "unit").rglob("*.py"))})


def select(tree: Tree, baseline: Baseline | None, minimum: float) -> dict[str, str]:
    """The rule modules to mutate again, each with its reason, in the tree's order."""
    if baseline is None:
        return dict.fromkeys(tree.sources, "no baseline")
    if baseline["shared"] != tree.shared:
        return dict.fromkeys(tree.sources, f"changed: {', '.join(SHARED)} or [tool.mutmut]")
    chosen = {}
    for module, digest in tree.sources.items():
        entry = baseline["modules"].get(module)
        if entry is None:
            chosen[module] = "not in the baseline"
        elif entry["source"] != digest:
            chosen[module] = "its source changed"
        elif changed := sorted(t for t, d in entry["tests"].items() if tree.tests.get(t) != d):
            chosen[module] = "its tests changed: " + ", ".join(changed)
        elif entry["killed"] < entry["mutants"] * minimum / 100:  # new tests may lift it
            chosen[module] = "below the minimum in the baseline"
    return chosen


def dotted(module: str) -> str:
    """A module's name as mutmut writes it in its mutants' names: dispatch/x.py -> dispatch.x"""
    return module.removesuffix(".py").replace("/", ".")


def mutmut_command(names: list[str]) -> list[str]:
    """`mutmut run` on these mutant names (all of them when empty), from this Python's venv."""
    return [str(Path(sys.executable).with_name("mutmut")), "run", *names]


def run_mutmut(root: Path, modules: list[str], everything: bool,
               budget: float | None = None) -> int | None:
    """A fresh `mutmut run` (mutants/ is mutmut's scratch directory), its log in mutants/.
    None when it ran past `budget` seconds: then it is stopped, with the workers it forked (its
    own process group), so that CI's time stays bounded whatever a change touched."""
    shutil.rmtree(root / "mutants", ignore_errors=True)
    (root / "mutants").mkdir()
    names = [] if everything else [dotted(m) + ".*" for m in modules]
    with open(root / "mutants" / "run.log", "w", encoding="utf-8") as log:
        child = subprocess.Popen(mutmut_command(names), cwd=root, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return child.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return None


def tests_by_module(root: Path) -> dict[str, set[str]]:
    """The unit test files mutmut runs against each module's mutants (its stats)."""
    stats = json.loads((root / "mutants" / "mutmut-stats.json").read_text("utf-8"))
    found: dict[str, set[str]] = defaultdict(set)
    for function, tests in stats["tests_by_mangled_function_name"].items():
        found[function.rpartition(".")[0]].update(t.partition("::")[0] for t in tests)
    for files in found.values():
        if any("fakes" in (root / t).read_text("utf-8") for t in files if (root / t).exists()):
            files.add(FAKE)
    return found


def measure(root: Path, tree: Tree, module: str, tests: set[str]) -> Entry | None:
    """A module's figures from the last run; None if mutmut left some of its mutants unrun."""
    codes = module_codes(root, Path(module))
    counts = Counter(outcome(c) for c in (codes or {}).values())
    if codes is None or counts["not checked"]:
        return None
    mutants, killed = counted_and_killed(counts)
    return Entry(source=tree.sources[module],
                 tests={t: tree.tests[t] for t in sorted(tests) if t in tree.tests},
                 mutants=mutants, killed=killed,
                 rate=round(100.0 * killed / mutants, 1) if mutants else 100.0)


def judge(figures: dict[str, Entry], rerun: set[str], minimum: float) -> bool:
    """Print the figures; True when every module and the total reach `minimum`."""
    print(f"{'module':<34} {'mutants':>7} {'killed':>7} {'rate':>7}  from")
    ok, mutants, killed = True, 0, 0
    for module, e in sorted(figures.items()):
        low = e["mutants"] > 0 and 100.0 * e["killed"] / e["mutants"] < minimum
        ok = ok and not low
        mutants, killed = mutants + e["mutants"], killed + e["killed"]
        print(f"{module:<34} {e['mutants']:>7} {e['killed']:>7} {e['rate']:>6.1f}%  "
              f"{'this run' if module in rerun else 'baseline'}{'  BELOW' if low else ''}")
    rate = 100.0 * killed / mutants if mutants else 100.0
    print(f"{'total':<34} {mutants:>7} {killed:>7} {rate:>6.1f}%")
    if not (ok := ok and rate >= minimum):
        print(f"below {minimum:g}%: the total or a module marked BELOW", file=sys.stderr)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="mutate every rule module")
    parser.add_argument("--only", nargs="+", default=[], metavar="GLOB",
                        help="mutate these rule modules (paths or globs), changed or not")
    parser.add_argument("--min", type=float, default=90.0, help="kill rate to reach (%%)")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--budget", type=float, metavar="SECONDS",
                        help="stop mutmut and fail (exit 3) when it runs longer than this")
    parser.add_argument("--list", action="store_true",
                        help="print the modules that would be mutated and why; mutate nothing")
    args = parser.parse_args(argv)

    root = Path(".")
    tree = read_tree(root)
    baseline: Baseline | None = (json.loads(args.baseline.read_text("utf-8"))
                                 if args.baseline.exists() else None)
    chosen = (dict.fromkeys(tree.sources, "--all") if args.all else
              {m: "--only" for m in tree.sources if any(fnmatch.fnmatch(m, g) for g in args.only)}
              if args.only else select(tree, baseline, args.min))
    if args.only and not chosen:
        parser.error(f"no rule module matches {' '.join(args.only)}")
    for module, why in chosen.items():
        print(f"to mutate: {module} ({why})")
    if args.list:
        return 0
    measured: dict[str, Entry] = {}
    if chosen:
        start = time.monotonic()
        code = run_mutmut(root, list(chosen), everything=chosen.keys() == tree.sources.keys(),
                          budget=args.budget)
        if code is None:
            print(f"mutmut did not finish {len(chosen)} module(s) within the budget of "
                  f"{args.budget:g} s: run `make mutate-changed` before pushing and commit "
                  f"the {args.baseline} it rewrites with the change", file=sys.stderr)
            return 3
        tests = tests_by_module(root) if (root / "mutants" / "mutmut-stats.json").exists() else {}
        for module in chosen:
            entry = measure(root, tree, module, tests.get(dotted(module), set()))
            if entry is None or (code != 0 and entry["mutants"]):
                log = (root / "mutants" / "run.log").read_text("utf-8", errors="replace")[-3000:]
                print(f"{log}\nmutmut did not finish {module} (exit {code})", file=sys.stderr)
                return 2
            measured[module] = entry
        print(f"mutmut ran {len(chosen)} module(s) in {time.monotonic() - start:.0f} s")
    else:
        print("no rule module or its unit tests changed since the baseline, none below it")
    kept = baseline["modules"] if baseline and baseline["shared"] == tree.shared else {}
    figures = {m: e for m, e in kept.items() if m in tree.sources} | measured
    if measured:
        new = Baseline(shared=tree.shared, modules=dict(sorted(figures.items())))
        args.baseline.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0 if judge(figures, set(measured), args.min) else 1


if __name__ == "__main__":
    sys.exit(main())
