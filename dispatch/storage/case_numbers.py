"""The day's case-number counter: one upsert in the report's own transaction.

`INSERT ... ON CONFLICT (day) DO UPDATE SET value = value + 1 RETURNING value` (PostgreSQL, and
SQLite from 3.35): the first report of a day creates the row with 1, every later one raises it.
The row stays locked until the report commits or rolls back, so two web processes never read
the same value, and a refused report gives its number back. The report takes it last, after
its reads (`dispatch.reporting`), and from then to the commit its transaction runs without
yielding to other greenlets (`event_log.hold_until_end`), so reports of one day wait for each
other only over the flush and the commit's round trips.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from dispatch.case_numbers import day_key
from dispatch.storage import event_log
from dispatch.storage import tables as t
from dispatch.storage.repositories import upsert


class CaseNumbers:
    def __init__(self, session: Session) -> None:
        self.s = session

    def take(self, day: date) -> int:
        table = t.case_number_counters
        stmt = upsert(self.s)(table).values(day=day_key(day), value=1)
        stmt = stmt.on_conflict_do_update(index_elements=[table.c.day],
                                          set_={"value": table.c.value + 1})
        with self.s.no_autoflush:  # one statement: nothing pending is sent before it
            value = int(self.s.execute(stmt.returning(table.c.value)).scalar_one())
        event_log.hold_until_end(self.s)  # the row is hot: no yield until the commit
        return value
