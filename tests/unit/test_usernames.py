"""The one spelling of a user name (dispatch/usernames.py): what sign-in, its throttle, the
commands and the storage all key on. A table of the spellings people and attackers type, the
function's idempotence, and sign-in itself on the fake unit of work."""

from __future__ import annotations

import unicodedata

import pytest

from dispatch.errors import Unauthorized
from dispatch.identity import authenticate, deactivate_user
from dispatch.usernames import MAX_LENGTH, normalize, problem
from tests.unit.fakes import World, new_world
from tests.unit.ids import ascii_id

SPELLINGS_OF_NAME = [
    "name", " name", "name ", "name\t", "\tname\n", "\u3000name", "name\u00a0", "\u2003name",
    "NAME", "Name", "ｎａｍｅ", "ＮＡＭＥ", "name\u200b", "\u200dna\u200cme", "\ufeffname",
    "\u200ename\u202c", "\u2060name", "name\r\n", "\x1fname\x1c", "\x85name",
]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_NAME,
                         ids=[ascii_id(s) for s in SPELLINGS_OF_NAME])
def test_every_spelling_of_a_name_is_the_name(spelling: str) -> None:
    assert normalize(spelling) == "name"


@pytest.mark.parametrize(("given", "spelled"), [
    ("Demo-Officer", "demo-officer"), ("officer-４１９００１１０２", "officer-419001102"),
    ("Zhang   San", "zhang san"), ("zhang\u3000san", "zhang san"), ("ＺＨＡＮＧ\tsan", "zhang san"),
    ("Straße", "strasse"), ("ﬁeld", "field"), ("Ⅻ", "xii"), ("张三", "张三"),
    ("张\u3000三", "张 三"), ("", ""), ("   \u3000\t", ""),
])
def test_the_spelling_folds_width_case_and_spaces_and_keeps_letters(given: str,
                                                                   spelled: str) -> None:
    assert normalize(given) == spelled


# The Basic Multilingual Plane, the mathematical letters and digits, the enclosed letters, the
# tags (invisible format characters): where compatibility forms, spaces and cases live.
PLANES = [*range(0xD800), *range(0xE000, 0x10000), *range(0x1D400, 0x1D800),
          *range(0x1F100, 0x1F200), *range(0xE0000, 0xE0080)]


def test_the_spelling_is_idempotent() -> None:
    """normalize(normalize(x)) == normalize(x): a stored name is looked up as it is."""
    for cp in PLANES:
        once = normalize(f"A{chr(cp)}{chr(cp)}b")
        assert normalize(once) == once, hex(cp)
        assert once == once.strip() and "  " not in once, hex(cp)
        assert not any(unicodedata.category(c) == "Cf" for c in once), hex(cp)


def test_a_new_name_is_1_to_100_characters_without_control_characters() -> None:
    assert problem("a") is None and problem("x" * MAX_LENGTH) is None
    assert problem("") and problem("x" * (MAX_LENGTH + 1))
    assert problem(normalize("na\x00me")) and problem(normalize("na\x07me"))


def test_a_refused_name_says_why() -> None:
    """The words the commands print (`create-user`, `open311-key`)."""
    assert problem("") == "is empty once its spaces are removed"
    assert problem("x" * (MAX_LENGTH + 1)) == "is longer than 100 characters once normalized"
    assert problem("na\x00me") == "holds a control character"
    assert problem("na\ud800me") == "holds a control character"  # a lone surrogate (Cs)


@pytest.fixture
def w() -> World:
    return new_world()


@pytest.mark.parametrize("spelling", ["OFFICER", " officer\t", "ｏｆｆｉｃｅｒ", "\u3000Officer"])
def test_sign_in_and_deactivation_find_the_account_under_any_spelling(w: World,
                                                                      spelling: str) -> None:
    assert authenticate(w.ctx, spelling, "officer").username == "officer"
    with pytest.raises(Unauthorized):
        authenticate(w.ctx, spelling, "wrong")
    assert deactivate_user(w.ctx, spelling).username == "officer"
    with pytest.raises(Unauthorized):
        authenticate(w.ctx, "officer", "officer")
