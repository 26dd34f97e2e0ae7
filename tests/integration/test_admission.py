"""Admission control: past the bound of requests using the database, a request is refused at
once with a clean 503 (problem+json, Retry-After) and writes nothing; health probes and the
OpenAPI document are never refused (see server/admission.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from dispatch.storage import tables as t
from server.admission import Gate
from tests.helpers import report


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


def _incidents(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.incidents)))


def test_the_last_free_slot_admits_and_none_free_is_a_clean_503(app, client, login, ctx):
    headers = login("demo-reporter")
    gate: Gate = app.extensions["admission"]
    assert gate.limit == app.config["ADMISSION_LIMIT"] == 10
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
        # Never refused: the probes and the API's description.
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
    assert _incidents(ctx) == before
    # The slots of refused requests were never taken: all are free again.
    assert report(client, headers).status_code == 201
    with busy(app, gate.limit):
        pass


def test_a_request_that_fails_gives_its_slot_back(app, client, login):
    headers = login("demo-reporter")
    gate: Gate = app.extensions["admission"]
    for _ in range(gate.limit + 1):
        bad = client.post("/api/v1/incidents", json={"category": "nope"}, headers=headers)
        assert bad.status_code == 422
    with busy(app, gate.limit):
        pass  # every slot free: none leaked by the refusals
