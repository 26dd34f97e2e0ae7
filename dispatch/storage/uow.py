"""The unit of work: one transaction, the repositories that share it, commit or roll back."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from dispatch import ports
from dispatch.model import Event
from dispatch.storage import event_log
from dispatch.storage.case_numbers import CaseNumbers
from dispatch.storage.officers import Officers
from dispatch.storage import live_repositories as live
from dispatch.storage import reference_repositories as reference
from dispatch.storage import repositories as r


class SqlUnitOfWork:
    """Use as `with uow_factory() as uow: ...; uow.commit()`; leaving without commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        s = self.session
        self.units = reference.Units(s)
        self.users = r.Users(s)
        self.routing = reference.Routing(s)
        self.boundaries = reference.Boundaries(s)
        self.sites = r.Sites(s)
        self.incidents = r.Incidents(s)
        self.idempotency = r.Idempotency(s)
        self.positions = live.Positions(s)
        self.events = live.Events(s)
        self.timers = live.Timers(s)
        self.accountability = live.Accountability(s)
        self.case_numbers = CaseNumbers(s)
        self.officers = Officers(s)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # close() rolls back whatever was not committed and detaches the objects *without*
        # expiring them, so callers can still read what the use case returned.
        try:
            self.session.close()
        finally:
            event_log.release(self.session)

    def commit(self) -> list[Event]:
        """Commit; returns the events of the log this transaction wrote, in seq order.

        Everything else is flushed first; the events are numbered and written last, so the log's
        counter row is held only for those statements and the COMMIT (see `event_log`).
        """
        try:
            self.session.flush()
            if not event_log.pending(self.session):
                self.session.commit()
                return []
            with event_log.without_yielding(self.session):
                written = event_log.write_pending(self.session)
                self.session.commit()
            return written
        finally:
            event_log.release(self.session)

    def rollback(self) -> None:
        try:
            self.session.rollback()
        finally:
            event_log.release(self.session)

    def flush(self) -> None:
        self.session.flush()


def _satisfies_the_port(factory: sessionmaker[Session]) -> ports.UnitOfWork:
    """Never called: mypy checks here that this class implements the domain's port, so the two
    cannot drift apart."""
    return SqlUnitOfWork(factory)
