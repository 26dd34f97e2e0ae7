"""the supervision cycle: feedback, extensions, complaints, central assignment, green-channel lead

Revision ID: 0008
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
from typing import Any

from dispatch.storage.types import UTCDateTime


revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None

ID = sa.String(32)
CODE = sa.String(64)

# Plain ADD COLUMN (SQLite has it too), not a batch copy of `incidents`, which other tables'
# foreign keys refer to (see 0005). Cases stored before have no extension, feedback, complaint
# or central assignment: every new column is empty for them.
COLUMNS: list[tuple[str, sa.types.TypeEngine[Any]]] = [
    ('lead_unit', CODE), ('resolve_due_original', UTCDateTime()),
    ('extension_reason', sa.Text()), ('feedback_due', UTCDateTime()),
    ('feedback_at', UTCDateTime()), ('feedback_satisfied', sa.Boolean()),
    ('feedback_rating', sa.Integer()), ('feedback_comment', sa.Text()),
    ('closed_reason', sa.String(20)), ('central_unit', CODE), ('central_person', ID),
    ('central_due', UTCDateTime()), ('central_by', ID), ('central_at', UTCDateTime()),
]


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column('incidents', sa.Column(name, type_, nullable=True))
    op.add_column('incidents', sa.Column('extensions', sa.Integer(), server_default='0',
                                         nullable=False))
    # A closed case's reason, for the cases closed before the supervision cycle existed.
    op.execute(sa.text("UPDATE incidents SET closed_reason = 'closed' "
                       "WHERE closed_at IS NOT NULL"))
    op.create_table(
        'complaints',
        sa.Column('id', ID, nullable=False),
        sa.Column('incident_id', ID, nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('author_id', ID, nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('filed_at', UTCDateTime(), nullable=False),
        sa.Column('reply_due', UTCDateTime(), nullable=False),
        sa.Column('reply', sa.Text(), nullable=True),
        sa.Column('replied_at', UTCDateTime(), nullable=True),
        sa.Column('replied_by', ID, nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                                name='fk_complaints_incident_id_incidents'),
        sa.PrimaryKeyConstraint('id', name='pk_complaints'),
        sa.UniqueConstraint('incident_id', 'number', name='uq_complaints_number'),
    )
    op.create_index('ix_complaints_incident_id', 'complaints', ['incident_id'])


def downgrade() -> None:
    op.drop_index('ix_complaints_incident_id', table_name='complaints')
    op.drop_table('complaints')
    # DROP COLUMN (SQLite 3.35 and later), not a batch copy: see upgrade().
    op.drop_column('incidents', 'extensions')
    for name, _ in reversed(COLUMNS):
        op.drop_column('incidents', name)
