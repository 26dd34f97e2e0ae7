"""The outbox relay's rules: what each emitted event carries, the fast path and its fall-back to
the log, batches, an event that cannot be sent, and what `resync` refuses and pages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest

from dispatch.errors import ValidationFailed
from dispatch.model import Event
from dispatch.relay import Relay, payload, replay, socket_event
from dispatch.settings import Settings
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork

SETTINGS = Settings()
AT = datetime(2026, 11, 27, 10, 30, 15, tzinfo=timezone(timedelta(hours=8)))

Sent = list[tuple[str, dict[str, Any], list[str]]]


def _event(seq: int | None = None, type: str = "offered",
           audience: tuple[str, ...] = ("unit:west", "command")) -> Event:
    return Event(type=type, at=AT, actor_id="id-officer", data={"unit": "west"},
                 audience=list(audience), incident_id="inc-1", seq=seq,
                 snapshot={"id": "inc-1", "status": "dispatched"})


def _commit(db: FakeDatabase, count: int, **kw: Any) -> list[Event]:
    """`count` events written to the log by some process, numbered on from its last seq."""
    made = []
    for _ in range(count):
        db.state.last_seq += 1
        event = _event(db.state.last_seq, **kw)
        db.state.log.append(event)
        made.append(event)
    return made


def _relay(db: FakeDatabase, batch: int = 500) -> tuple[Relay, Sent]:
    sent: Sent = []
    relay = Relay(partial(FakeUnitOfWork, db),
                  lambda name, data, rooms: sent.append((name, data, rooms)), SETTINGS,
                  batch)
    return relay, sent


def _seqs(sent: Sent) -> list[int]:
    return [data["seq"] for _, data, _ in sent]


# -- what a client receives -----------------------------------------------------------------

def test_the_payload_carries_every_field_a_client_reads_with_the_time_in_utc() -> None:
    event = _event(7)
    assert payload(event, SETTINGS) == {
        "seq": 7, "type": "offered", "at": "2026-11-27T02:30:15Z", "actor": "id-officer",
        "incident_id": "inc-1", "data": {"unit": "west"},
        "incident": {"id": "inc-1", "status": "dispatched"}}


def test_each_event_type_goes_out_under_its_socket_event_and_an_unknown_one_as_an_update(
        ) -> None:
    assert socket_event(_event(1, "offered")) == "task.offered"
    assert socket_event(_event(1, "overdue")) == "incident.overdue"
    assert socket_event(_event(1, "accepted")) == "incident.updated"
    assert socket_event(_event(1, "from_a_newer_version")) == "incident.updated"


# -- start, push and flush ------------------------------------------------------------------

def test_a_relay_that_has_not_started_sends_nothing() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.push(_commit(db, 2))
    assert relay.flush() == 0
    assert sent == [] and relay.watermark is None


def test_start_skips_what_was_logged_before_it() -> None:
    db = FakeDatabase()
    _commit(db, 3)
    relay, sent = _relay(db)
    relay.start()
    assert relay.watermark == 3
    assert relay.flush() == 0 and sent == []
    _commit(db, 1)
    assert relay.flush() == 1 and _seqs(sent) == [4]


def test_a_push_that_follows_on_is_sent_at_once_to_the_events_rooms() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.start()
    pushed = _commit(db, 2)
    relay.push(pushed)
    assert sent == [("task.offered", payload(e, SETTINGS), ["unit:west", "command"])
                    for e in pushed]
    assert all(isinstance(rooms, list) for _, _, rooms in sent)


def test_the_tail_does_not_send_again_what_was_pushed_but_moves_past_it() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.start()
    relay.push(_commit(db, 2))
    assert relay.flush() == 0 and _seqs(sent) == [1, 2]
    assert relay.watermark == 2
    _commit(db, 1)
    assert relay.flush() == 1 and _seqs(sent) == [1, 2, 3]
    assert relay.flush() == 0 and _seqs(sent) == [1, 2, 3]


def test_consecutive_pushes_follow_on_from_the_last_pushed_seq() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.start()
    relay.push(_commit(db, 1))
    relay.push(_commit(db, 2))
    relay.push(_commit(db, 1))
    assert _seqs(sent) == [1, 2, 3, 4]
    assert relay.watermark == 4  # the tail starts after what was pushed: nothing read back
    assert relay.flush() == 0 and relay.watermark == 4 and len(sent) == 4


def test_a_push_after_another_process_committed_reads_the_log_in_seq_order() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.start()
    _commit(db, 2)  # another process's events, not pushed here
    mine = _commit(db, 1)
    relay.push(mine)
    assert _seqs(sent) == [1, 2, 3] and relay.watermark == 3
    assert relay.flush() == 0 and len(sent) == 3


def test_a_push_that_repeats_a_pushed_seq_reads_the_log_instead() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.start()
    first = _commit(db, 1)
    relay.push(first)
    relay.push(first)  # not following on: the log is read, and seq 1 was already sent
    assert _seqs(sent) == [1] and relay.watermark == 1


def test_an_empty_push_sends_nothing_and_reads_nothing() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.start()
    _commit(db, 1)
    relay.push([])
    assert sent == [] and relay.watermark == 0


@pytest.mark.parametrize("logged", [3, 4, 5])
def test_the_tail_reads_in_batches_until_a_batch_comes_back_short(logged: int) -> None:
    db = FakeDatabase()
    relay, sent = _relay(db, batch=2)
    relay.start()
    _commit(db, logged)
    assert relay.flush() == logged
    assert _seqs(sent) == list(range(1, logged + 1)) and relay.watermark == logged


class _CountingUnitOfWork(FakeUnitOfWork):
    """Records how many rows each read of the log asks for."""

    asked: list[tuple[str, int]] = []

    def __enter__(self) -> _CountingUnitOfWork:
        super().__enter__()
        after, for_rooms = self.events.after, self.events.for_rooms

        def counted_after(seq: int, limit: int) -> list[Event]:
            self.asked.append(("after", limit))
            return after(seq, limit)

        def counted_for_rooms(rooms: Any, since_seq: int, limit: int) -> list[Event]:
            self.asked.append(("for_rooms", limit))
            return for_rooms(rooms, since_seq, limit)

        self.events.after = counted_after  # type: ignore[method-assign]
        self.events.for_rooms = counted_for_rooms  # type: ignore[method-assign]
        return self


def test_the_default_batch_tails_a_long_log_whole_five_hundred_rows_a_read() -> None:
    db = FakeDatabase()
    _CountingUnitOfWork.asked = []
    sent: Sent = []
    relay = Relay(partial(_CountingUnitOfWork, db), lambda *a: sent.append(a), SETTINGS)
    relay.start()
    _commit(db, 1001)
    assert relay.flush() == 1001 and relay.watermark == 1001
    assert _seqs(sent) == list(range(1, 1002))
    assert _CountingUnitOfWork.asked == [("after", 500)] * 3


def test_replay_reads_one_row_past_its_page_and_no_more() -> None:
    db = FakeDatabase()
    _commit(db, 10)
    _CountingUnitOfWork.asked = []
    page = replay(partial(_CountingUnitOfWork, db), ["command"], 0, SETTINGS, limit=3)
    assert page["more"] is True and len(page["events"]) == 3
    replay(partial(_CountingUnitOfWork, db), ["command"], 0, SETTINGS)
    assert _CountingUnitOfWork.asked == [("for_rooms", 4), ("for_rooms", 1001)]


def test_the_tail_sends_each_event_under_its_name_to_its_rooms() -> None:
    db = FakeDatabase()
    relay, sent = _relay(db)
    relay.start()
    logged = _commit(db, 1, type="overdue", audience=("unit:west", "dispatch:west"))
    logged += _commit(db, 1, type="accepted", audience=("user:id-reporter",))
    assert relay.flush() == 2
    assert sent == [
        ("incident.overdue", payload(logged[0], SETTINGS), ["unit:west", "dispatch:west"]),
        ("incident.updated", payload(logged[1], SETTINGS), ["user:id-reporter"])]


def test_an_event_that_cannot_be_sent_is_logged_and_passed_over(
        caplog: pytest.LogCaptureFixture) -> None:
    db = FakeDatabase()
    sent: list[int] = []

    def emit(name: str, data: dict[str, Any], rooms: list[str]) -> None:
        if data["seq"] == 2:
            raise ValueError("will not encode")
        sent.append(data["seq"])

    relay = Relay(partial(FakeUnitOfWork, db), emit, SETTINGS)
    relay.start()
    _commit(db, 3)
    with caplog.at_level(logging.ERROR, logger="dispatch.relay"):
        assert relay.flush() == 2
    assert sent == [1, 3] and relay.watermark == 3
    assert [r.getMessage() for r in caplog.records] == [
        "event 2 could not be sent; passed over"]
    assert caplog.records[0].exc_info is not None


def test_a_failure_other_than_encoding_is_not_swallowed() -> None:
    db = FakeDatabase()

    def emit(name: str, data: dict[str, Any], rooms: list[str]) -> None:
        raise ConnectionError("down")

    relay = Relay(partial(FakeUnitOfWork, db), emit, SETTINGS)
    relay.start()
    _commit(db, 1)
    with pytest.raises(ConnectionError):
        relay.flush()


# -- resync's replay ------------------------------------------------------------------------

@pytest.mark.parametrize("since", [True, False, "3", 1.0, None])
def test_replay_wants_a_whole_number(since: Any) -> None:
    db = FakeDatabase()
    _commit(db, 3)
    with pytest.raises(ValidationFailed) as refused:
        replay(partial(FakeUnitOfWork, db), ["command"], since, SETTINGS)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("since_seq", "a whole number (the last seq you saw; 0 for all)")]


def test_replay_refuses_a_negative_seq() -> None:
    db = FakeDatabase()
    with pytest.raises(ValidationFailed) as refused:
        replay(partial(FakeUnitOfWork, db), ["command"], -1, SETTINGS)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("since_seq", "must not be negative")]


def test_replay_refuses_a_seq_past_the_last_one_and_names_the_last() -> None:
    db = FakeDatabase()
    _commit(db, 4)
    uow = partial(FakeUnitOfWork, db)
    assert replay(uow, ["command"], 4, SETTINGS) == {"ok": True, "events": [], "more": False,
                                           "last_seq": 4}
    with pytest.raises(ValidationFailed) as refused:
        replay(uow, ["command"], 5, SETTINGS)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("since_seq", "5 is in the future; the last seq is 4")]


def test_replay_from_zero_on_an_empty_log_is_empty() -> None:
    assert replay(partial(FakeUnitOfWork, FakeDatabase()), ["command"], 0, SETTINGS) == {
        "ok": True, "events": [], "more": False, "last_seq": 0}


def test_replay_pages_by_its_limit_and_says_when_there_is_more() -> None:
    db = FakeDatabase()
    _commit(db, 5)
    uow = partial(FakeUnitOfWork, db)
    first = replay(uow, ["command"], 1, SETTINGS, limit=2)
    assert [e["data"]["seq"] for e in first["events"]] == [2, 3]
    assert (first["ok"], first["more"], first["last_seq"]) == (True, True, 3)
    assert first["events"][0] == {"event": "task.offered",
                                  "data": payload(db.state.log[1], SETTINGS)}
    rest = replay(uow, ["command"], 3, SETTINGS, limit=2)
    assert [e["data"]["seq"] for e in rest["events"]] == [4, 5]
    assert (rest["more"], rest["last_seq"]) == (False, 5)


def test_replay_gives_a_thousand_events_a_page_by_default() -> None:
    db = FakeDatabase()
    _commit(db, 1001)
    page = replay(partial(FakeUnitOfWork, db), ["command"], 0, SETTINGS)
    assert len(page["events"]) == 1000 and page["more"] is True and page["last_seq"] == 1000


def test_replay_gives_only_the_rooms_asked_for() -> None:
    db = FakeDatabase()
    _commit(db, 1, audience=("unit:west",))
    _commit(db, 1, audience=("unit:east",))
    _commit(db, 1, audience=("user:x", "unit:east"))
    page = replay(partial(FakeUnitOfWork, db), ["unit:east"], 0, SETTINGS)
    assert [e["data"]["seq"] for e in page["events"]] == [2, 3] and page["last_seq"] == 3
    none = replay(partial(FakeUnitOfWork, db), ["unit:north"], 1, SETTINGS)
    assert none["events"] == [] and none["last_seq"] == 1


def test_the_times_in_a_payload_are_in_utc_whatever_zone_they_were_made_in() -> None:
    utc = _event(1)
    utc.at = AT.astimezone(UTC)
    assert (payload(utc, SETTINGS)["at"] == payload(_event(1), SETTINGS)["at"]
            == "2026-11-27T02:30:15Z")
