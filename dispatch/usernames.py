"""One spelling of a user name: what sign-in looks up, what the sign-in throttle counts, what
the commands (`create-user`, `deactivate-user`, `open311-key`) and every other lookup key on,
and what is stored.

Why one function: a name that reached the account under two spellings but the throttle under
only one let anyone spend a fresh budget of guesses per spelling (`" name"`, `"NAME"`, the
full-width `"ｎａｍｅ"` all signed in as `name`, each counted apart). So every place that keys
on a name calls `normalize`, and the storage keeps names normalized (migration 0010 brought the
older rows to it), so two accounts can never differ by spelling alone.

The spelling: Unicode NFKC (full-width letters and digits become ASCII, compatibility forms
their plain letter, the ideographic and no-break spaces a plain space), without the invisible
format characters (zero-width spaces and joiners, direction marks, the BOM), every run of
whitespace (tab, newline, the Unicode spaces) read as one space and none at either end, and
case folded (`casefold`, then NFKC again, as Unicode's NFKC_Casefold does).
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 100  # the column's width (users.username)


def normalize(name: str) -> str:
    """The one spelling of `name` (idempotent: normalize(normalize(x)) == normalize(x))."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = " ".join(text.split())  # str.split() splits on every Unicode whitespace
    return unicodedata.normalize("NFKC", text.casefold())


def problem(name: str) -> str | None:
    """Why `name` (normalized) cannot name a new account, or None."""
    if not name:
        return "is empty once its spaces are removed"
    if len(name) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters once normalized"
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        return "holds a control character"
    return None
