"""The open cases as the command center's map and board read them: compact records, and the one
state each case's clocks are in at `now`.

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
from typing import NamedTuple

from dispatch.clock import Policy, is_overdue, late
from dispatch.model import Milestone, MilestoneClock, Status


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

    def clocks(self) -> list[MilestoneClock]:
        """The deadlines of `Incident.clocks()`: each unit's arrival, then restore, resolve."""
        out = [MilestoneClock(Milestone.ARRIVAL, u.code, u.arrival_due, u.arrived_at)
               for u in self.units]
        out.append(MilestoneClock(Milestone.RESTORE, None, self.restore_due, self.restored_at))
        out.append(MilestoneClock(Milestone.RESOLVE, None, self.resolve_due, self.resolved_at))
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
