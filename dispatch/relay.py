"""The outbox relay: committed events → Socket.IO rooms, and the replay of missed events.

The event log is the outbox. Each web process tails it past the last seq it relayed and emits
each event to *its own* clients' rooms; Redis only wakes the processes up sooner (and a periodic
tail covers a lost wake-up or a Redis outage), so an event reaches every connected client even
when pub/sub drops a message. The process that committed a change pushes its events at once from
memory, and its tail skips them. Clients get each event at least once and drop copies by `seq`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from dispatch import events
from dispatch.board import with_instants
from dispatch.errors import ValidationFailed
from dispatch.model import Event
from dispatch.ports import UnitOfWork
from dispatch.settings import Settings
from dispatch.utc import iso_utc

log = logging.getLogger(__name__)

# The Socket.IO event of each event type (named in dispatch.events, with its audience).
SOCKET_EVENTS = {str(t): spec.socket_event for t, spec in events.CATALOGUE.items()}
Emit = Callable[[str, dict[str, Any], list[str]], None]


def socket_event(event: Event) -> str:
    return events.socket_event(event.type)


def payload(event: Event, settings: Settings) -> dict[str, Any]:
    """What a client hears: the event and `incident`, the case right after it, with its clocks'
    instants under `settings` (`dispatch.board.with_instants`: computed when sent, so the log
    keeps the facts and a page is told when each deadline turns near by today's settings)."""
    return {
        "seq": event.seq, "type": event.type,
        "at": iso_utc(event.at),
        "actor": event.actor_id, "incident_id": event.incident_id, "data": event.data,
        "incident": with_instants(event.snapshot, settings),
    }


class Relay:
    def __init__(self, uow: Callable[[], UnitOfWork], emit: Emit, settings: Settings,
                 batch: int = 500) -> None:
        self._uow, self._emit, self._batch = uow, emit, batch
        self._settings = settings
        self._lock = threading.Lock()
        # The last seq sent to this process's clients, pushed from memory or read from the log:
        # every seq up to it was sent (a push follows on from it, or the log is read instead).
        self.watermark: int | None = None

    @property
    def sent_seq(self) -> int | None:
        """The last seq sent to this process's clients (the watermark). None before `start`."""
        return self.watermark

    def start(self) -> None:
        """From now on: clients connecting later ask `resync` for anything older."""
        with self._uow() as uow:
            self.watermark = uow.events.last_seq()

    def push(self, events: Sequence[Event]) -> None:
        """The fast path: this process just committed these; emit them without reading back.

        Only when they follow on from what this process emitted last: if another process
        committed in between, read the log instead, so clients still hear events in seq order.
        """
        if self.watermark is None or not events:
            return
        with self._lock:
            seqs = [e.seq for e in events if e.seq is not None]
            if min(seqs) != self.watermark + 1:
                self._flush_locked()
                return
            for event in events:
                self._send(event)
            # Every seq before these was sent already and these follow on: the tail starts
            # after them (it used to read them back only to skip them, a read of the log per
            # second of pushes: 7 % of a report's CPU at 10 reports/s in the bench's profile).
            self.watermark = max(seqs)

    def flush(self) -> int:
        """Emit every event past the watermark; a process that never started has no clients."""
        if self.watermark is None:
            return 0
        with self._lock:
            return self._flush_locked()

    def _flush_locked(self) -> int:
        assert self.watermark is not None
        emitted = 0
        while True:
            with self._uow() as uow:
                events = uow.events.after(self.watermark, self._batch)
            for event in events:
                assert event.seq is not None
                emitted += self._emit_one(event)
                self.watermark = event.seq
            if len(events) < self._batch:
                return emitted


    def _emit_one(self, event: Event) -> int:
        """One event that cannot be sent (say, it will not encode) is logged and passed over:
        it must not hold back every event after it."""
        try:
            self._send(event)
        except ValueError:
            log.exception("event %s could not be sent; passed over", event.seq,
                          extra=_ids(event))
            return 0
        return 1

    def _send(self, event: Event) -> None:
        self._emit(socket_event(event), payload(event, self._settings), list(event.audience))
        # One line per event pushed, naming the request that caused it: ids only.
        log.info("pushed %s", event.type, extra=_ids(event))


def _ids(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "incident_id": event.incident_id, "event_type": str(event.type),
            "request_id": event.request_id, "rooms": len(event.audience)}


def replay(uow_factory: Callable[[], UnitOfWork], rooms: Sequence[str], since_seq: Any,
           settings: Settings, limit: int = 1000) -> dict[str, Any]:
    """What `resync` answers: the events of these rooms after `since_seq`, in seq order."""
    if isinstance(since_seq, bool) or not isinstance(since_seq, int):
        raise ValidationFailed.on("since_seq", "a whole number (the last seq you saw; 0 for all)")
    if since_seq < 0:
        raise ValidationFailed.on("since_seq", "must not be negative")
    with uow_factory() as uow:
        last = uow.events.last_seq()
        if since_seq > last:
            raise ValidationFailed.on("since_seq", f"{since_seq} is in the future; the last "
                                                   f"seq is {last}")
        events = uow.events.for_rooms(list(rooms), since_seq, limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return {"ok": True,
            "events": [{"event": socket_event(e), "data": payload(e, settings)} for e in events],
            "more": more, "last_seq": events[-1].seq if events else since_seq}
