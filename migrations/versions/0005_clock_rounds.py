"""clocks that can run again: rounds, and overdue records keyed by their deadline

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

from dispatch.storage.types import UTCDateTime


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Everything stored so far is of the first round (0): no case was ever reopened. Plain
    # ADD COLUMN (SQLite has it too): a batch would copy `incidents`, which other tables'
    # foreign keys refer to, and SQLite refuses to drop the original under them.
    op.add_column('incidents', sa.Column('round', sa.Integer(), server_default='0',
                                         nullable=False))
    op.add_column('incidents', sa.Column('reopened_at', UTCDateTime(), nullable=True))
    op.add_column('timers', sa.Column('round', sa.Integer(), server_default='0', nullable=False))
    # One record per missed deadline instead of one per milestone for ever: the old key's rows
    # are unique under the new one too.
    with op.batch_alter_table('overdue_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_overdue_records_once', type_='unique')
        batch_op.create_unique_constraint('uq_overdue_records_per_deadline',
                                          ['incident_id', 'unit_code', 'milestone', 'due_at'])


def downgrade() -> None:
    # The old key holds one record per milestone: the later rounds' records cannot stay.
    op.execute(sa.text(
        'DELETE FROM overdue_records WHERE id NOT IN (SELECT MIN(id) FROM overdue_records '
        'GROUP BY incident_id, unit_code, milestone)'))
    with op.batch_alter_table('overdue_records', schema=None) as batch_op:
        batch_op.drop_constraint('uq_overdue_records_per_deadline', type_='unique')
        batch_op.create_unique_constraint('uq_overdue_records_once',
                                          ['incident_id', 'unit_code', 'milestone'])
        batch_op.drop_column('round')
    # DROP COLUMN (SQLite 3.35 and later), not a batch copy: see upgrade().
    op.drop_column('timers', 'round')
    op.drop_column('incidents', 'reopened_at')
    op.drop_column('incidents', 'round')
