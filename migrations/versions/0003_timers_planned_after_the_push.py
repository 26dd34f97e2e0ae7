"""timers planned after the push

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

from dispatch.storage.types import UTCDateTime


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timers_planned_at', UTCDateTime(), nullable=True))
    # Incidents reported before this revision had their timers stored with the report.
    op.execute(sa.text('UPDATE incidents SET timers_planned_at = received_at'))
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_unplanned', ['received_at'], unique=False, postgresql_where=sa.text('timers_planned_at IS NULL'), sqlite_where=sa.text('timers_planned_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_unplanned', postgresql_where=sa.text('timers_planned_at IS NULL'), sqlite_where=sa.text('timers_planned_at IS NULL'))
        batch_op.drop_column('timers_planned_at')

