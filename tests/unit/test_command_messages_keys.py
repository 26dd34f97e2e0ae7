"""The command center's sentences (pages/command/messages.py) name each key once per language:
a key written twice in a dict literal silently keeps the last, which is how "next deadline"
once became "next page" on the board's header."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "pages" / "command" / "messages.py"


def duplicated_keys(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            seen: set[str] = set()
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    if key.value in seen:
                        found.append(key.value)
                    seen.add(key.value)
    return found


def test_no_sentence_key_is_written_twice() -> None:
    assert duplicated_keys(SOURCE.read_text(encoding="utf-8")) == []


def test_the_check_sees_a_key_written_twice() -> None:
    assert duplicated_keys('X = {"a": 1, "b": 2, "a": 3}\n') == ["a"]
