"""The ports of the domain: what a use case may ask of storage, as `typing.Protocol`s.

Why: the use cases take a unit of work and call its repositories; typed as these protocols, mypy
checks every such call, the SQLAlchemy implementation (`dispatch.storage.uow.SqlUnitOfWork`) is
checked against them where it is defined, and the in-memory fake of the unit tests implements the
same surface, so a use case runs in microseconds without a database.

Nothing here names SQLAlchemy: repositories hand back domain objects (`dispatch.model`,
`dispatch.timers`) or the small frozen records below, never rows.

The unit of work is one transaction: `with ctx.uow() as uow: ...; uow.commit()`; leaving the block
without `commit()` rolls back, and `commit()` returns the events of the log the transaction
wrote, numbered (`seq`) and in seq order. Objects read through it stay readable after the block.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from dispatch.board import ListedCase, OpenCase
from dispatch.field_ports import CaseNumberRepository, FixNote, OfficerRepository
from dispatch.model import Event, Incident, Site, Unit, User
from dispatch.port_records import (  # re-exported: the ports' vocabulary
    BoundarySet as BoundarySet, CaseFacts as CaseFacts, IdempotencyClaim as IdempotencyClaim,
    IncidentQuery as IncidentQuery, PeriodQuery as PeriodQuery)
from dispatch.timers import OverdueRecord, Timer

# One officer's fix as stored: where, how accurate the device said (metres), when (device time).
Fix = tuple[Point, float | None, datetime]
# One territory of a boundary set: code, name, area in WGS-84.
TerritoryRow = tuple[str, str, BaseGeometry]



class UnitRepository(Protocol):
    def get(self, code: str) -> Unit | None: ...

    def list(self, kind: str | None = None) -> list[Unit]:
        """Territories first, then departments; by code within each."""
        ...

    def add(self, unit: Unit) -> None: ...


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None: ...

    def many(self, user_ids: Sequence[str]) -> list[User]: ...

    def by_username(self, username: str) -> User | None:
        """The user of this name in any of its spellings (dispatch/usernames.py)."""

    def add(self, user: User) -> None: ...

    def officers_of(self, unit_code: str) -> list[User]:
        """The unit's active officers."""
        ...

    def by_api_key_hash(self, key_hash: str) -> User | None:
        """The outside system whose current Open311 key has this SHA-256 (hex)."""
        ...

    def outside_systems(self) -> list[User]:
        """Every account that was ever issued an Open311 key (revoked ones too), by username."""
        ...

    def names(self) -> list[str]:
        """Every user's display name and username (what the public text must not carry)."""
        ...

    def names_version(self) -> tuple[int, int]:
        """How many users, and the total length of their names: cheap, and changes when one
        is added or a name changes its length (`dispatch.scrubbing.NameBook`)."""
        ...


class RoutingRepository(Protocol):
    def set(self, category: str, unit_codes: Iterable[str]) -> None:
        """Replace the departments that answer for `category`."""
        ...

    def table(self) -> dict[str, list[str]]:
        """category -> department codes, sorted."""
        ...


class BoundaryRepository(Protocol):
    def active_set(self) -> BoundarySet | None: ...

    def get_set(self, set_id: int) -> BoundarySet | None: ...

    def sets(self) -> list[BoundarySet]: ...

    def territories(self, set_id: int) -> list[TerritoryRow]:
        """The set's territories, by code."""
        ...

    def add_set(self, name: str, label: str, source: str, created_at: datetime,
                territories: Sequence[TerritoryRow]) -> int:
        """Store a new, inactive set; returns its id."""
        ...

    def activate(self, set_id: int, at: datetime) -> None:
        """Make this set the only active one."""
        ...

    def locate_in_database(self, set_id: int, lon: float, lat: float) -> str | None:
        """The storage's own answer (covers, smallest code on a shared border)."""
        ...


class SiteRepository(Protocol):
    def get(self, site_id: str) -> Site | None: ...

    def add(self, site: Site) -> None: ...

    def names(self) -> list[str]:
        """Every site's name and address."""
        ...

    def names_version(self) -> tuple[int, int]:
        """As `UserRepository.names_version`, for the sites."""
        ...

    def list(self, owner_id: str | None) -> list[Site]:
        """Oldest first; `None`: every owner's."""
        ...


class IncidentRepository(Protocol):
    def add(self, incident: Incident) -> None: ...

    def get(self, incident_id: str, for_update: bool = False) -> Incident | None:
        """`for_update`: the case is locked until the transaction ends (changes to one case
        happen one after the other)."""
        ...

    def mark_timers_planned(self, incident_id: str, at: datetime) -> bool:
        """True for the one caller that plans the incident's timers."""
        ...

    def events(self, incident_id: str) -> list[Event]:
        """The case's log, in seq order."""
        ...

    def search(self, query: IncidentQuery) -> tuple[list[ListedCase], int]:
        """One page (newest first) and the total that match, as records (no history): a
        fixed number of statements whatever the page's size."""
        ...

    def received_between(self, query: PeriodQuery) -> list[Incident]:
        """The cases `query` selects, oldest first (see `PeriodQuery`)."""
        ...

    def open_cases(self, query: IncidentQuery) -> list[OpenCase]:
        """Every case that matches (newest first; `limit` and `offset` are not applied), as the
        map's compact records: no photos, no history."""
        ...

    def facts_between(self, start: datetime, end: datetime, unit: str | None = None
                      ) -> list[CaseFacts]:
        """One row per case received in [start, end) and unit answering for it (`unit`: that
        unit's rows only), as `dispatch.assessment.facts_of` defines them."""
        ...

    def overdue_between(self, start: datetime, end: datetime, unit: str | None = None
                        ) -> dict[str, int]:
        """unit -> its overdue records on the cases received in [start, end)."""
        ...


class IdempotencyRepository(Protocol):
    def get(self, user_id: str, key: str) -> IdempotencyClaim | None: ...

    def claim(self, user_id: str, key: str, scope: str, request_hash: str, resource_id: str,
              at: datetime, expired_before: datetime | None = None) -> IdempotencyClaim | None:
        """None when this transaction holds the key now (for `resource_id`); else the claim of
        the request that holds it (a concurrent one is waited for). With `expired_before`, a
        claim made before that time is taken over as if the key were free."""
        ...


class PositionRepository(Protocol):
    def add(self, officer: User, points: Sequence[Fix], received_at: datetime,
            notes: Mapping[datetime, FixNote] | None = None) -> int:
        """Store a batch (one fix per officer and time) with each fix's note (by its time);
        returns how many fixes were new. A flagged fix never becomes the latest position."""
        ...

    def rank(self, unit_codes: Sequence[str], near: Point, since: datetime,
             limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        """Each unit's active officers with a fix since `since`, nearest first:
        {"officer_id", "name", "distance_m", "position_at"} each."""
        ...

    def rank_each(self, wanted: Sequence[tuple[str, Point]], since: datetime,
                  limit: int = 20) -> list[list[dict[str, Any]]]:
        """`rank` for many (unit, place) pairs at once, in their order: the offers of a batch of
        timers ranked in one round trip instead of one per offer."""
        ...

    def latest_id(self, officer_id: str) -> int: ...

    def purge(self, before: datetime) -> int:
        """Drop history older than `before`; returns how many fixes went."""
        ...


class EventRepository(Protocol):
    def after(self, seq: int, limit: int) -> list[Event]:
        """The log past `seq`, in seq order."""
        ...

    def for_rooms(self, rooms: Sequence[str], since_seq: int, limit: int) -> list[Event]:
        """Events past `since_seq` that any of these rooms may hear, in seq order."""
        ...

    def last_seq(self) -> int: ...


class TimerRepository(Protocol):
    def add_all(self, items: Sequence[Timer]) -> None:
        """Store new timers; one planned twice is stored once."""
        ...

    def unplanned_incidents(self, limit: int) -> list[Incident]:
        """Cases whose timers were never stored, oldest first."""
        ...

    def claim_due(self, now: datetime, limit: int, incident_id: str | None = None
                  ) -> list[Timer]:
        """Due, unfired timers, earliest first, held by this transaction alone."""
        ...

    def next_pending(self, incident_ids: Sequence[str]) -> list[Timer]:
        """The earliest unfired timer of each incident (as this transaction changed them)."""
        ...

    def save(self, items: Sequence[Timer]) -> None:
        """Store what firing changed on these claimed timers (fired, or moved on), at once."""
        ...

    def lock_cases(self, incident_ids: Sequence[str]) -> list[Incident]:
        """The cases of a batch of due timers, locked in id order (one global lock order, so two
        sweepers sharing cases wait instead of deadlocking), without their event history:
        firing adds events to a case, it never reads them."""
        ...


class AccountabilityRepository(Protocol):
    def add_once(self, record: OverdueRecord) -> bool:
        """Insert unless this (incident, unit, milestone) was recorded already; True if new."""
        ...

    def add_new(self, records: Sequence[OverdueRecord]) -> list[OverdueRecord]:
        """`add_once` for a batch, in one statement: returns the records that were new (a
        deadline proposed twice in the batch is new once, for its first record)."""
        ...

    def mark_met(self, incident_id: str, unit_codes: Sequence[str], milestone: str,
                 at: datetime, complaint: int = 0) -> None:
        """The open records of these units for this milestone (of this complaint, for a
        complaint's reply) are met at `at`."""
        ...

    def for_incident(self, incident_id: str) -> list[OverdueRecord]: ...


class UnitOfWork(Protocol):
    """One transaction and the repositories that share it (see the module's docstring)."""

    # Read-only properties: an implementation may hold any subtype of each repository.
    @property
    def units(self) -> UnitRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def routing(self) -> RoutingRepository: ...
    @property
    def boundaries(self) -> BoundaryRepository: ...
    @property
    def sites(self) -> SiteRepository: ...
    @property
    def incidents(self) -> IncidentRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def positions(self) -> PositionRepository: ...
    @property
    def events(self) -> EventRepository: ...
    @property
    def timers(self) -> TimerRepository: ...
    @property
    def accountability(self) -> AccountabilityRepository: ...
    @property
    def case_numbers(self) -> CaseNumberRepository: ...
    @property
    def officers(self) -> OfficerRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> list[Event]:
        """Commit; returns the events this transaction wrote, numbered, in seq order."""
        ...

    def rollback(self) -> None: ...

    def flush(self) -> None:
        """Send the pending changes without committing (new events are numbered at commit)."""
        ...
