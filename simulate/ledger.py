"""What the simulation's agents saw of their cases, and the summary made of it.

The ledger is fed only by what the server answered and pushed (the incident in each REST
answer, the `incident` snapshot of each event, the `incident.overdue` notices), never by what the
agents meant to do: the summary is a measurement of the server, which a test can then hold
against the server's own reading.
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Case:
    id: str
    index: int
    category: str
    territory: str
    received_at: datetime
    restore_due: datetime
    resolve_due: datetime
    arrival_due: dict[str, datetime] = field(default_factory=dict)
    arrived_at: dict[str, datetime | None] = field(default_factory=dict)
    restored_at: datetime | None = None
    resolved_at: datetime | None = None
    restorer: str | None = None  # the unit whose officer took on restoring order


@dataclass
class Tally:
    """One kind of milestone: met in time, met late, unmet past due, not due yet."""

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0

    def add(self, done: datetime | None, due: datetime, now: datetime) -> None:
        # The server's rule (dispatch.clock): done at the deadline is in time; late is after.
        if done is not None:
            if done <= due:
                self.on_time += 1
            else:
                self.late += 1
        elif now > due:
            self.overdue += 1
        else:
            self.pending += 1

    @property
    def decided(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        return self.on_time / self.decided if self.decided else None


class Ledger:
    """Thread-safe: agents' threads and socket threads write to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[str, Case] = {}
        self.notices: set[tuple[str, str, str]] = set()  # (incident, unit, milestone)
        self.refused: list[tuple[int, int, str]] = []  # (report index, status, problem title)
        self.post_latency_s: list[float] = []
        self.offer_latency_s: list[float] = []
        self.accepted = 0
        self.accept_refused = 0
        self._sent_at: dict[str, float] = {}
        self.unit_names: dict[str, str] = {}

    # -- fed by the agents --------------------------------------------------------------------
    def learn(self, incident: Mapping[str, Any], index: int | None = None) -> None:
        """Take in an incident as the server showed it (a REST answer or an event's snapshot).
        Facts only accumulate: a milestone once seen met stays met, whatever order the
        answers and events arrive in."""
        with self._lock:
            case = self._cases.get(incident["id"])
            if case is None:
                if index is None:
                    return  # not one of ours (someone else's report on the same server)
                case = self._cases[incident["id"]] = Case(
                    id=incident["id"], index=index, category=incident["category"],
                    territory=incident["territory"]["code"],
                    received_at=_t(incident["received_at"]),
                    restore_due=_t(incident["deadlines"]["restore"]),
                    resolve_due=_t(incident["deadlines"]["resolve"]))
            for unit in incident.get("units", []):
                self.unit_names.setdefault(unit["code"], str(unit.get("name", "")))
                case.arrival_due.setdefault(unit["code"], _t(unit["arrival_due"]))
                if case.arrived_at.get(unit["code"]) is None:
                    case.arrived_at[unit["code"]] = parse_time(unit.get("arrived_at"))
            milestones = incident.get("milestones") or {}
            case.restored_at = case.restored_at or parse_time(milestones.get("restored_at"))
            case.resolved_at = case.resolved_at or parse_time(milestones.get("resolved_at"))

    def notice(self, data: Mapping[str, Any]) -> None:
        """An `incident.overdue` heard (by the unit's officer: each is heard once per unit)."""
        with self._lock:
            if data.get("incident_id") in self._cases:
                self.notices.add((data["incident_id"], data["data"]["unit"],
                                  data["data"]["milestone"]))

    def refuse(self, index: int, status: int, title: str) -> None:
        with self._lock:
            self.refused.append((index, status, title))

    def answered(self) -> int:
        """Reports the server has answered: created (201) or refused."""
        with self._lock:
            return len(self._sent_at) + len(self.refused)

    def sent(self, incident_id: str, at: float, latency_s: float) -> None:
        with self._lock:
            self._sent_at[incident_id] = at
            self.post_latency_s.append(latency_s)

    def offered(self, incident_id: str, heard_at: float) -> None:
        """Under load: the first offer heard of a case, against when its report was sent."""
        with self._lock:
            sent = self._sent_at.pop(incident_id, None)
            if sent is not None:
                self.offer_latency_s.append(heard_at - sent)

    def accept_answer(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.accepted += 1
            else:
                self.accept_refused += 1

    def claim_restore(self, incident_id: str, unit: str) -> bool:
        """The first of our officers on site restores order; the others go back to work."""
        with self._lock:
            case = self._cases.get(incident_id)
            if case is None or case.restorer is not None or case.restored_at is not None:
                return False
            case.restorer = unit
            return True

    # -- read ---------------------------------------------------------------------------------
    def index_of(self, incident_id: str) -> int | None:
        with self._lock:
            case = self._cases.get(incident_id)
            return None if case is None else case.index

    def is_resolved(self, incident_id: str) -> bool:
        with self._lock:
            case = self._cases.get(incident_id)
            return case is not None and case.resolved_at is not None

    def cases(self) -> list[Case]:
        with self._lock:
            return [Case(**{**asdict(c), "arrival_due": dict(c.arrival_due),
                            "arrived_at": dict(c.arrived_at)}) for c in self._cases.values()]

    def settled(self, now: datetime, grace: timedelta) -> bool:
        """Every arrival and restore is met, or past due (and its notice heard, or `grace` past
        the deadline without one): nothing in the summary can change but the resolutions."""
        with self._lock:
            for c in self._cases.values():
                clocks = [(u, "arrival", c.arrived_at.get(u), due)
                          for u, due in c.arrival_due.items()]
                clocks += [(u, "restore", c.restored_at, c.restore_due) for u in c.arrival_due]
                for unit, milestone, done, due in clocks:
                    if done is not None:
                        continue
                    if now <= due:
                        return False
                    if (c.id, unit, milestone) not in self.notices and now <= due + grace:
                        return False
            return True


def _t(value: str) -> datetime:
    parsed = parse_time(value)
    assert parsed is not None
    return parsed


@dataclass
class Summary:
    mode: str
    seed: int
    speed: float
    simulated_hours: float
    wall_seconds: float
    started_at: str            # the simulated start, local time
    interrupted: bool
    planned: int
    cases: int
    refused: int
    by_category: dict[str, int]
    arrival: Tally
    restore: Tally
    resolve: Tally
    overdue_notices: int       # incident.overdue heard: one per unit and milestone missed
    overdue_now: int           # deadlines past and unmet when the run ended (the API's overdue)
    post_latency_ms: dict[str, float] = field(default_factory=dict)
    offer_latency_ms: dict[str, float] = field(default_factory=dict)
    accepted: int = 0
    accept_refused: int = 0
    refusals: list[str] = field(default_factory=list)
    units: dict[str, UnitFigures] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("arrival", "restore", "resolve"):
            out[name]["rate"] = getattr(self, name).rate
            for code, unit in self.units.items():
                out["units"][code][name]["rate"] = getattr(unit, name).rate
        return out


@dataclass
class UnitFigures:
    """One unit's share, as the assessment counts it: the cases it answers for, its own
    arrivals, the restore and resolve of each of its cases, the overdue notices it heard."""

    cases: int = 0
    arrival: Tally = field(default_factory=Tally)
    restore: Tally = field(default_factory=Tally)
    resolve: Tally = field(default_factory=Tally)
    overdue_notices: int = 0
    name: str = ""


def summarize(ledger: Ledger, now: datetime, **run: Any) -> Summary:
    """The run's figures at `now` (real UTC). Arrivals count per responsible unit; restore and
    resolve per case, as the incident API shows them."""
    arrival, restore, resolve = Tally(), Tally(), Tally()
    units: dict[str, UnitFigures] = {}
    cases = ledger.cases()
    for c in cases:
        for unit, due in c.arrival_due.items():
            arrival.add(c.arrived_at.get(unit), due, now)
            figures = units.setdefault(unit, UnitFigures(name=ledger.unit_names.get(unit, "")))
            figures.cases += 1
            figures.arrival.add(c.arrived_at.get(unit), due, now)
            figures.restore.add(c.restored_at, c.restore_due, now)
            figures.resolve.add(c.resolved_at, c.resolve_due, now)
        restore.add(c.restored_at, c.restore_due, now)
        resolve.add(c.resolved_at, c.resolve_due, now)
    for _, unit, _ in ledger.notices:
        units.setdefault(unit, UnitFigures(name=ledger.unit_names.get(unit, ""))
                         ).overdue_notices += 1
    overdue_now = arrival.overdue + restore.overdue + resolve.overdue
    return Summary(
        cases=len(cases), refused=len(ledger.refused),
        by_category=dict(sorted(Counter(c.category for c in cases).items())),
        arrival=arrival, restore=restore, resolve=resolve,
        overdue_notices=len(ledger.notices), overdue_now=overdue_now,
        post_latency_ms=_percentiles(ledger.post_latency_s),
        offer_latency_ms=_percentiles(ledger.offer_latency_s),
        accepted=ledger.accepted, accept_refused=ledger.accept_refused,
        refusals=[f"report {i}: {status} {title}" for i, status, title in ledger.refused[:5]],
        units=dict(sorted(units.items())), **run)


def _percentiles(seconds: Iterable[float]) -> dict[str, float]:
    values = sorted(seconds)
    if not values:
        return {}
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else (
        values * 99)
    return {"n": len(values), "p50": round(q[49] * 1000, 1), "p95": round(q[94] * 1000, 1),
            "p99": round(q[98] * 1000, 1), "max": round(values[-1] * 1000, 1)}


def render(s: Summary) -> str:
    """The summary as printed at the end of a run (or at Ctrl-C)."""
    def rate(t: Tally) -> str:
        return "n/a" if t.rate is None else f"{t.rate:.1%}"

    def line(name: str, t: Tally, what: str) -> str:
        return (f"  {name:<8} {t.decided + t.pending:>5} {what}: {t.on_time} on time, "
                f"{t.late} late, {t.overdue} overdue, {t.pending} not due yet; "
                f"on-time rate {rate(t)}")

    head = (f"simulated {s.simulated_hours:g} h from {s.started_at} at {s.speed:g}x in "
            f"{s.wall_seconds:.1f} s (mode {s.mode}, seed {s.seed})"
            + (" -- interrupted" if s.interrupted else ""))
    cats = ", ".join(f"{k} {v}" for k, v in s.by_category.items()) or "none"
    out = [head, f"  cases    {s.cases} reported of {s.planned} planned ({s.refused} refused): "
                 f"{cats}"]
    out += [f"    {r}" for r in s.refusals]
    if s.mode == "full":
        out += [line("arrival", s.arrival, "unit arrivals"),
                line("restore", s.restore, "cases"),
                line("resolve", s.resolve, "cases"),
                f"  overdue  {s.overdue_notices} overdue notices heard; "
                f"{s.overdue_now} deadlines past and unmet at the end",
                "  by unit  cases  arrival on time  restore on time  overdue notices"]
        ranked = sorted(s.units.items(), key=lambda kv: (-(kv[1].arrival.rate or -1), kv[0]))
        out += [f"  {code:<22} {u.cases:>3}  {rate(u.arrival):>7} of {u.arrival.decided:<3}"
                f"   {rate(u.restore):>7} of {u.restore.decided:<3}   {u.overdue_notices:>3}"
                f"  {u.name}"
                for code, u in ranked]
    else:
        out += [f"  accepted {s.accepted} offers ({s.accept_refused} refused)",
                f"  report   POST answered in {_ms(s.post_latency_ms)}",
                f"  offer    task.offered heard after the POST was sent, in "
                f"{_ms(s.offer_latency_ms)}"]
    return "\n".join(out)


def _ms(p: dict[str, float]) -> str:
    if not p:
        return "(none)"
    return (f"p50 {p['p50']:g} ms, p95 {p['p95']:g} ms, p99 {p['p99']:g} ms, "
            f"max {p['max']:g} ms (n {p['n']:g})")
