"""case numbers read out on the phone; offline actions and honest device times

Every case gets `case_number` (JY311-20261207-0042: the prefix, the day received in China
Standard Time, that day's sequence); the cases stored before are numbered here, each day's in
the order they were received (then by id), and `case_number_counters` is left at each day's
last sequence so new reports go on from there. The prefix is the caller's
(`migrate.upgrade(..., case_number_prefix=...)`, the configured one), JY311 otherwise.

The offline rules (`dispatch.offline`) keep, per unit's arrival, whether it was sent late, which
time it counts at and why, and the phone's mock-location flag; per restore and resolve the
phone's time and whether it was sent late; per stored position the mock-location flag and, for
a fix flagged as too fast, its speed.

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Any

from alembic import context, op
import sqlalchemy as sa

from dispatch.storage.types import UTCDateTime


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PREFIX = 'JY311'  # the default of DISPATCH_CASE_NUMBER_PREFIX when this was written
CST = timezone(timedelta(hours=8), 'CST')

# Plain ADD COLUMN (SQLite has it), not a batch copy of `incidents`, which other tables'
# foreign keys refer to (see 0005, 0008).
Columns = list[tuple[str, sa.types.TypeEngine[Any]]]
INCIDENT_COLUMNS: Columns = [('restore_device_time', UTCDateTime()), ('restore_sent_late', sa.Boolean()),
                    ('resolve_device_time', UTCDateTime()), ('resolve_sent_late', sa.Boolean())]
UNIT_COLUMNS: Columns = [('arrival_sent_late', sa.Boolean()), ('arrival_counted_at', sa.String(10)),
                ('arrival_count_reason', sa.Text()), ('arrival_mock_location', sa.Boolean())]
POSITION_COLUMNS: Columns = [('mock_location', sa.Boolean()), ('flagged_speed_kmh', sa.Float())]


def _prefix() -> str:
    return str(context.config.attributes.get('case_number_prefix') or PREFIX)


def _number_existing_cases(conn: sa.Connection) -> None:
    incidents = sa.table('incidents', sa.column('id', sa.String(32)),
                         sa.column('received_at', UTCDateTime()),
                         sa.column('case_number', sa.String(40)))
    counters = sa.table('case_number_counters', sa.column('day', sa.String(8)),
                        sa.column('value', sa.Integer()))
    prefix = _prefix()
    numbered: list[dict[str, str]] = []
    last: dict[str, int] = {}
    for case_id, received_at in conn.execute(
            sa.select(incidents.c.id, incidents.c.received_at)
            .order_by(incidents.c.received_at, incidents.c.id)):
        day = received_at.astimezone(UTC).astimezone(CST).strftime('%Y%m%d')
        last[day] = last.get(day, 0) + 1
        numbered.append({'key': case_id, 'number': f'{prefix}-{day}-{last[day]:04d}'})
    if numbered:
        conn.execute(incidents.update().where(incidents.c.id == sa.bindparam('key'))
                     .values(case_number=sa.bindparam('number')), numbered)
        conn.execute(counters.insert(), [{'day': d, 'value': n} for d, n in sorted(last.items())])


def upgrade() -> None:
    op.add_column('incidents', sa.Column('case_number', sa.String(40), nullable=True))
    for name, type_ in INCIDENT_COLUMNS:
        op.add_column('incidents', sa.Column(name, type_, nullable=True))
    for name, type_ in UNIT_COLUMNS:
        op.add_column('incident_units', sa.Column(name, type_, nullable=True))
    for name, type_ in POSITION_COLUMNS:
        op.add_column('officer_positions', sa.Column(name, type_, nullable=True))
    op.add_column('officer_last_positions', sa.Column('mock_location', sa.Boolean(),
                                                      nullable=True))
    op.create_table(
        'case_number_counters',
        sa.Column('day', sa.String(8), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', name='pk_case_number_counters'),
    )
    _number_existing_cases(op.get_bind())
    # A unique index, not a constraint: SQLite cannot add a constraint without a copy. NOT NULL
    # where the database can add it in place (PostgreSQL); on SQLite the column stays nullable
    # and the application always writes it.
    op.create_index('uq_incidents_case_number', 'incidents', ['case_number'], unique=True)
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('incidents', 'case_number', existing_type=sa.String(40), nullable=False)


def downgrade() -> None:
    op.drop_index('uq_incidents_case_number', table_name='incidents')
    op.drop_table('case_number_counters')
    # DROP COLUMN (SQLite 3.35 and later), not a batch copy: see upgrade().
    op.drop_column('officer_last_positions', 'mock_location')
    for name, _ in reversed(POSITION_COLUMNS):
        op.drop_column('officer_positions', name)
    for name, _ in reversed(UNIT_COLUMNS):
        op.drop_column('incident_units', name)
    for name, _ in reversed(INCIDENT_COLUMNS):
        op.drop_column('incidents', name)
    op.drop_column('incidents', 'case_number')
