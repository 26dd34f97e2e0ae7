"""Which characters free text may hold on the way in, and what is dropped on the way out.

Why: a control character is invisible where it is typed and breaks the formats the text is
written in later. XML 1.0 cannot carry U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, a lone
surrogate, U+FFFE or U+FFFF, not even as a character reference, so one reporter's `\\x0b` made
Open311's XML list unreadable for every client; openpyxl refuses the same C0 characters, and an
XLSX is XML inside. A spreadsheet also runs a CSV cell that starts with `=`, `+`, `-` or `@` as a
formula (OWASP's "CSV injection").

- In: `problem` says why a value is refused. Free text (descriptions, notes, reasons, comments)
  keeps tab, line feed and carriage return; a one-line value (a name, an address, an id, a URL)
  refuses those too. DEL (U+007F) is refused in both: no keyboard types it and it means nothing
  in text. U+FFFE and U+FFFF are refused as XML cannot carry them. C1 controls (U+0080-U+009F)
  are kept: every format written here carries them.
- Out: text stored before the rule (or by a path that skips it) is made writable. `for_xml`
  drops what XML 1.0 cannot carry; `for_csv` does so too and puts an apostrophe before a leading
  formula character (`=`, `+`, `-`, `@`, tab, carriage return).
"""

from __future__ import annotations

import re

# C0 controls but tab, LF and CR; DEL; the two non-characters XML refuses. (NUL and lone
# surrogates are refused before, by `jsonio.text_problem`, with their own message.)
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")
# What XML 1.0's `Char` production leaves out (DEL and C1 are in it).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a line break", "\x7f": "a DEL character",
          "\ufffe": "a non-character", "\uffff": "a non-character"}


def problem(value: str, one_line: bool = False) -> str | None:
    """Why `value` cannot be accepted, naming the first character refused, or None."""
    found = (_NOT_ONE_LINE if one_line else _NOT_TEXT).search(value)
    if found is None:
        return None
    char = found.group()
    what = _NAMES.get(char, "a control character")
    where = " in a one-line field" if char in "\t\n\r" else ""
    return f"contains {what} (U+{ord(char):04X}), which is not accepted{where}"


def for_xml(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (the rest is escaped by the writer)."""
    return _NOT_XML.sub("", value)


def for_csv(value: str) -> str:
    """`value` as a spreadsheet cell's text: nothing XML cannot carry, and never a formula."""
    cleaned = for_xml(value)
    return "'" + cleaned if cleaned.startswith(FORMULA_START) else cleaned
