"""Deadlines and on-time judgements of the 311 rule, as pure functions of the times given.

Nothing here reads the wall clock: callers pass `now`, so tests pass times and never sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dispatch.model import Milestone

Clock = Callable[[], datetime]


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
        return {
            Milestone.ARRIVAL: self.arrival_warning,
            Milestone.RESTORE: self.restore_warning,
            Milestone.RESOLVE: self.resolve_warning,
        }[milestone]


@dataclass(frozen=True)
class Policies:
    """The default policy, overridable per incident category."""

    default: Policy = Policy()
    by_category: Mapping[str, Policy] = field(default_factory=dict)

    def for_category(self, category: str) -> Policy:
        return self.by_category.get(category, self.default)

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


def on_time(done_at: datetime | None, due: datetime) -> bool | None:
    """None while the milestone is open; exactly at the deadline still counts as on time."""
    if done_at is None:
        return None
    return done_at <= due


def is_overdue(done_at: datetime | None, due: datetime, now: datetime) -> bool:
    if done_at is not None:
        return done_at > due
    return now > due
