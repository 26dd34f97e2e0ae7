"""A request that cannot reach a primary answers 503 with Retry-After, never 500, writes
nothing, and the pool recovers by itself once the primary is back.

PostgreSQL alone (SQLite has no primary to lose): the database behind a small TCP relay the test
cuts, as a dead leader or a restarting server cuts it; and a database turned read-only, as a
leader that Patroni demoted answers."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN_URL, make_test_app
from tests.helpers import count_rows, report


class Relay:
    """127.0.0.1:<port> → PostgreSQL; `cut()` closes every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.open = False
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.socks.clear()

    def heal(self) -> None:
        self.open = True


@pytest.fixture
def relayed(postgis_url: str, tmp_path: Path, clock) -> Iterator[tuple[object, Relay]]:  # type: ignore[no-untyped-def]
    url = make_url(postgis_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    app = make_test_app(url.set(port=relay.port).render_as_string(hide_password=False),
                        tmp_path / "instance", clock)
    yield app, relay
    relay.cut()
    app.extensions["dispatch"].engine.dispose()  # type: ignore[attr-defined]


def _token(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/token", json={"username": "demo-reporter", "password": "demo"})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


def test_a_lost_primary_is_a_503_with_retry_after_and_the_pool_recovers(relayed) -> None:  # type: ignore[no-untyped-def]
    from dispatch.storage import tables as t

    app, relay = relayed
    client = app.test_client()
    headers = _token(client)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    before = count_rows(app.extensions["dispatch"], t.incidents)
    relay.cut()  # every pooled connection dies; new ones are refused
    for _ in range(2):  # the broken pooled connection, then a connect that cannot succeed
        r = report(client, {**headers, **key})
        assert r.status_code == 503, r.get_data(as_text=True)
        assert r.headers["Retry-After"] == "2"
        assert r.mimetype == "application/problem+json"
    relay.heal()
    r = report(client, {**headers, **key})  # the client's retry, with the same key
    assert r.status_code == 201, r.get_json()
    assert count_rows(app.extensions["dispatch"], t.incidents) == before + 1


def test_a_demoted_primary_read_only_is_a_503_and_writes_nothing(relayed, postgis_url) -> None:  # type: ignore[no-untyped-def]
    from dispatch.storage import tables as t

    app, _ = relayed
    client = app.test_client()
    headers = _token(client)
    name = make_url(postgis_url).database
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    before = count_rows(app.extensions["dispatch"], t.incidents)
    try:
        with admin.cursor() as cur:  # as a replica or a demoted leader answers a write
            cur.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        app.extensions["dispatch"].engine.dispose()  # new sessions read the setting
        r = report(client, headers)
        assert r.status_code == 503, r.get_data(as_text=True)
        assert r.headers["Retry-After"] == "2"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        admin.close()
    assert report(client, headers).status_code == 201  # the dropped pool reconnects
    assert count_rows(app.extensions["dispatch"], t.incidents) == before + 1
