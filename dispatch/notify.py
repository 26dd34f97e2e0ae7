"""Alerts to people whose app is closed: the seam an SMS, WeCom or WeChat official account
sender plugs into (`Notifier`), and which events become which alerts.

Why a seam and not Web Push: push needs Google's messaging service, which Chinese Chrome cannot
reach, and a web page is not woken when it is closed; a Chinese deployment alerts through SMS,
WeCom or an official account, each a vendor's API. The product decides who is told what; a
sender only delivers. What it is handed carries no case details: the user to tell, the kind of
alert and the case number, which the person reads out or opens in the app (signed in) to see
the rest. No description, place, name or photo ever leaves through this seam.

After a commit (`dispatch.context.commit_and_publish`), these events become alerts:
- `offered` (the first offer of a case to a unit, not the repeats): `task_offered` to each
  active officer of the unit;
- `arrived`: `arrived` to the reporter (each responsible unit's arrival);
- `resolved`: `resolved` to the reporter; `feedback_requested`: `feedback_requested` to the
  reporter (both come with a solution; a sender may merge them).
The default sender (`LogNotifier`, wired by `server.bootstrap`) only logs; whether a person's app
is open is not known to the server, so every alert is handed over and the sender may skip
people it knows are online.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from dispatch.events import EventType, user_room
from dispatch.model import Event

log = logging.getLogger(__name__)


class NoticeKind(StrEnum):
    TASK_OFFERED = "task_offered"
    ARRIVED = "arrived"
    RESOLVED = "resolved"
    FEEDBACK_REQUESTED = "feedback_requested"


class Notifier(Protocol):
    """A channel to people whose app is closed (SMS, WeCom, a WeChat official account)."""

    def notify(self, user_id: str, kind: str, case_number: str) -> None: ...


@dataclass(frozen=True)
class Notice:
    """One alert: all a sender is given."""

    user_id: str
    kind: NoticeKind
    case_number: str


class LogNotifier:
    """The default: each alert is a log line, nothing is sent."""

    def notify(self, user_id: str, kind: str, case_number: str) -> None:
        log.info("notice %s to user %s about case %s", kind, user_id, case_number)


_TO_REPORTER = {EventType.ARRIVED: NoticeKind.ARRIVED, EventType.RESOLVED: NoticeKind.RESOLVED,
                EventType.FEEDBACK_REQUESTED: NoticeKind.FEEDBACK_REQUESTED}
_PERSON = user_room("")


def notices(events: Sequence[Event],
            officers_of: Callable[[Sequence[str]], dict[str, list[str]]]) -> list[Notice]:
    """The alerts these committed events call for (see the module), in the events' order.
    `officers_of`: unit codes -> each unit's active officers (read only when a case is
    offered)."""
    offers = [e for e in events if e.type == EventType.OFFERED and not e.data.get("repeat")]
    officers = officers_of(sorted({str(e.data["unit"]) for e in offers})) if offers else {}
    out: list[Notice] = []
    for e in events:
        number = str(e.snapshot.get("case_number") or "")
        if not number:
            continue  # a case stored before its number: nothing to say that carries no detail
        if e in offers:
            out.extend(Notice(officer, NoticeKind.TASK_OFFERED, number)
                       for officer in officers.get(str(e.data["unit"]), []))
        elif (kind := _TO_REPORTER.get(EventType(e.type))) is not None:
            out.extend(Notice(room.removeprefix(_PERSON), kind, number)
                       for room in e.audience if room.startswith(_PERSON))
    return out


def deliver(notifier: Notifier, alerts: Sequence[Notice]) -> None:
    """Hand each alert to the sender; one that fails is logged and the others still go."""
    for alert in alerts:
        try:
            notifier.notify(alert.user_id, str(alert.kind), alert.case_number)
        except Exception:  # noqa: BLE001 - the change is committed; an alert is best effort
            log.exception("could not send the %s notice about case %s", alert.kind,
                          alert.case_number)
