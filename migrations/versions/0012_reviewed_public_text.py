"""the public text of a case, as a commander reviewed it for the disclosure

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from dispatch.storage.types import UTCDateTime


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch copy of `incidents`, which other tables' foreign
    # keys refer to, is refused by SQLite (see 0005). Empty for every case so far: until a
    # commander reviews its text, a case is published with its category's and status's words.
    op.add_column('incidents', sa.Column('public_problem', sa.Text(), nullable=True))
    op.add_column('incidents', sa.Column('public_result', sa.Text(), nullable=True))
    op.add_column('incidents', sa.Column('public_text_by', sa.String(32), nullable=True))
    op.add_column('incidents', sa.Column('public_text_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('incidents', 'public_text_at')
    op.drop_column('incidents', 'public_text_by')
    op.drop_column('incidents', 'public_result')
    op.drop_column('incidents', 'public_problem')
