"""The ports the phone apps' features add: the day's case-number counter, and the officers'
roster and stored positions, with the records they hand back.

Why apart from `dispatch.ports`: that module holds the unit of work, which has one of each of
these (`uow.case_numbers`, `uow.officers`), and stays readable. Like every port, these are
`typing.Protocol`s implemented by the storage (`dispatch.storage.case_numbers`,
`dispatch.storage.officers`) and by the unit tests' fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from dispatch.offline import TrailFix


@dataclass(frozen=True)
class FixNote:
    """What is stored with a fix besides where and when: the phone's mock-location flag (None:
    not said) and, for a fix flagged as too fast, the speed it implied (`dispatch.offline`)."""

    mock_location: bool | None = None
    flagged_speed_kmh: float | None = None


@dataclass(frozen=True)
class AcceptedCase:
    """A case an officer accepted and that is still being worked (not solved or closed)."""

    id: str
    case_number: str
    status: str
    lon: float | None = None  # the site (WGS-84), for the distance to it
    lat: float | None = None


@dataclass(frozen=True)
class OfficerStatus:
    """One officer as the command map lists them: the latest stored position (None: never
    sent one) and when it was taken (`last_seen_at`, the fix's device time)."""

    id: str
    username: str
    name: str
    unit_code: str | None
    unit_name: str | None
    lon: float | None
    lat: float | None
    accuracy_m: float | None
    last_seen_at: datetime | None
    received_at: datetime | None
    mock_location: bool | None
    case: AcceptedCase | None


class CaseNumberRepository(Protocol):
    def take(self, day: date) -> int:
        """The day's next sequence (1 for its first case), in one statement. The day's row stays
        locked by this transaction until it ends: two reports never get the same sequence, and
        one that rolls back gives its sequence back. Take it last, just before the commit."""
        ...


class OfficerRepository(Protocol):
    def trail(self, officer_id: str, start: datetime, end: datetime) -> list[TrailFix]:
        """The officer's unflagged stored fixes dated in [start, end], and the latest unflagged
        one before `start` (the previous fix of anything in the range), oldest first."""
        ...

    def roster(self, unit_code: str | None) -> list[OfficerStatus]:
        """The active officers (of that unit; None: every unit), by unit then name."""
        ...

    def ids_of(self, unit_codes: Sequence[str]) -> dict[str, list[str]]:
        """unit -> the ids of its active officers (every unit asked for is a key)."""
        ...
