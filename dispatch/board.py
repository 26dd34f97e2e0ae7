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

The pages hold none of this: every surface that shows a case (the map, an incident, a list item,
a live event's snapshot) carries its `clocks`, the instants at which each deadline turns near and
late (`case_instants`, one function, with the warning lead the `deadline_near` timers use), and
the page compares them with its clock (`CaseInstants.state` is that comparison).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from dispatch.clock import Policy, is_overdue, late, on_time
from dispatch.model import Complaint, Milestone, MilestoneClock, Status
from dispatch.settings import Settings
from dispatch.utc import iso_utc


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
    resolve_due_original: datetime | None  # the round's first resolve deadline once extended
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
    out.append(MilestoneClock(Milestone.RESOLVE, None, case.resolve_due, case.resolved_at,
                              case.resolve_due_original))
    return out


def next_due(clocks: Sequence[MilestoneClock]) -> MilestoneClock | None:
    """The earliest unmet deadline (the first in `clocks` order among equal ones), or None."""
    best: MilestoneClock | None = None
    for c in clocks:
        if c.done_at is None and (best is None or c.due < best.due):
            best = c
    return best


def clock_state(status: str, clocks: Sequence[MilestoneClock], now: datetime,
                policy: Policy) -> ClockState:
    """The one state of a case's clocks at `now` (see the module's docstring for the order):
    judged on the very instants the pages are sent (`instants_of`)."""
    return instants_of(status, clocks, policy).state(now)


# -- the instants the pages compare with their clock ----------------------------------------------
# A page never judges a clock itself (it would need the warning settings, and the green channel's
# differ from the category's): the server sends, for every deadline, when it turns near and when
# it is due (late strictly after), and for the case the first of each; the page compares them with
# its clock and nothing else. `CaseInstants.state` is that comparison, and the map is judged by it.

class Clocked(Protocol):
    """What the instants are computed from: an `Incident`, a map or list record, an event's
    snapshot (`SnapshotCase`)."""

    @property
    def category(self) -> str: ...
    @property
    def green_channel(self) -> bool: ...
    @property
    def status(self) -> str: ...
    def clocks(self) -> list[MilestoneClock]: ...


class MilestoneInstants(NamedTuple):
    """One deadline: near from `near_at` (included), late strictly after `due`, met at
    `done_at` (None while unmet)."""

    milestone: Milestone
    unit_code: str | None
    due: datetime
    near_at: datetime
    done_at: datetime | None
    basis: datetime  # what `done_at` is judged on time against (`MilestoneClock.basis`)


class CaseInstants(NamedTuple):
    """Every deadline of a case in `clocks()` order, and for the case the first `near_at` and
    the first `due` of its unmet deadlines (None when it has none, or is solved: then no clock
    colours it) and `calm`, its state while no deadline is near or passed."""

    milestones: tuple[MilestoneInstants, ...]
    near_at: datetime | None
    due: datetime | None
    calm: ClockState

    def state(self, now: datetime) -> ClockState:
        """Overdue strictly after the first unmet deadline (`clock.late`); near from the first
        warning instant; else calm. Equal to judging each deadline: a deadline not yet late
        is near once its warning passed, and the earliest warning is the first to pass."""
        if self.due is not None and late(now, self.due):
            return ClockState.OVERDUE
        if self.near_at is not None and self.near_at <= now:
            return ClockState.NEAR
        return self.calm


def instants_of(status: str, clocks: Sequence[MilestoneClock], policy: Policy) -> CaseInstants:
    marks = []
    first_near: datetime | None = None
    first_due: datetime | None = None
    for c in clocks:  # one pass: the map does this for every open case
        near = policy.near_at(c.milestone, c.due)
        marks.append(MilestoneInstants(c.milestone, c.unit_code, c.due, near, c.done_at, c.basis))
        if c.done_at is None:
            if first_near is None or near < first_near:
                first_near = near
            if first_due is None or c.due < first_due:
                first_due = c.due
    if status in (Status.RESOLVED, Status.CLOSED):
        return CaseInstants(tuple(marks), None, None, ClockState.RESOLVED)
    return CaseInstants(tuple(marks), first_near, first_due,
                        ClockState.RESTORED if status == Status.RESTORED else ClockState.ON_TIME)


def case_instants(case: Clocked, settings: Settings) -> CaseInstants:
    """THE instants of a case, for every surface (the map, an incident, a list item, an event's
    snapshot): its clocks' own policy, looked up as the `deadline_near` timers look it up
    (`Settings.policy`: the green channel's for a green-channel case, else its category's)."""
    return instants_of(case.status, case.clocks(),
                       settings.policy(case.category, case.green_channel))


def instants_json(x: CaseInstants, iso: Callable[[datetime], str] = iso_utc) -> dict[str, Any]:
    """The wire form (`schemas.CaseClocksOut`); `iso` may cache, as the map's writer does (a
    hot path: the map writes it for thousands of cases)."""
    return {"near_at": None if x.near_at is None else iso(x.near_at),
            "due": None if x.due is None else iso(x.due), "calm": str(x.calm),
            "milestones": [{"milestone": str(m.milestone), "unit": m.unit_code,
                            "due": iso(m.due), "near_at": iso(m.near_at),
                            "done_at": None if m.done_at is None else iso(m.done_at),
                            "on_time": on_time(m.done_at, m.basis)}
                           for m in x.milestones]}


class SnapshotCase:
    """An event's snapshot (`Incident.snapshot()`) read back as a `Clocked` case: the instants of
    a live event are computed when it is sent, from the deadlines it recorded."""

    def __init__(self, snapshot: Mapping[str, Any]) -> None:
        self.category = str(snapshot["category"])
        self.green_channel = bool(snapshot.get("green_channel", False))
        self.status = str(snapshot["status"])
        deadlines, done = snapshot["deadlines"], snapshot.get("milestones") or {}
        self._clocks = [MilestoneClock(Milestone.ARRIVAL, u["code"], _time(u["arrival_due"]),
                                       _opt_time(u.get("arrived_at")))
                        for u in snapshot.get("units") or ()]
        self._clocks.append(MilestoneClock(Milestone.RESTORE, None, _time(deadlines["restore"]),
                                           _opt_time(done.get("restored_at"))))
        self._clocks.append(MilestoneClock(Milestone.RESOLVE, None, _time(deadlines["resolve"]),
                                           _opt_time(done.get("resolved_at")),
                                           _opt_time(deadlines.get("resolve_original"))))

    def clocks(self) -> list[MilestoneClock]:
        return list(self._clocks)


def with_instants(snapshot: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """An event's snapshot with its `clocks` (as sent live and by `resync`); a snapshot without
    deadlines (an event about no case) is sent as it is."""
    if "deadlines" not in snapshot:
        return snapshot
    return {**snapshot, "clocks": instants_json(case_instants(SnapshotCase(snapshot), settings))}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _opt_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
