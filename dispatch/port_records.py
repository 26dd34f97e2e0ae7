"""The small frozen records the ports take and hand back (queries, a boundary set's version, an
idempotency claim, one case's facts for the assessment): plain values, no behaviour, re-exported
by `dispatch.ports`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class IncidentQuery:
    """Who is asking and what they filter on; `None` means no filter."""

    reporter_id: str | None = None
    visible_to_unit: str | None = None
    status: Sequence[str] | None = None
    unit: str | None = None
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    overdue_at: datetime | None = None
    # A case number, exactly (already trimmed and upper-cased), and a text searched in the
    # number, the description, the territory, the site and the enterprise (`storage.case_search`).
    number: str | None = None
    text: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class PeriodQuery:
    """Cases by when they were received, for publication and outside systems (Open311).

    `start` inclusive, `end` exclusive; `ids`, when given, limits to those cases, `categories` to
    cases of those; `closed`: True for closed cases only, False for the others; withheld cases
    only with `include_withheld`.
    Oldest first, at most `limit` after skipping `offset`.
    """

    start: datetime | None = None
    end: datetime | None = None
    ids: Sequence[str] | None = None
    categories: Sequence[str] | None = None
    closed: bool | None = None
    include_withheld: bool = True
    limit: int = 1000
    offset: int = 0


@dataclass(frozen=True)
class BoundarySet:
    """A version of the territories' boundaries; at most one is active."""

    id: int
    name: str
    label: str
    active: bool
    created_at: datetime
    activated_at: datetime | None


@dataclass(frozen=True)
class IdempotencyClaim:
    """Who used an Idempotency-Key for what: the request it first came with and what it made."""

    user_id: str
    key: str
    scope: str
    request_hash: str
    resource_id: str
    created_at: datetime


@dataclass(frozen=True)
class CaseFacts:
    """What the assessment reads of one case for one of its units (`dispatch.assessment`):
    plain values, so a month of cases is read without building the cases themselves."""

    incident_id: str
    unit_code: str
    received_at: datetime
    arrival_due: datetime
    arrived_at: datetime | None
    restore_due: datetime
    restored_at: datetime | None
    resolve_due: datetime  # the round's original deadline, before any extension
    resolved_at: datetime | None
    status: str
    closed_reason: str | None
    round: int
    extensions: int
    complaints: int
    central_unit: str | None
    feedback_at: datetime | None
    feedback_satisfied: bool | None
    feedback_rating: int | None
