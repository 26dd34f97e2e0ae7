"""the event log and the accountability records become append-only in the database itself

`events` and `event_audience` refuse UPDATE, DELETE and TRUNCATE; `overdue_records` refuses
DELETE and TRUNCATE and allows one UPDATE only: a late milestone finally met fills `met_at` and
`late_by_seconds`, once, every other column unchanged. PostgreSQL: plpgsql triggers (a superuser's
connection is refused too; `session_replication_role = replica` lifts them, which the
application's role cannot set). SQLite: triggers with RAISE(ABORT). The statements are
`dispatch/storage/append_only.py`'s, which says why.

Revision ID: 0015
Revises: 0014
"""
from alembic import op

from dispatch.storage import append_only


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    append_only.create(op.get_bind())


def downgrade() -> None:
    append_only.drop(op.get_bind())
