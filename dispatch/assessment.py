"""The units' assessment (考核) for a period: the figures a 12345-style ranking reads.

One function (`unit_rows`) computes every figure, as flat rows of `COLUMNS`; the JSON, CSV and
XLSX exports all print these rows, so they cannot disagree. Definitions (also in the README):

- a unit's *cases*: the cases it answers for, received in [start, end);
- a milestone is *decided* once it is met, or its deadline has passed unmet at `now`; its *rate*
  is on time / decided (None when nothing is decided yet). Arrival is the unit's own; restore and
  resolve are the case's, shared by its units. Resolution is judged against the round's ORIGINAL
  deadline (`resolve_due_original`): an extension does not make a late solution on time;
- times are seconds from the report's reception to the milestone; p90 is the nearest rank;
- *response rate* = arrival rate; *completion rate* = on-time resolution rate (original deadline);
  *resolution rate* = closed cases that closed satisfied or drew no complaint / closed cases;
  *satisfaction rate* = satisfied / answered, by each case's latest answer to the follow-up;
- overdue records are the unit's own; reopenings (rounds), extensions and complaints are counted
  against every unit of the case; a central assignment against the unit it names;
- *score*: the mean of the four rates that exist; the ranking puts units with fewer than the
  minimum cases (`too_few_cases`) last, then the higher score (a score of 0.0 above no score),
  then the unit code.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dispatch import labels
from dispatch.access import require_role
from dispatch.clock import late, on_time, resolve_basis
from dispatch.context import Context, reader
from dispatch.errors import ValidationFailed
from dispatch.model import Incident, Role, Status, Unit, User
from dispatch.ports import CaseFacts
from dispatch.utc import CST

COLUMNS: tuple[str, ...] = (
    "rank", "unit", "name", "kind", "cases", "too_few_cases", "score",
    "response_rate", "completion_rate", "resolution_rate", "satisfaction_rate",
    "arrivals_decided", "arrivals_on_time", "arrival_median_s", "arrival_p90_s",
    "restores_decided", "restores_on_time", "restore_rate", "restore_median_s", "restore_p90_s",
    "resolutions_decided", "resolutions_on_time", "resolve_median_s", "resolve_p90_s",
    "closed", "closed_resolved", "overdue_records", "reopenings", "extensions", "complaints",
    "centrally_assigned", "feedback_answered", "feedback_satisfied", "mean_rating",
)
labels.require("columns", COLUMNS)  # every column named in the catalogue, in this order


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, UTC
    end: datetime    # exclusive, UTC


def month_of(now: datetime) -> Period:
    """The calendar month (China Standard Time) holding `now`: the default period."""
    local = now.astimezone(CST)
    first = datetime(local.year, local.month, 1, tzinfo=CST)
    nxt = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=CST)
    return Period(first, nxt)


def period(now: datetime, start: date | datetime | None, end: date | datetime | None,
           max_span: timedelta) -> Period:
    """From the query: a date is a day in China Standard Time (`to` includes its whole day), a
    datetime is that instant; either missing comes from the current month. Refusals name the
    field: a reversed, empty or too long period, or one past the calendar's end."""
    default = month_of(now)
    try:
        lo = default.start if start is None else _instant(start, 0)
    except OverflowError:
        raise ValidationFailed.on("from", "out of range") from None
    try:
        hi = default.end if end is None else _instant(end, 1)
    except OverflowError:
        raise ValidationFailed.on("to", "out of range") from None
    if hi <= lo:
        raise ValidationFailed.on("to", "must be after `from`")
    if hi - lo > max_span:
        raise ValidationFailed.on("to", f"a period is at most {max_span.days} days")
    return Period(lo, hi)


def _instant(value: date | datetime, days_after: int) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=days_after), time(), tzinfo=CST)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least q of them at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 4)


class _Tally:
    """One unit's counts, added to case by case."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.cases = self.closed = self.closed_resolved = 0
        self.reopenings = self.extensions = self.complaints = self.central = 0
        self.answered = self.satisfied = 0
        self.ratings: list[int] = []
        self.decided = {"arrival": 0, "restore": 0, "resolve": 0}
        self.in_time = {"arrival": 0, "restore": 0, "resolve": 0}
        self.times: dict[str, list[float]] = {"arrival": [], "restore": [], "resolve": []}
        self.overdue = 0

    def milestone(self, name: str, received: datetime, done: datetime | None, due: datetime,
                  now: datetime) -> None:
        if done is not None:
            self.times[name].append((done - received).total_seconds())
        if done is not None or late(now, due):
            self.decided[name] += 1
            self.in_time[name] += bool(on_time(done, due))

    def case(self, f: CaseFacts, now: datetime) -> None:
        self.cases += 1
        self.milestone("arrival", f.received_at, f.arrived_at, f.arrival_due, now)
        self.milestone("restore", f.received_at, f.restored_at, f.restore_due, now)
        self.milestone("resolve", f.received_at, f.resolved_at, f.resolve_due, now)
        self.reopenings += f.round
        self.extensions += f.extensions
        self.complaints += f.complaints
        self.central += f.central_unit == self.unit.code
        if f.status == Status.CLOSED:
            self.closed += 1
            self.closed_resolved += (f.closed_reason == "satisfied" or not f.complaints)
        if f.feedback_at is not None:
            self.answered += 1
            self.satisfied += bool(f.feedback_satisfied)
            if f.feedback_rating is not None:
                self.ratings.append(f.feedback_rating)

    def row(self, min_cases: int) -> dict[str, Any]:
        d, t = self.decided, self.in_time
        rates = {
            "response_rate": _rate(t["arrival"], d["arrival"]),
            "completion_rate": _rate(t["resolve"], d["resolve"]),
            "resolution_rate": _rate(self.closed_resolved, self.closed),
            "satisfaction_rate": _rate(self.satisfied, self.answered),
        }
        known = [r for r in rates.values() if r is not None]
        row: dict[str, Any] = {
            "rank": 0, "unit": self.unit.code, "name": self.unit.name, "kind": self.unit.kind,
            "cases": self.cases, "too_few_cases": self.cases < min_cases,
            "score": round(sum(known) / len(known), 4) if known else None, **rates,
            "arrivals_decided": d["arrival"], "arrivals_on_time": t["arrival"],
            "restores_decided": d["restore"], "restores_on_time": t["restore"],
            "restore_rate": _rate(t["restore"], d["restore"]),
            "resolutions_decided": d["resolve"], "resolutions_on_time": t["resolve"],
            "closed": self.closed, "closed_resolved": self.closed_resolved,
            "overdue_records": self.overdue, "reopenings": self.reopenings,
            "extensions": self.extensions, "complaints": self.complaints,
            "centrally_assigned": self.central, "feedback_answered": self.answered,
            "feedback_satisfied": self.satisfied,
            "mean_rating": round(statistics.fmean(self.ratings), 4) if self.ratings else None,
        }
        for name in ("arrival", "restore", "resolve"):
            row[f"{name}_median_s"] = _median(self.times[name])
            row[f"{name}_p90_s"] = percentile(self.times[name], 0.9)
        return {key: row[key] for key in COLUMNS}


def facts_of(inc: Incident) -> list[CaseFacts]:
    """What the assessment reads of a case, one row per unit: the definition the storage's
    `facts_between` query follows column for column."""
    return [CaseFacts(
        incident_id=inc.id, unit_code=a.unit_code, received_at=inc.received_at,
        arrival_due=a.arrival_due, arrived_at=a.arrived_at, restore_due=inc.restore_due,
        restored_at=inc.restored_at,
        resolve_due=resolve_basis(inc.resolve_due, inc.resolve_due_original),
        resolved_at=inc.resolved_at, status=str(inc.status), closed_reason=inc.closed_reason,
        round=inc.round, extensions=inc.extensions, complaints=len(inc.complaints),
        central_unit=inc.central_unit, feedback_at=inc.feedback_at,
        feedback_satisfied=inc.feedback_satisfied, feedback_rating=inc.feedback_rating)
        for a in inc.assignments]


def unit_rows(units: Sequence[Unit], facts: Sequence[CaseFacts], overdue: Mapping[str, int],
              now: datetime, min_cases: int) -> list[dict[str, Any]]:
    """Every figure of every unit, ranked (see the module's docstring)."""
    tallies = {u.code: _Tally(u) for u in units}
    for f in facts:
        if f.unit_code in tallies:
            tallies[f.unit_code].case(f, now)
    for code, count in overdue.items():
        if code in tallies:
            tallies[code].overdue = count
    rows = [t.row(min_cases) for t in tallies.values()]
    # A score of 0.0 is a score: it ranks above none at all (`score is None`), never with it.
    rows.sort(key=lambda r: (r["too_few_cases"], r["score"] is None, -(r["score"] or 0.0),
                             r["unit"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def stats_by_unit(ctx: Context, user: User, when: Period) -> list[dict[str, Any]]:
    """Dispatchers see their own unit; commanders every unit; anyone else is refused."""
    require_role(user, Role.DISPATCHER, Role.COMMANDER)
    own = user.unit_code if user.role == Role.DISPATCHER else None
    with reader(ctx) as uow:
        units = [u for u in uow.units.list() if own is None or u.code == own]
        facts = uow.incidents.facts_between(when.start, when.end, own)
        overdue = uow.incidents.overdue_between(when.start, when.end, own)
    return unit_rows(units, facts, overdue, ctx.clock(), ctx.settings.stats_min_cases)
