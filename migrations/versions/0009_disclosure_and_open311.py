"""public disclosure (withheld cases) and Open311 (outside systems' API keys, media URLs)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

from dispatch.storage.types import UTCDateTime


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both tables (SQLite has it): a batch copy of `incidents` or `users`,
    # which other tables' foreign keys refer to, is refused by SQLite (see 0005).
    op.add_column('incidents', sa.Column('withheld_at', UTCDateTime(), nullable=True))
    op.add_column('incidents', sa.Column('withheld_by', sa.String(32), nullable=True))
    op.add_column('incidents', sa.Column('withheld_reason', sa.Text(), nullable=True))
    op.add_column('incidents', sa.Column('media_url', sa.Text(), nullable=True))
    op.add_column('users', sa.Column('api_key_hash', sa.String(64), nullable=True))
    op.add_column('users', sa.Column('api_key_issued_at', UTCDateTime(), nullable=True))
    # A unique index rather than a constraint: SQLite cannot add a constraint without a copy.
    op.create_index('uq_users_api_key_hash', 'users', ['api_key_hash'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_users_api_key_hash', table_name='users')
    op.drop_column('users', 'api_key_issued_at')
    op.drop_column('users', 'api_key_hash')
    op.drop_column('incidents', 'media_url')
    op.drop_column('incidents', 'withheld_reason')
    op.drop_column('incidents', 'withheld_by')
    op.drop_column('incidents', 'withheld_at')
