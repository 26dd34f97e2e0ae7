"""Test ids that survive a second pytest session in one process.

pytest escapes an explicit id (`ids=`) that holds non-ASCII or unprintable characters, and in a
process that runs several sessions (mutmut collects once, then runs the tests of each mutant) it
escapes it again: the id the first session recorded is then "not found", and `make mutate`
stops. An id already in printable ASCII without a backslash needs no escaping.
"""

from __future__ import annotations


def ascii_id(text: str) -> str:
    """`text` in printable ASCII, every other character as <U+XXXX>."""
    return "".join(c if " " <= c <= "~" and c != "\\" else f"<U+{ord(c):04X}>" for c in text)
