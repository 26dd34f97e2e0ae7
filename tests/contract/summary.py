"""The fuzzer's request counts, printed at the end of the run (a pytest plugin: `-p` in
pyproject.toml's addopts). Under pytest-xdist each worker counts its own tests and hands its
counts to the controller, which prints the sum; a plugin rather than the contract conftest
because the controller never collects the tests, so never loads that conftest."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

REQUESTS: Counter[tuple[str, str]] = Counter()  # (backend, role) -> requests made
KEY = "schemathesis_requests"


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = getattr(session.config, "workeroutput", None)  # set on an xdist worker only
    if out is not None:
        out[KEY] = [[b, r, n] for (b, r), n in REQUESTS.items()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for backend, role, n in getattr(node, "workeroutput", {}).get(KEY, []):
        REQUESTS[backend, role] += n


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REQUESTS:
        return
    terminalreporter.section("schemathesis requests")
    for backend in sorted({b for b, _ in REQUESTS}):
        cells = ", ".join(f"{role} {n}" for (b, role), n in REQUESTS.items() if b == backend)
        total = sum(n for (b, _), n in REQUESTS.items() if b == backend)
        terminalreporter.write_line(f"{backend}: {total} ({cells})")
    terminalreporter.write_line(f"total: {sum(REQUESTS.values())}")
