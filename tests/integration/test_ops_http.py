"""The scheduler's readiness is its heartbeat: ready while a sweep ended well within
max(10 s, 5 x DISPATCH_SWEEP_SECONDS), "starting" before its first one, not ready after."""

from __future__ import annotations

import time

import pytest

from server import config as cfgmod
from server import metrics, ops_http


@pytest.fixture
def beat():  # type: ignore[no-untyped-def]
    saved = metrics.last_swept[0]

    def set_last(value: float | None) -> None:
        metrics.last_swept[0] = value
    yield set_last
    metrics.last_swept[0] = saved


def test_the_scheduler_is_ready_on_its_heartbeat(app, ctx, beat):  # type: ignore[no-untyped-def]
    cfg = cfgmod.of(app)
    limit = ops_http.heartbeat_limit(cfg)
    assert limit == 10.0  # DISPATCH_SWEEP_SECONDS 1: the floor
    now = time.time()
    beat(now - 1)
    assert ops_http.readiness(ctx, cfg, True, started=now - 100) == (
        True, {"database": "ok", "sweep": "ok"})
    beat(now - limit + 1)  # within the limit
    assert ops_http.readiness(ctx, cfg, True, started=now - 100)[0] is True
    beat(now - limit - 1)  # past it
    ready, checks = ops_http.readiness(ctx, cfg, True, started=now - 100)
    assert not ready and checks["sweep"].startswith("error: no sweep ended well")
    beat(None)  # never swept: starting, then failing once the limit passed since the start
    assert ops_http.readiness(ctx, cfg, True, started=now - 1) == (
        False, {"database": "ok", "sweep": "starting"})
    assert ops_http.readiness(ctx, cfg, True, started=now - limit - 1)[1]["sweep"].startswith(
        "error")
    # The worker has no heartbeat of its own to check.
    assert ops_http.readiness(ctx, cfg, False, started=now) == (True, {"database": "ok"})
