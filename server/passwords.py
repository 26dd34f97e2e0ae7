"""Password hashing for the whole product: argon2id by default, older werkzeug hashes still
accepted (and replaced at the next sign-in), and the work kept off the gevent loop.

Why argon2id: it is OWASP's first choice (memory-hard like scrypt, and resistant to the
side channels that plain argon2i/argon2d trade off), argon2-cffi is maintained and encodes its
parameters in the hash, so a hash made with weaker parameters is recognised and replaced.
The default parameters are OWASP's (19 MiB, 2 passes, 1 lane): a single lane keeps one sign-in
on one core, and a small, fixed memory per hash keeps a burst of sign-ins from eating the
process's memory.

Why off the loop: a hash is tens of milliseconds of CPU in C. On the gevent loop it stalls every
socket of the process for that long, per sign-in. Under gevent the hash runs in a small pool of
real threads (argon2-cffi and hashlib release the GIL while they work), so the loop keeps
serving while sign-ins wait their turn. The pool is the hashing's own, not the hub's: the hub's
pool also resolves host names, which a storm of sign-ins must not queue behind.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash, generate_password_hash

T = TypeVar("T")

ARGON2 = "argon2id"
# OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
ARGON2_DEFAULT = (2, 19456, 1)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    needs_rehash: bool = False


class Scheme:
    """One configured method: makes new hashes, checks any supported hash, and says whether a
    stored hash is made the way new ones are."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.argon2: PasswordHasher | None = None
        if method == ARGON2 or method.startswith(ARGON2 + ":"):
            self.argon2 = _argon2(method)
            self.prefix = ""
        else:
            # A werkzeug method ("scrypt", "pbkdf2:sha256:1000"); its normalised form is what
            # precedes the first "$" of a hash it makes.
            self.prefix = generate_password_hash("x", method=method).split("$", 1)[0]

    def hash(self, password: str) -> str:
        if self.argon2 is not None:
            return self.argon2.hash(password)
        return generate_password_hash(password, method=self.method)

    def verify(self, stored: str, password: str) -> Verdict:
        if stored.startswith("$argon2"):
            checker = self.argon2 or PasswordHasher()
            try:
                checker.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return Verdict(False)
            stale = self.argon2 is None or self.argon2.check_needs_rehash(stored)
            return Verdict(True, stale)
        try:
            ok = check_password_hash(stored, password)
        except (ValueError, TypeError):  # an unknown or damaged hash matches nothing
            ok = False
        if not ok:
            return Verdict(False)
        return Verdict(True, self.argon2 is not None or stored.split("$", 1)[0] != self.prefix)


def _argon2(method: str) -> PasswordHasher:
    """`argon2id` (OWASP's parameters) or `argon2id:TIME:MEMORY_KIB:LANES`."""
    parts = method.split(":")[1:]
    if not parts:
        t, m, p = ARGON2_DEFAULT
    else:
        try:
            t, m, p = (int(x) for x in parts)
        except ValueError:
            raise ValueError(f"password hash method {method!r}: expected "
                             "argon2id:TIME:MEMORY_KIB:LANES") from None
    return PasswordHasher(time_cost=t, memory_cost=m, parallelism=p)


# -- off the loop -------------------------------------------------------------------------------

_pools: dict[int, Any] = {}
_pools_lock = threading.Lock()


def _gevent_patched() -> bool:
    if "gevent" not in sys.modules:
        return False
    from gevent import monkey
    return bool(monkey.is_module_patched("socket"))


def off_loop(threads: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Run the wrapped call in a gevent thread pool when the process is monkey-patched (the web
    processes), and directly otherwise (CLI, worker, tests)."""
    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        def run(*args: Any) -> T:
            if not _gevent_patched():
                return fn(*args)
            result: T = _pool(threads).apply(_in_background, (fn, *args))
            return result
        return run
    return wrap


_niced = threading.local()
HASH_NICENESS = 10


def _in_background(fn: Callable[..., T], *args: Any) -> T:
    """Hashing is background work next to the loop: its threads yield the CPU to the loop's
    thread (on Linux a thread has its own nice value), so a storm of sign-ins waits for the
    cores instead of the sockets waiting for them."""
    if not getattr(_niced, "done", False):
        _niced.done = True
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)
        except (AttributeError, OSError):  # not Linux, or not allowed: still off the loop
            pass
    return fn(*args)


def _pool(threads: int) -> Any:
    """One pool per hub (per process, per thread that runs a loop), made on first use: after
    gunicorn's fork, never before."""
    import gevent
    from gevent.threadpool import ThreadPool

    hub = gevent.get_hub()
    key = id(hub)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None or pool.hub is not hub:
            pool = _pools[key] = ThreadPool(max(1, threads), hub=hub)
        return pool


@cache
def _dummy(method: str) -> str:
    return Scheme(method).hash("no user has this password")


def make(method: str, threads: int
         ) -> tuple[Callable[[str], str], Callable[[str | None, str], tuple[bool, bool]]]:
    """The hasher and the verifier the Context carries.

    The verifier takes the stored hash, or None for an unknown user: then it checks against a
    hash of nothing anyone can type, so that both paths cost the same and a timing probe cannot
    list usernames. It answers (password matches, stored hash should be replaced)."""
    scheme = Scheme(method)
    run = off_loop(threads)

    def hasher(password: str) -> str:
        return run(scheme.hash)(password)

    def verifier(stored: str | None, password: str) -> tuple[bool, bool]:
        if stored is None:
            run(lambda pw: scheme.verify(_dummy(method), pw))(password)
            return False, False
        verdict = run(scheme.verify)(stored, password)
        return verdict.ok, verdict.needs_rehash

    return hasher, verifier
