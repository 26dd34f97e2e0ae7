"""Admission control: past the bound of requests using the database, a request is refused at
once with a clean 503 (problem+json, Retry-After) and writes nothing; health probes and the
OpenAPI document are never refused (see server/admission.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.storage import tables as t
from server.admission import Gate
from server import config as cfgmod
from server.config import Config
from tests.conftest import make_test_app
from tests.helpers import report

_gated: dict[str, Any] = {}


@pytest.fixture
def gated(backend, app, clock, tmp_path_factory, request):  # type: ignore[no-untyped-def]
    """An app with the production's admission limit and no queue (a request past the limit is
    refused at once; the queue has its own test below), on the test database of `backend`
    (`app` is asked for so that what a test writes is removed after it, as usual)."""
    if backend not in _gated:
        url = request.getfixturevalue("postgis_url") if backend == "postgis" else None
        _gated[backend] = make_test_app(
            url, tmp_path_factory.mktemp(f"gated-{backend}"), clock,
            ADMISSION_LIMIT=Config().ADMISSION_LIMIT, ADMISSION_QUEUE=0)
    return _gated[backend]


@pytest.fixture
def client(gated):  # type: ignore[no-untyped-def]
    return gated.test_client()


@pytest.fixture
def ctx(gated):  # type: ignore[no-untyped-def]
    return gated.extensions["dispatch"]


@contextmanager
def busy(app, slots: int) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Take `slots` of the gate, as that many requests in flight would."""
    gate: Gate = app.extensions["admission"]
    for _ in range(slots):
        assert gate.enter()
    try:
        yield
    finally:
        for _ in range(slots):
            gate.leave()


QUEUED = "queued"  # the name of the one thread allowed to really wait, where a test has one


def count_waits(gate: Gate, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that waited at the gate, in order. Only a thread named QUEUED
    really waits; any other caller that gets as far as waiting is recorded and told "no slot"
    at once, so a gate that ignored its queue's bound fails the test instead of hanging it for
    its whole wait."""
    waits: list[str] = []
    real = gate.wait_for_slot

    def counted() -> bool:
        name = threading.current_thread().name
        waits.append(name)
        return real() if name == QUEUED else False

    monkeypatch.setattr(gate, "wait_for_slot", counted)
    return waits


def _incidents(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.incidents)))


def test_the_last_free_slot_admits_and_none_free_is_a_clean_503(gated, client, login, ctx,
                                                                 monkeypatch):
    app = gated
    headers = login("demo-reporter")
    gate: Gate = app.extensions["admission"]
    assert gate.limit == cfgmod.of(app).ADMISSION_LIMIT == 10
    assert gate.queue == 0
    waits = count_waits(gate, monkeypatch)
    with busy(app, gate.limit - 1):
        assert report(client, headers).status_code == 201
    before = _incidents(ctx)
    with busy(app, gate.limit):
        r = report(client, headers)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        assert r.mimetype == "application/problem+json"
        assert r.get_json()["title"] == "Overloaded"
        assert client.get("/api/v1/units", headers=headers).status_code == 503
        assert waits == []  # refused at once: no place in the queue, so no wait at all
        # Never refused: the probes and the API's description.
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
    assert _incidents(ctx) == before
    # The slots of refused requests were never taken: all are free again.
    assert report(client, headers).status_code == 201
    with busy(app, gate.limit):
        pass


def test_a_request_that_fails_gives_its_slot_back(gated, client, login):
    app = gated
    headers = login("demo-reporter")
    gate: Gate = app.extensions["admission"]
    for _ in range(gate.limit + 1):
        bad = client.post("/api/v1/incidents", json={"category": "nope"}, headers=headers)
        assert bad.status_code == 422
    with busy(app, gate.limit):
        pass  # every slot free: none leaked by the refusals


def test_the_queue_holds_its_bound_and_a_waiter_gets_the_next_free_slot(monkeypatch):
    gate = Gate(limit=1, queue=1, wait_seconds=30)
    waits = count_waits(gate, monkeypatch)
    assert gate.enter()  # the one slot
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(gate.enter()), name=QUEUED, daemon=True)
    waiter.start()
    while gate.waiting < 1:  # the waiter is queued (the queue's one place)
        time.sleep(0.001)
    assert gate.enter() is False  # one past the queue: refused ...
    assert waits == [QUEUED]  # ... without waiting at all (its 30 s, had it been queued)
    assert got == []
    gate.leave()
    waiter.join(10)
    assert got == [True] and gate.waiting == 0
    gate.leave()
    assert gate.enter()  # free again
    assert waits == [QUEUED]


def test_a_request_past_the_queue_is_refused_without_waiting_while_one_queued_is_served(
        gated, login, monkeypatch):
    """Through the app: the queue's one place is taken by a request that waits (up to 30 s)
    for a slot; the next request is a 503 without ever waiting; the queued one is served as
    soon as a slot frees."""
    gate: Gate = gated.extensions["admission"]
    monkeypatch.setattr(gate, "queue", 1)
    monkeypatch.setattr(gate, "wait_seconds", 30.0)
    headers = login("demo-reporter")
    waits = count_waits(gate, monkeypatch)
    answers: list[int] = []

    def queued_request() -> None:
        answers.append(gated.test_client().get("/api/v1/units", headers=headers).status_code)

    queued = threading.Thread(target=queued_request, name=QUEUED, daemon=True)
    with busy(gated, gate.limit):
        queued.start()
        for _ in range(10_000):  # until it holds the queue's place (at most 10 s)
            if gate.waiting == 1:
                break
            time.sleep(0.001)
        assert gate.waiting == 1 and waits == [QUEUED]
        r = gated.test_client().get("/api/v1/units", headers=headers)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert waits == [QUEUED] and answers == []  # refused without waiting; the other waits
    queued.join(10)  # a slot is free: the queued request is served
    assert answers == [200] and gate.waiting == 0
    with busy(gated, gate.limit):
        pass  # every slot free again


def test_a_socket_event_waits_for_a_slot_and_every_slot_taken_is_answered_503(gated, client,
                                                                               monkeypatch):
    """A socket event shares the gate's slots with REST requests (a crowd resyncing after a
    web process died stays within the pool): with none free it waits, then is answered 503
    on its acknowledgement and the socket stays; a free slot serves it."""
    from server import live
    from server.extensions import socketio

    app = gated
    gate: Gate = app.extensions["admission"]
    monkeypatch.setattr(live, "SLOT_WAIT_SECONDS", 0.2)
    token = client.post("/api/v1/auth/token", json={"username": "demo-commander",
                                                    "password": "demo"}).get_json()
    sock = socketio.test_client(app, namespace="/live", auth={"token": token["access_token"]})
    assert sock.is_connected("/live")  # connecting takes no slot: the sign-in is the cache's
    with busy(app, gate.limit):
        out = sock.emit("resync", {"since_seq": 0}, namespace="/live", callback=True)
        assert out["ok"] is False and out["error"]["status"] == 503, out
        assert sock.is_connected("/live")
    out = sock.emit("resync", {"since_seq": 0}, namespace="/live", callback=True)
    assert out["ok"] is True, out
    with busy(app, gate.limit):
        pass  # every slot free again: the served event gave its slot back
    sock.disconnect(namespace="/live")
