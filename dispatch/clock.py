"""Deadlines and on-time judgements of the 311 rule, as pure functions of the times given.

Nothing here reads the wall clock: callers pass `now`, so tests pass times and never sleep.

The boundary, once for the whole project (`late`, and `on_time` / `is_overdue` built on it):
a milestone done *exactly at* its deadline is on time; it is overdue when `now` is *strictly
after* the deadline and it is still unmet. The API's `overdue` field, the `?overdue=true` list
filter (SQL built by calling `late` on the columns), the overdue timers (planned for
`first_late_instant`) and the `on_time` of the events all go through these functions.

A resolution is judged against the round's FIRST resolve deadline (`resolve_basis`,
`resolved_on_time`): an extension moves the live clock (timers, `overdue`, the deadline shown)
but never makes a late solution on time. The case's detail and list, the `resolved` event, the
assessment and the public disclosure all call these two, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

Clock = Callable[[], datetime]

# The finest time both databases store (PostgreSQL's timestamptz and SQLite's text): the step
# between a deadline and the first instant that counts as late.
RESOLUTION = timedelta(microseconds=1)


class Milestone(StrEnum):
    """What each responsible unit answers for, in order: arrive, restore order, solve it."""

    ARRIVAL = "arrival"
    RESTORE = "restore"
    RESOLVE = "resolve"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    """How long each milestone may take from the report's reception, and when to warn before it."""

    arrival: timedelta = timedelta(minutes=30)
    restore: timedelta = timedelta(hours=1)
    resolve: timedelta = timedelta(days=7)
    arrival_warning: timedelta = timedelta(minutes=10)
    restore_warning: timedelta = timedelta(minutes=15)
    resolve_warning: timedelta = timedelta(days=1)

    def allowance(self, milestone: Milestone) -> timedelta:
        return {
            Milestone.ARRIVAL: self.arrival,
            Milestone.RESTORE: self.restore,
            Milestone.RESOLVE: self.resolve,
        }[milestone]

    def warning(self, milestone: Milestone) -> timedelta:
        # Branches, not a dict built per call: the map asks this for every deadline it shows.
        if milestone == Milestone.ARRIVAL:
            return self.arrival_warning
        if milestone == Milestone.RESTORE:
            return self.restore_warning
        if milestone == Milestone.RESOLVE:
            return self.resolve_warning
        raise KeyError(milestone)

    def near_at(self, milestone: Milestone, due: datetime) -> datetime:
        """When an unmet deadline turns near: the `deadline_near` notice fires then, and the
        map, the board and the pages show it near from then until the deadline."""
        return due - self.warning(milestone)

    def scaled(self, divisor: float) -> Policy:
        """Every allowance and warning divided by `divisor` (see `Settings.time_scaled`)."""
        return Policy(**{name: value / divisor for name, value in self.__dict__.items()})


@dataclass(frozen=True)
class Policies:
    """The default policy, overridable per incident category."""

    default: Policy = Policy()
    by_category: Mapping[str, Policy] = field(default_factory=dict)

    def for_category(self, category: str) -> Policy:
        return self.by_category.get(category, self.default)

    def scaled(self, divisor: float) -> Policies:
        return Policies(default=self.default.scaled(divisor),
                        by_category={cat: p.scaled(divisor) for cat, p in self.by_category.items()})

    @classmethod
    def from_seconds(cls, spec: Mapping[str, Mapping[str, float]]) -> Policies:
        """Build from configuration: {"default"|category: {"arrival": seconds, ...}}."""
        base = Policy(**_durations(spec.get("default", {})))
        per = {
            cat: Policy(**{**base.__dict__, **_durations(values)})
            for cat, values in spec.items()
            if cat != "default"
        }
        return cls(default=base, by_category=per)


def _durations(values: Mapping[str, float]) -> dict[str, timedelta]:
    known = set(Policy.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown deadline keys {sorted(unknown)}; known: {sorted(known)}")
    return {key: timedelta(seconds=float(seconds)) for key, seconds in values.items()}


@dataclass(frozen=True)
class Deadlines:
    arrival: datetime
    restore: datetime
    resolve: datetime

    def due(self, milestone: Milestone) -> datetime:
        return {
            Milestone.ARRIVAL: self.arrival,
            Milestone.RESTORE: self.restore,
            Milestone.RESOLVE: self.resolve,
        }[milestone]


def deadlines(received_at: datetime, policy: Policy) -> Deadlines:
    """Every milestone is counted from the moment the report is received (the rule's own words)."""
    return Deadlines(
        arrival=received_at + policy.arrival,
        restore=received_at + policy.restore,
        resolve=received_at + policy.resolve,
    )


_R_co = TypeVar("_R_co", covariant=True)


class Deadline(Protocol[_R_co]):
    """A deadline: a datetime (the answer is a bool) or a database column of deadlines (the
    answer is a SQL condition), anything that can say whether it is before a time."""

    def __lt__(self, other: datetime, /) -> _R_co: ...


def late(at: datetime, due: Deadline[_R_co]) -> _R_co:
    """THE boundary: `at` is late for `due` when strictly after it; at the deadline is in time.

    Written `due < at` so that a storage column given as `due` turns this very comparison into
    SQL (`due < :at`): the list filter is built by calling this function, not by copying it.
    """
    return due < at


def on_time(done_at: datetime | None, due: datetime) -> bool | None:
    """None while the milestone is open; done exactly at the deadline still counts as on time."""
    if done_at is None:
        return None
    return not late(done_at, due)


def is_overdue(done_at: datetime | None, due: datetime, now: datetime) -> bool:
    """Unmet, and `now` strictly after the deadline. A milestone met late is no longer overdue
    (it was late: `on_time` says so, and the accountability record keeps it)."""
    return done_at is None and late(now, due)


def first_late_instant(due: datetime) -> datetime:
    """The first time `late` holds for `due`: when an overdue notice may fire, and not before."""
    return due + RESOLUTION


def resolve_basis(resolve_due: datetime, resolve_due_original: datetime | None) -> datetime:
    """The deadline a resolution is judged against: the round's first one (`original`, set when
    the deadline was first extended), else the deadline in force. Self-granted time (a unit's
    own dispatcher extends) must not turn a late solution into an on-time one."""
    return resolve_due if resolve_due_original is None else resolve_due_original


def resolved_on_time(resolved_at: datetime | None, resolve_due: datetime,
                     resolve_due_original: datetime | None) -> bool | None:
    """THE on-time answer for the resolve milestone, on every surface: `on_time` against
    `resolve_basis` (None while unsolved)."""
    return on_time(resolved_at, resolve_basis(resolve_due, resolve_due_original))
