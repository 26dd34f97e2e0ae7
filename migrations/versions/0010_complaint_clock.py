"""the complaint's clock in its own column: timers and overdue records name their complaint

Until now a complaint's reply timer kept the complaint's number in `attempt` (the column of a
repeated offer) and its overdue record had no number at all (the complaint was found again by
its due time). Both get a `complaint` column (0 for a unit's own clocks), part of their keys.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TIMER_KEY = ['incident_id', 'unit_code', 'kind', 'milestone', 'attempt', 'deadline']
RECORD_KEY = ['incident_id', 'unit_code', 'milestone', 'due_at']


def upgrade() -> None:
    # The keys grow first, so that the rows moved below stay unique whatever their times.
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.drop_constraint('uq_timers_once', type_='unique')
        batch_op.create_unique_constraint('uq_timers_once', TIMER_KEY + ['complaint'])
    with op.batch_alter_table('overdue_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.drop_constraint('uq_overdue_records_per_deadline', type_='unique')
        batch_op.create_unique_constraint('uq_overdue_records_per_deadline',
                                          RECORD_KEY + ['complaint'])
    op.execute(sa.text("UPDATE timers SET complaint = attempt, attempt = 0 "
                       "WHERE kind = 'complaint'"))
    op.execute(sa.text(
        "UPDATE overdue_records SET complaint = COALESCE((SELECT MIN(c.number) FROM complaints c "
        "WHERE c.incident_id = overdue_records.incident_id "
        "AND c.reply_due = overdue_records.due_at), 0) "
        "WHERE milestone = 'complaint_reply'"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE timers SET attempt = complaint WHERE kind = 'complaint'"))
    # The old key cannot tell two complaints due at the same instant apart: one record stays.
    op.execute(sa.text(
        'DELETE FROM overdue_records WHERE id NOT IN (SELECT MIN(id) FROM overdue_records '
        'GROUP BY incident_id, unit_code, milestone, due_at)'))
    with op.batch_alter_table('overdue_records', schema=None) as batch_op:
        batch_op.drop_constraint('uq_overdue_records_per_deadline', type_='unique')
        batch_op.create_unique_constraint('uq_overdue_records_per_deadline', RECORD_KEY)
        batch_op.drop_column('complaint')
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_timers_once', type_='unique')
        batch_op.create_unique_constraint('uq_timers_once', TIMER_KEY)
        batch_op.drop_column('complaint')
