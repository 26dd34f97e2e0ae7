"""The web process's map cache (`mobile_api.map_cache`): a document is read again when the log's
seq moves, when it is older than its bound, or when its scope was pushed out; otherwise it is
joined from the kept pieces with the answer's instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.queries import OpenCases
from mobile_api.map_cache import MapCache

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Reads:
    def __init__(self) -> None:
        self.seq, self.count = 7, 0

    def __call__(self) -> OpenCases:
        self.count += 1
        return OpenCases(seq=self.seq, generated_at=NOW, cases=[])


def test_the_same_seq_is_answered_from_the_kept_document_at_the_new_instant() -> None:
    cache, read = MapCache(), Reads()
    first = cache.document("command", 7, NOW, read)
    later = cache.document("command", 7, NOW + timedelta(seconds=3), read)
    assert read.count == 1 and (cache.hits, cache.misses) == (1, 1)
    assert first == '{"type":"FeatureCollection","features":[],"seq":7,' \
                    '"generated_at":"2026-11-27T02:00:00Z"}'
    assert later == first.replace("02:00:00Z", "02:00:03Z")


def test_a_new_seq_an_old_document_or_a_cleared_cache_is_read_again() -> None:
    cache, read = MapCache(), Reads()
    cache.document("command", 7, NOW, read)
    read.seq = 8
    assert '"seq":8' in cache.document("command", 8, NOW, read) and read.count == 2
    cache.clear()
    cache.document("command", 8, NOW, read)
    assert read.count == 3
    stale = MapCache(max_age_s=0.0)
    stale.document("command", 8, NOW, read)
    stale.document("command", 8, NOW, read)
    assert read.count == 5


def test_scopes_are_kept_apart_and_the_least_recently_used_goes_first() -> None:
    cache, read = MapCache(size=2), Reads()
    for key in ("command", "unit:a", "command", "unit:b"):  # unit:a is the least recent
        cache.document(key, 7, NOW, read)
    assert read.count == 3
    cache.document("command", 7, NOW, read)
    assert read.count == 3
    cache.document("unit:a", 7, NOW, read)
    assert read.count == 4
