"""Cases as the reads show them: compact records for the command center's map and board and for
a page of the list, and the one state each case's clocks are in at `now`.

Why a record of its own and not `Incident`: the map reads every open case at once (thousands),
and a domain object with its photos and event history costs far more to load than the map needs.
These records hold the columns a marker and a board row show, and `clocks()` rebuilds from them
the very deadlines `Incident.clocks()` gives, so the judgement below is the domain's own
(`dispatch.clock`), with `now` passed in.

The states, in the order they win:
- `resolved`: the problem is marked solved (the case waits for the reporter's feedback);
- `overdue`: a deadline passed unmet (`clock.is_overdue`, the API's `overdue` field);
- `near`: an unmet deadline is within its warning lead time (the `deadline_near` notice's own
  lead, `Policy.warning`): from `due - warning` included up to the deadline included;
- `restored`: order is restored and no deadline is near;
- `on_time`: everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from dispatch.clock import Policy, is_overdue, late
from dispatch.model import Complaint, Milestone, MilestoneClock, Status


class ClockState(StrEnum):
    ON_TIME = "on_time"
    NEAR = "near"
    OVERDUE = "overdue"
    RESTORED = "restored"
    RESOLVED = "resolved"


class CaseUnit(NamedTuple):
    """One responsible unit of an open case, as the map shows it."""

    code: str
    kind: str
    accepted_at: datetime | None
    arrived_at: datetime | None
    arrival_due: datetime


class OpenCase(NamedTuple):
    """An open case's columns for a marker and a board row; `units` in `Incident.assignments`
    order (the territory, then departments by code)."""

    id: str
    category: str
    status: str
    territory_code: str
    lon: float
    lat: float
    received_at: datetime
    green_channel: bool
    round: int
    arrival_due: datetime
    restore_due: datetime
    resolve_due: datetime
    restored_at: datetime | None
    resolved_at: datetime | None
    units: tuple[CaseUnit, ...]
    case_number: str = ""

    def clocks(self) -> list[MilestoneClock]:
        return clocks_of(self)


class ListedUnit(NamedTuple):
    code: str
    name: str
    kind: str
    accepted_at: datetime | None
    arrived_at: datetime | None
    arrival_due: datetime
    arrival_distance_m: float | None
    accepted_by: str | None
    arrived_by: str | None
    arrival_location: Any  # a shapely Point: the check-in fix, or None
    # How the arrival was judged (`dispatch.offline`), named as on `Assignment`.
    arrival_device_time: datetime | None = None
    arrival_sent_late: bool | None = None
    arrival_counted_at: str | None = None
    arrival_count_reason: str | None = None
    arrival_mock_location: bool | None = None


class ListedPhoto(NamedTuple):
    id: str
    content_type: str
    size: int


class ListedCase(NamedTuple):
    """A case as a page of the list shows it (API.md's incident without its timeline), read
    without building the domain object: a page of fifty cases, their units and photos."""

    id: str
    category: str
    description: str
    status: str
    lon: float
    lat: float
    site_id: str | None
    green_channel: bool
    territory_code: str
    territory_name: str
    boundary_set_id: int
    received_at: datetime
    arrival_due: datetime
    restore_due: datetime
    resolve_due: datetime
    restored_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    # The supervision cycle's columns, named as on `Incident` so one serializer reads both.
    lead_unit: str | None
    resolve_due_original: datetime | None
    extensions: int
    extension_reason: str | None
    feedback_due: datetime | None
    feedback_at: datetime | None
    feedback_satisfied: bool | None
    feedback_rating: int | None
    feedback_comment: str | None
    closed_reason: str | None
    central_unit: str | None
    central_person: str | None
    central_due: datetime | None
    central_by: str | None
    central_at: datetime | None
    units: tuple[ListedUnit, ...]
    photos: tuple[ListedPhoto, ...]
    complaints: tuple[Complaint, ...]
    # Named as on `Incident` (the columns of issue 16: `LISTED_TAIL` of the storage's read).
    case_number: str = ""
    restore_device_time: datetime | None = None
    restore_sent_late: bool | None = None
    resolve_device_time: datetime | None = None
    resolve_sent_late: bool | None = None

    def clocks(self) -> list[MilestoneClock]:
        return clocks_of(self)

    def overdue(self, now: datetime) -> list[MilestoneClock]:
        """`Incident.overdue`: the deadlines passed unmet at `now`."""
        return [c for c in self.clocks() if is_overdue(c.done_at, c.due, now)]


def clocks_of(case: OpenCase | ListedCase) -> list[MilestoneClock]:
    """The deadlines of `Incident.clocks()` for a record: each unit's arrival, then restore,
    then resolve (a unit test holds the two equal)."""
    out = [MilestoneClock(Milestone.ARRIVAL, u.code, u.arrival_due, u.arrived_at)
           for u in case.units]
    out.append(MilestoneClock(Milestone.RESTORE, None, case.restore_due, case.restored_at))
    out.append(MilestoneClock(Milestone.RESOLVE, None, case.resolve_due, case.resolved_at))
    return out


def next_due(clocks: Sequence[MilestoneClock]) -> MilestoneClock | None:
    """The earliest unmet deadline (the first in `clocks` order among equal ones), or None."""
    best: MilestoneClock | None = None
    for c in clocks:
        if c.done_at is None and (best is None or c.due < best.due):
            best = c
    return best


def is_near(clock: MilestoneClock, now: datetime, policy: Policy) -> bool:
    """Unmet, and `now` between its warning instant (included: the `deadline_near` notice fires
    then) and the deadline (included: at the deadline it is still in time)."""
    return (clock.done_at is None and clock.due - policy.warning(clock.milestone) <= now
            and not late(now, clock.due))


def clock_state(status: str, clocks: Sequence[MilestoneClock], now: datetime,
                policy: Policy) -> ClockState:
    """The one state of a case's clocks at `now` (see the module's docstring for the order)."""
    if status in (Status.RESOLVED, Status.CLOSED):
        return ClockState.RESOLVED
    if any(is_overdue(c.done_at, c.due, now) for c in clocks):
        return ClockState.OVERDUE
    if any(is_near(c, now, policy) for c in clocks):
        return ClockState.NEAR
    if status == Status.RESTORED:
        return ClockState.RESTORED
    return ClockState.ON_TIME
