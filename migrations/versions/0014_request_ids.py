"""the request id that wrote each event and planned each timer

So that one id follows a report from its HTTP request into its events, its timers' jobs and the
pushes of its events (dispatch/trace.py): the relay's log line for a pushed event names the
request that caused it, and a timer fired by the sweep names the request that planned it. Only
an id: no personal data. NULL for the rows written before (and for work of no request: the
commands, the sweep's own events carry the sweep's id).

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases (no batch copy; see 0012): no row trigger fires.
    op.add_column('events', sa.Column('request_id', sa.String(64), nullable=True))
    op.add_column('timers', sa.Column('request_id', sa.String(64), nullable=True))


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35 and later), as 0012 does.
    op.drop_column('timers', 'request_id')
    op.drop_column('events', 'request_id')
