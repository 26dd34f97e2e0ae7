"""The record nobody can rewrite: the event log and the accountability records are append-only in
the database itself (migration 0015), not by the application's good manners.

- `events` and `event_audience` (the timeline, what each room heard): INSERT only. UPDATE,
  DELETE and (PostgreSQL) TRUNCATE raise.
- `overdue_records` (who was late, by how much): INSERT, and one change only: a late milestone
  finally met fills `met_at` and `late_by_seconds`, once, while they are empty, every other column
  unchanged (`Accountability.mark_met`). The facts of the miss (which unit, which deadline, when
  recorded) can never change, and a met time never moves again. Kept in the same row rather than
  in a companion table: the product reads them together and the trigger holds the row to exactly
  that one transition.

On PostgreSQL a trigger raises, whatever role the connection has (a superuser included); the
application's role should also hold no UPDATE/DELETE on these tables (README, "The record cannot
be rewritten": the owner role runs migrations, the application role gets SELECT, INSERT and
UPDATE (met_at, late_by_seconds)). A trigger is lifted only by `session_replication_role =
replica`, which PostgreSQL allows a superuser or a role granted SET on it: never the application.
On SQLite (the embedded default, one process) triggers with RAISE(ABORT) hold the same rules.

`lifted()` is for the tests' reset between tests and the benchmarks' cleanup, which empty the log
wholesale: nothing in the product calls it, and nothing prunes the log or the records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

LOGS = ("events", "event_audience")  # nothing but INSERT
RECORDS = "overdue_records"          # INSERT, and met_at/late_by_seconds filled once
MET = ("met_at", "late_by_seconds")
# The columns of overdue_records that never change (tests/unit holds this to the table: a new
# column needs a migration that recreates the SQLite trigger with it).
FIXED = ("id", "incident_id", "unit_code", "milestone", "due_at", "recorded_at", "round",
         "complaint")
REFUSED = "is append-only"  # in every refusal's message

PG_UP = [
    f"""CREATE OR REPLACE FUNCTION jiyuan311_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the record {REFUSED}', TG_OP, TG_TABLE_NAME;
END $$""",
    f"""CREATE OR REPLACE FUNCTION jiyuan311_overdue_met_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.met_at IS NULL AND OLD.late_by_seconds IS NULL AND NEW.met_at IS NOT NULL
       AND (to_jsonb(NEW) - 'met_at' - 'late_by_seconds')
           = (to_jsonb(OLD) - 'met_at' - 'late_by_seconds') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'UPDATE on overdue_records refused: the record {REFUSED} (only met_at and '
                    'late_by_seconds may be filled, once)';
END $$""",
    *[f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
      f"FOR EACH ROW EXECUTE FUNCTION jiyuan311_append_only()" for table in LOGS],
    *[f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
      f"FOR EACH STATEMENT EXECUTE FUNCTION jiyuan311_append_only()" for table in (*LOGS, RECORDS)],
    f"CREATE TRIGGER {RECORDS}_no_delete BEFORE DELETE ON {RECORDS} "
    f"FOR EACH ROW EXECUTE FUNCTION jiyuan311_append_only()",
    f"CREATE TRIGGER {RECORDS}_met_once BEFORE UPDATE ON {RECORDS} "
    f"FOR EACH ROW EXECUTE FUNCTION jiyuan311_overdue_met_once()",
]
PG_DOWN = [
    *[f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in LOGS],
    *[f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}" for table in (*LOGS, RECORDS)],
    f"DROP TRIGGER IF EXISTS {RECORDS}_no_delete ON {RECORDS}",
    f"DROP TRIGGER IF EXISTS {RECORDS}_met_once ON {RECORDS}",
    "DROP FUNCTION IF EXISTS jiyuan311_overdue_met_once()",
    "DROP FUNCTION IF EXISTS jiyuan311_append_only()",
]


def _sqlite_refuse(name: str, when: str, table: str, condition: str = "") -> str:
    return (f"CREATE TRIGGER {name} BEFORE {when} ON {table}{condition} BEGIN "
            f"SELECT RAISE(ABORT, '{when} on {table} refused: the record {REFUSED}'); END")


_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FIXED)
SQLITE_TRIGGERS = {
    **{f"{table}_no_{op.lower()}": _sqlite_refuse(f"{table}_no_{op.lower()}", op, table)
       for table in LOGS for op in ("UPDATE", "DELETE")},
    f"{RECORDS}_no_delete": _sqlite_refuse(f"{RECORDS}_no_delete", "DELETE", RECORDS),
    f"{RECORDS}_met_once": _sqlite_refuse(
        f"{RECORDS}_met_once", "UPDATE", RECORDS,
        " WHEN NOT (OLD.met_at IS NULL AND OLD.late_by_seconds IS NULL AND NEW.met_at IS NOT NULL"
        f" AND {_UNCHANGED})"),
}


def create(conn: Connection) -> None:
    """Install the guards (migration 0015's upgrade)."""
    if conn.dialect.name == "postgresql":
        for statement in PG_UP:
            conn.execute(text(statement))  # text(): the driver's % escaped
    else:
        for statement in SQLITE_TRIGGERS.values():
            conn.execute(text(statement))


def drop(conn: Connection) -> None:
    """Remove them (migration 0015's downgrade)."""
    if conn.dialect.name == "postgresql":
        for statement in PG_DOWN:
            conn.exec_driver_sql(statement)
    else:
        for name in SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


@contextmanager
def lifted(conn: Connection) -> Iterator[None]:
    """Inside one transaction of `conn`, the guards do not apply (tests and benchmarks emptying
    the log). PostgreSQL: `session_replication_role = replica` for this transaction only (a
    superuser's or a granted role's right; it also skips foreign-key checks meanwhile). SQLite:
    the triggers are dropped and made again before the transaction commits."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        try:
            yield
        finally:
            conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not getattr(dbapi, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the drop and the re-creation commit together
    existing = {name for (name,) in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for name in SQLITE_TRIGGERS.keys() & existing:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        yield
    finally:
        for name, statement in SQLITE_TRIGGERS.items():
            if name in existing:
                conn.execute(text(statement))
