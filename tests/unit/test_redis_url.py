"""REDIS_URL in the HA shape: python-socketio's Sentinel form, read the same way for redis-py,
RQ, the limiter and the probes (server/redis_url.py)."""

from __future__ import annotations

import pytest
from redis.sentinel import SentinelConnectionPool

from server.redis_url import connect, is_sentinel, limits_storage, parse_sentinel
from server import message_queue

URL = "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,10.0.0.3:26381/2/jiyuan311-a"


def test_the_sentinel_form_names_hosts_database_and_service() -> None:
    s = parse_sentinel(URL)
    assert s.hosts == (("127.0.0.1", 26379), ("127.0.0.1", 26380), ("10.0.0.3", 26381))
    assert (s.db, s.service, s.password) == (2, "jiyuan311-a", None)
    assert parse_sentinel("redis+sentinel://:pw@h:1").password == "pw"
    assert parse_sentinel("redis+sentinel://h:1").service == "jiyuan311"
    assert is_sentinel(URL) and not is_sentinel("redis://h:6379/0") and not is_sentinel(None)


@pytest.mark.parametrize("bad", ["redis+sentinel://h/0/s", "redis+sentinel://h:x/0/s",
                                 "redis+sentinel://h:1/zero/s", "redis://h:1/0"])
def test_a_malformed_sentinel_url_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_sentinel(bad)


def test_a_sentinel_url_gives_a_client_that_asks_the_sentinels_for_the_master() -> None:
    client = connect(URL)  # nothing is dialled until a command is sent
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "jiyuan311-a"
    assert pool.connection_kwargs["db"] == 2
    assert [c.connection_pool.connection_kwargs["port"]
            for c in pool.sentinel_manager.sentinels] == [26379, 26380, 26381]
    plain = connect("redis://127.0.0.1:6390/1").connection_pool
    assert not isinstance(plain, SentinelConnectionPool)


def test_the_limiter_and_socketio_get_the_spelling_they_read() -> None:
    uri, options = limits_storage(URL)
    assert uri == "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,10.0.0.3:26381/jiyuan311-a"
    assert options["db"] == 2
    assert limits_storage("redis://h:1/0")[0] == "redis://h:1/0"
    assert message_queue(None) == {}
    assert message_queue("redis://h:1/0") == {"message_queue": "redis://h:1/0"}
    manager = message_queue(URL)["client_manager"]
    assert manager.redis_url == URL and manager.channel == "flask-socketio"
