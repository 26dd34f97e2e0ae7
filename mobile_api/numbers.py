"""Whole numbers from query strings and form fields, read one way everywhere: ASCII digits only.

Why: Python's `int()` also reads the digits of other scripts (`'٣'`, full-width `'１'`), and
`str.isdigit()` accepts superscripts (`'²'`) that `int()` then refuses with a ValueError: one
route accepted a number no client meant to send, another answered a typo with a 500. A whole
number here is 1 to 18 of the characters 0-9 and nothing else (no sign, space, underscore or
decimal point); anything else is the caller's 400/422 naming the parameter.
"""

from __future__ import annotations

import re
from typing import Any

_DIGITS = re.compile(r"[0-9]{1,18}")  # `[0-9]`, not `\d`: `\d` matches every script's digits
EXPECTED = "a whole number: 1 to 18 of the digits 0-9, nothing else"


def whole_number(raw: str) -> int | None:
    """The number `raw` spells in ASCII digits, or None."""
    return int(raw) if _DIGITS.fullmatch(raw) else None


def query_integer(value: Any) -> Any:
    """A pydantic "before" validator for an integer query parameter: text must be ASCII digits
    (a ValueError otherwise, which names the field); anything else goes on to pydantic."""
    if isinstance(value, str):
        number = whole_number(value)
        if number is None:
            raise ValueError(EXPECTED)
        return number
    return value
