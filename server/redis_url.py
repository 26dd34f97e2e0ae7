"""One way to reach Redis from a URL, plain or through Sentinel (the high-availability shape).

    redis://127.0.0.1:6379/0
    redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381/0/jiyuan311

The Sentinel form is python-socketio's (hosts, then the database, then the service name), so one
REDIS_URL serves Socket.IO's message queue, RQ, the wake-up notes, the sign-in limits and the
probes. redis-py's `from_url` knows no Sentinel URL: `connect` asks the Sentinels for the master
(a `master_for` client re-asks after a connection error, so a failover is followed by itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import Sentinel

SCHEME = "redis+sentinel"
DEFAULT_SERVICE = "jiyuan311"


@dataclass(frozen=True)
class SentinelURL:
    hosts: tuple[tuple[str, int], ...]
    db: int
    service: str
    password: str | None


def is_sentinel(url: str | None) -> bool:
    return bool(url) and str(url).startswith(SCHEME + "://")


def parse_sentinel(url: str) -> SentinelURL:
    """`redis+sentinel://[:password@]host:port[,host:port...][/db[/service]]`; ValueError
    naming what is wrong otherwise."""
    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        raise ValueError(f"not a {SCHEME}:// URL")
    netloc = parts.netloc
    password = None
    if "@" in netloc:
        auth, netloc = netloc.rsplit("@", 1)
        password = unquote(auth.split(":", 1)[-1]) or None
    hosts = []
    for item in netloc.split(","):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"a Sentinel is host:port, not {item!r}")
        hosts.append((host, int(port)))
    path = [p for p in parts.path.split("/") if p]
    if path and not path[0].isdigit():
        raise ValueError(f"the database is a number, not {path[0]!r}")
    db = int(path[0]) if path else 0
    service = path[1] if len(path) > 1 else DEFAULT_SERVICE
    return SentinelURL(tuple(hosts), db, service, password)


def connect(url: str, socket_timeout: float | None = 2, socket_connect_timeout: float = 1,
            **kwargs: Any) -> redis.Redis:
    """A client of the Redis master that `url` names (through the Sentinels where it says so)."""
    if not is_sentinel(url):
        return redis.Redis.from_url(url, socket_timeout=socket_timeout,
                                    socket_connect_timeout=socket_connect_timeout, **kwargs)
    s = parse_sentinel(url)
    auth = {"password": s.password} if s.password else {}
    sentinel = Sentinel(  # type: ignore[no-untyped-call]  # redis-py's Sentinel is unannotated
        list(s.hosts), socket_timeout=1, socket_connect_timeout=1,
        sentinel_kwargs={"socket_timeout": 1, "socket_connect_timeout": 1})
    client: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]  # the same
        s.service, db=s.db, socket_timeout=socket_timeout,
        socket_connect_timeout=socket_connect_timeout, **auth, **kwargs)
    return client


def limits_storage(url: str) -> tuple[str, dict[str, Any]]:
    """The sign-in limiter's storage URI and options (the `limits` library spells the Sentinel
    URL with the service as its only path part, and takes the database as an option)."""
    options: dict[str, Any] = {"socket_timeout": 1, "socket_connect_timeout": 1}
    if not is_sentinel(url):
        return url, options
    s = parse_sentinel(url)
    hosts = ",".join(f"{h}:{p}" for h, p in s.hosts)
    auth = f":{s.password}@" if s.password else ""
    options.update(db=s.db, sentinel_kwargs={"socket_timeout": 1, "socket_connect_timeout": 1})
    return f"{SCHEME}://{auth}{hosts}/{s.service}", options
