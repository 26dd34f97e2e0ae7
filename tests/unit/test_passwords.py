"""server/passwords.py: which hashes verify, which are replaced, and that hashing leaves the gevent
loop free."""

from __future__ import annotations

import threading

import gevent
import pytest
from werkzeug.security import generate_password_hash

from server import passwords
from server.passwords import Scheme

CHEAP = "argon2id:1:64:1"


def test_argon2_verifies_and_wants_no_rehash_when_current():
    s = Scheme(CHEAP)
    stored = s.hash("pw")
    assert stored.startswith("$argon2id$")
    assert s.verify(stored, "pw") == passwords.Verdict(True, False)
    assert s.verify(stored, "Pw") == passwords.Verdict(False, False)


@pytest.mark.parametrize("old", [
    generate_password_hash("pw", "scrypt:16384:8:1"),
    generate_password_hash("pw", "pbkdf2:sha256:2000"),
    Scheme("argon2id:2:64:1").hash("pw"),
    Scheme("argon2id:1:32:1").hash("pw"),
], ids=["scrypt", "pbkdf2", "argon2id-2-64-1", "argon2id-1-32-1"])  # a salted hash differs per run
def test_older_schemes_and_parameters_verify_and_ask_for_a_rehash(old):
    s = Scheme(CHEAP)
    assert s.verify(old, "pw") == passwords.Verdict(True, True)
    assert s.verify(old, "nope") == passwords.Verdict(False, False)


def test_a_werkzeug_method_keeps_its_own_hashes_and_upgrades_others():
    s = Scheme("pbkdf2:sha256:1000")
    assert s.verify(s.hash("pw"), "pw") == passwords.Verdict(True, False)
    assert s.verify(generate_password_hash("pw", "pbkdf2:sha256:2000"), "pw").needs_rehash
    assert s.verify(Scheme(CHEAP).hash("pw"), "pw").needs_rehash


@pytest.mark.parametrize("damaged", ["", "x", "$argon2id$v=19$m=8,t=1,p=1$x", "scrypt$a$b",
                                     "pbkdf2:sha256:x$a$b"])
def test_damaged_hashes_match_nothing(damaged):
    assert Scheme(CHEAP).verify(damaged, "pw") == passwords.Verdict(False, False)


def test_the_unknown_user_path_does_the_same_work_and_fails():
    hasher, verifier = passwords.make(CHEAP, 1)
    assert verifier(None, "pw") == (False, False)
    assert verifier(hasher("pw"), "pw") == (True, False)


def test_hashing_runs_directly_without_gevent_patching():
    seen: list[int] = []
    run = passwords.off_loop(2)(lambda: seen.append(threading.get_ident()) or 7)
    assert run() == 7 and seen == [threading.get_ident()]


def test_under_gevent_hashing_runs_in_threads_and_the_loop_keeps_turning(monkeypatch):
    """A hash that takes the CPU for a while (here: a real sleep in the pool's thread) must leave
    the loop free: a ticker greenlet keeps ticking meanwhile. Run directly on the loop, the
    ticker would not tick once."""
    import time

    monkeypatch.setattr(passwords, "_gevent_patched", lambda: True)
    ran_on: list[int] = []

    def slow_hash() -> str:
        ran_on.append(threading.get_ident())
        time.sleep(0.3)  # the unpatched sleep: it blocks its thread as a hash would
        return "h"

    ticks = [0]

    def ticker() -> None:
        while True:
            ticks[0] += 1
            gevent.sleep(0.01)

    tick = gevent.spawn(ticker)
    gevent.sleep(0)
    before = ticks[0]
    results = [g.get() for g in [gevent.spawn(passwords.off_loop(2)(slow_hash)) for _ in range(3)]]
    tick.kill()
    assert results == ["h"] * 3
    assert threading.get_ident() not in ran_on
    assert ticks[0] - before >= 5
