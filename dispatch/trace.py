"""The request id of the work in progress: one id follows a report from its HTTP request into
the events and timers it writes, the jobs it schedules and the pushes of its events.

A context variable, so each request (a greenlet under gevent, a thread elsewhere) has its own:
the web process binds it when a request starts (`server.logs`), an RQ job binds the id its job
was enqueued with, and storage reads it when it writes an event or a timer row (their
`request_id` columns, migration 0014). Plain Python: the domain may read it, and nothing here
knows where the id came from.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("request_id", default=None)

# What an incoming X-Request-Id may be to be kept: 1-64 of the characters a header, a log line
# and a URL carry unchanged. Anything else (longer, spaces, quotes, non-ASCII) is replaced.
MAX_LENGTH = 64
_SANE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,%d}" % MAX_LENGTH)  # noqa: UP031 - a regex's braces


def current() -> str | None:
    """The id of the request (or job) this code runs for; None outside of one."""
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex


def sane(given: object) -> str | None:
    """`given` if it may be used as a request id, else None."""
    if isinstance(given, str) and _SANE.fullmatch(given):
        return given
    return None


@contextmanager
def bound(request_id: str | None) -> Iterator[str | None]:
    """Run the block as the work of `request_id` (None: of no request)."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def bind(request_id: str | None) -> object:
    """For hooks that open and close in different functions (a request's before and teardown):
    returns the token `unbind` takes."""
    return _current.set(request_id)


def unbind(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]  # the Token bind() returned
