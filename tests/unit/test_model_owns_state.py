"""The case changes through its own methods (issue 15): the use cases and rule steps around the
model (`fieldwork`, `followup`, `supervision`, `timers`) never assign a field of an incident or a
complaint themselves. Only the planning bookkeeping `timers_planned_at` (when the round's timers
were stored, not a state of the case) is written from outside."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AROUND_THE_MODEL = ("fieldwork", "followup", "supervision", "timers")
CASE_NAMES = {"incident", "inc", "case", "complaint", "stored"}
BOOKKEEPING = {"timers_planned_at"}


def assignments_to_the_case(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for t in ast.walk(target):
                if (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                        and t.value.id in CASE_NAMES and t.attr not in BOOKKEEPING):
                    found.append(f"line {t.lineno}: {t.value.id}.{t.attr}")
    return found


@pytest.mark.parametrize("module", AROUND_THE_MODEL)
def test_the_use_cases_leave_the_case_to_its_methods(module: str) -> None:
    source = (ROOT / "dispatch" / f"{module}.py").read_text(encoding="utf-8")
    assert assignments_to_the_case(source) == []


def test_the_check_sees_a_field_assignment() -> None:
    assert assignments_to_the_case("incident.feedback_due = at\n") == [
        "line 1: incident.feedback_due"]
    assert assignments_to_the_case("complaint.reply, x = a, b\n") == ["line 1: complaint.reply"]
    assert assignments_to_the_case("incident.timers_planned_at = now\n") == []
