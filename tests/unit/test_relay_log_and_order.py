"""The relay as an operator and a client see it: the one log line per event pushed (ids only,
naming the request that caused it, the line a trace follows), the line of an event passed over,
and the fast path taken only when a push follows on from the last seq sent -- never re-sending
what was sent, never skipping what another process committed, never reading the log back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from dispatch.model import Event
from dispatch.relay import Relay
from dispatch.settings import Settings
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork

AT = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)


def _log(db: FakeDatabase, count: int, request_id: str | None = None) -> list[Event]:
    """`count` events committed by some process, numbered on from the log's last seq."""
    made = []
    for _ in range(count):
        db.state.last_seq += 1
        event = Event(type="offered", at=AT, actor_id=None, data={}, incident_id="inc-1",
                      audience=["unit:west", "command"], seq=db.state.last_seq,
                      request_id=request_id)
        db.state.log.append(event)
        made.append(event)
    return made


class _Reads(FakeUnitOfWork):
    """Counts the reads of the log past a seq (the tail's read)."""

    count = 0

    def __enter__(self) -> _Reads:
        super().__enter__()
        after = self.events.after

        def counted(seq: int, limit: int) -> list[Event]:
            _Reads.count += 1
            return after(seq, limit)

        self.events.after = counted  # type: ignore[method-assign]
        return self


def _relay(db: FakeDatabase, emit: Any = None) -> tuple[Relay, list[int]]:
    sent: list[int] = []
    relay = Relay(partial(_Reads, db), emit or (lambda name, data, rooms: sent.append(
        data["seq"])), Settings())
    relay.start()
    _Reads.count = 0
    return relay, sent


def _ids(record: logging.LogRecord) -> dict[str, Any]:
    return {k: getattr(record, k, "missing")
            for k in ("seq", "incident_id", "event_type", "request_id", "rooms")}


def test_each_pushed_event_is_one_log_line_naming_its_request(
        caplog: pytest.LogCaptureFixture) -> None:
    db = FakeDatabase()
    relay, _ = _relay(db)
    with caplog.at_level(logging.INFO, logger="dispatch.relay"):
        relay.push(_log(db, 1, request_id="req-7"))
        _log(db, 1)
        relay.flush()
    assert [r.getMessage() for r in caplog.records] == ["pushed offered", "pushed offered"]
    assert [_ids(r) for r in caplog.records] == [
        {"seq": 1, "incident_id": "inc-1", "event_type": "offered", "request_id": "req-7",
         "rooms": 2},
        {"seq": 2, "incident_id": "inc-1", "event_type": "offered", "request_id": None,
         "rooms": 2}]


def test_an_event_passed_over_is_logged_with_its_ids(caplog: pytest.LogCaptureFixture) -> None:
    db = FakeDatabase()

    def refuse(name: str, data: dict[str, Any], rooms: list[str]) -> None:
        raise ValueError("will not encode")

    relay, _ = _relay(db, refuse)
    _log(db, 1, request_id="req-8")
    with caplog.at_level(logging.ERROR, logger="dispatch.relay"):
        assert relay.flush() == 0
    assert [(r.getMessage(), _ids(r)) for r in caplog.records] == [
        ("event 1 could not be sent; passed over",
         {"seq": 1, "incident_id": "inc-1", "event_type": "offered", "request_id": "req-8",
          "rooms": 2})]


def test_pushes_that_follow_on_are_sent_without_reading_the_log() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.push(_log(db, 1))
    relay.push(_log(db, 2))
    assert sent == [1, 2, 3] and relay.watermark == 3
    assert _Reads.count == 0


def test_a_push_one_seq_past_a_gap_reads_the_missing_event_first() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    _log(db, 1)  # another process's, not pushed here
    relay.push(_log(db, 1))
    assert sent == [1, 2] and relay.watermark == 2


def test_a_push_of_an_event_sent_before_the_last_one_sends_nothing_again() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    first = _log(db, 1)
    relay.push(first)
    relay.push(_log(db, 1))
    relay.push(first)  # a late copy of seq 1, one before the watermark
    assert sent == [1, 2] and relay.watermark == 2
    assert relay.flush() == 0 and sent == [1, 2]
