"""The figures of a `mutmut run`: mutants, killed, survived and the kill rate, per module and in
all, read from the results mutmut leaves in mutants/ (one `<module>.py.meta` JSON per file).

A mutant no unit test reaches ("no tests") counts as a survivor: nothing would notice it. A
timeout or a crash counts as killed: the tests did not pass with it. With `--min`, the exit
status is 1 when the total rate is below that percentage, so `make mutate` fails on a drop.

    python scripts/mutation_report.py [--min 90] [--seconds N] [--survivors]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py), folded into the three outcomes that matter here.
KILLED = {1, 3, 24, -24, 152, 255, 36, 37, -11, -9}
SURVIVED = {0}
NOT_REACHED = {5, 33}
SKIPPED = {34}


def outcome(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NOT_REACHED:
        return "no tests"
    if code in SKIPPED:
        return "skipped"
    return "suspicious"


def mutated_files(root: Path) -> list[Path]:
    """The files the [tool.mutmut] section mutates, as mutmut chooses them."""
    conf = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    only, never = conf.get("only_mutate", []), conf.get("do_not_mutate", [])
    files = []
    for source in conf["source_paths"]:
        for path in sorted((root / source).rglob("*.py")):
            rel = str(path.relative_to(root))
            if only and not any(fnmatch.fnmatch(rel, p) for p in only):
                continue
            if any(fnmatch.fnmatch(rel, p) for p in never):
                continue
            files.append(Path(rel))
    return files


def module_codes(root: Path, rel: Path) -> dict[str, int | None] | None:
    """mutmut's exit code per mutant of one mutated file; None before `mutmut run`."""
    meta = root / "mutants" / (str(rel) + ".meta")
    if not meta.exists():
        return None
    codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    return codes


def counted_and_killed(c: Counter[str]) -> tuple[int, int]:
    """The mutants judged (skipped and unchecked ones left out) and those killed."""
    return sum(c.values()) - c["skipped"] - c["not checked"], c["killed"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--min", type=float, default=None, help="fail below this kill rate (%%)")
    parser.add_argument("--seconds", type=float, default=None, help="run time, to print")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args(argv)

    rows, total, survivors = [], Counter[str](), []
    for rel in mutated_files(args.root):
        codes = module_codes(args.root, rel)
        if codes is None:
            print(f"no results for {rel}: run `mutmut run` first", file=sys.stderr)
            return 2
        counts = Counter(outcome(c) for c in codes.values())
        survivors += [f"{name}: {outcome(c)}" for name, c in sorted(codes.items())
                      if outcome(c) in ("survived", "no tests", "suspicious")]
        rows.append((str(rel), counts))
        total.update(counts)

    def line(name: str, c: Counter[str]) -> str:
        counted, killed = counted_and_killed(c)
        missed = c["survived"] + c["no tests"] + c["suspicious"]
        rate = 100.0 * killed / counted if counted else 100.0
        return (f"{name:<32} {counted:>7} {c['killed']:>7} {missed:>9} {c['no tests']:>9}"
                f" {rate:>7.1f}%")

    head = ("module", "mutants", "killed", "survived", "no tests", "rate")
    print("{:<32} {:>7} {:>7} {:>9} {:>9} {:>8}".format(*head))
    for name, counts in rows:
        if sum(counts.values()):
            print(line(name, counts))
    print(line("total", total))
    if total["not checked"]:
        print(f"({total['not checked']} mutants not checked: the run was interrupted)")
    if args.seconds is not None:
        print(f"run time {args.seconds:.0f} s")
    if args.survivors:
        print("\nsurvivors (`mutmut show NAME` prints the change):")
        print("\n".join("  " + s for s in survivors))

    counted, killed = counted_and_killed(total)
    rate = 100.0 * killed / counted if counted else 100.0
    if args.min is not None and rate < args.min:
        print(f"kill rate {rate:.1f}% is below {args.min:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
