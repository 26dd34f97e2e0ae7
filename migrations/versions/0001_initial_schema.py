"""initial schema

Revision ID: 0001
Revises: 
"""
import sqlalchemy as sa
from alembic import op

from dispatch.storage.geometry import GeometryColumn
from dispatch.storage.types import UTCDateTime

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('boundary_sets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('activated_at', UTCDateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boundary_sets')),
    sqlite_autoincrement=True,
    )
    op.create_table('event_counter',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_counter'))
    )
    op.create_table('idempotency_keys',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('resource_id', sa.String(length=100), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('units',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_units'))
    )
    op.create_table('routing',
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_routing_unit_code_units')),
    sa.PrimaryKeyConstraint('category', 'unit_code', name=op.f('pk_routing'))
    )
    op.create_table('territory_boundaries',
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('geom', GeometryColumn('MULTIPOLYGON'), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['boundary_sets.id'], name=op.f('fk_territory_boundaries_set_id_boundary_sets')),
    sa.PrimaryKeyConstraint('set_id', 'code', name=op.f('pk_territory_boundaries'))
    )
    with op.batch_alter_table('territory_boundaries', schema=None) as batch_op:
        batch_op.create_index('ix_territory_boundaries_geom', ['geom'], unique=False, postgresql_using='gist')

    op.create_table('users',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_users_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('officer_last_positions',
    sa.Column('officer_id', sa.String(length=32), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=True),
    sa.Column('location', GeometryColumn('POINT'), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('recorded_at', UTCDateTime(), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_officer_last_positions_officer_id_users')),
    sa.PrimaryKeyConstraint('officer_id', name=op.f('pk_officer_last_positions'))
    )
    with op.batch_alter_table('officer_last_positions', schema=None) as batch_op:
        batch_op.create_index('ix_officer_last_positions_location', ['location'], unique=False, postgresql_using='gist')
        batch_op.create_index(batch_op.f('ix_officer_last_positions_unit_code'), ['unit_code'], unique=False)

    op.create_table('officer_positions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('officer_id', sa.String(length=32), nullable=False),
    sa.Column('location', GeometryColumn('POINT'), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('recorded_at', UTCDateTime(), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_officer_positions_officer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_positions')),
    sa.UniqueConstraint('officer_id', 'recorded_at', name='uq_officer_positions_officer_time')
    )
    op.create_table('sites',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('location', GeometryColumn('POINT'), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('green_channel', sa.Boolean(), nullable=False),
    sa.Column('lead_department', sa.String(length=64), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lead_department'], ['units.code'], name=op.f('fk_sites_lead_department_units')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_sites_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_owner_id'), ['owner_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('location', GeometryColumn('POINT'), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('location_accuracy_m', sa.Float(), nullable=True),
    sa.Column('reported_crs', sa.String(length=10), nullable=False),
    sa.Column('reporter_id', sa.String(length=32), nullable=False),
    sa.Column('site_id', sa.String(length=32), nullable=True),
    sa.Column('green_channel', sa.Boolean(), nullable=False),
    sa.Column('territory_code', sa.String(length=64), nullable=False),
    sa.Column('territory_name', sa.String(length=200), nullable=False),
    sa.Column('boundary_set_id', sa.Integer(), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.Column('arrival_due', UTCDateTime(), nullable=False),
    sa.Column('restore_due', UTCDateTime(), nullable=False),
    sa.Column('resolve_due', UTCDateTime(), nullable=False),
    sa.Column('restored_at', UTCDateTime(), nullable=True),
    sa.Column('restored_by', sa.String(length=32), nullable=True),
    sa.Column('restore_note', sa.Text(), nullable=True),
    sa.Column('resolved_at', UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=32), nullable=True),
    sa.Column('resolve_note', sa.Text(), nullable=True),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['boundary_set_id'], ['boundary_sets.id'], name=op.f('fk_incidents_boundary_set_id_boundary_sets')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_incidents_reporter_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_incidents_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_location', ['location'], unique=False, postgresql_using='gist')
        batch_op.create_index(batch_op.f('ix_incidents_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_territory_code'), ['territory_code'], unique=False)

    op.create_table('events',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('incident_id', sa.String(length=32), nullable=True),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_events_incident_id_incidents')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_units',
    sa.Column('incident_id', sa.String(length=32), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('arrival_due', UTCDateTime(), nullable=False),
    sa.Column('accepted_at', UTCDateTime(), nullable=True),
    sa.Column('accepted_by', sa.String(length=32), nullable=True),
    sa.Column('arrived_at', UTCDateTime(), nullable=True),
    sa.Column('arrived_by', sa.String(length=32), nullable=True),
    sa.Column('arrival_location', GeometryColumn('POINT'), nullable=True),
    sa.Column('arrival_distance_m', sa.Float(), nullable=True),
    sa.Column('arrival_device_time', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_units_incident_id_incidents')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_incident_units_unit_code_units')),
    sa.PrimaryKeyConstraint('incident_id', 'unit_code', name=op.f('pk_incident_units'))
    )
    with op.batch_alter_table('incident_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_units_unit_code'), ['unit_code'], unique=False)

    op.create_table('photos',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('incident_id', sa.String(length=32), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_photos_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_incident_id'), ['incident_id'], unique=False)

    op.create_table('event_audience',
    sa.Column('room', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_event_audience_seq_events')),
    sa.PrimaryKeyConstraint('room', 'seq', name=op.f('pk_event_audience'))
    )
    counter = sa.table('event_counter', sa.column('id', sa.Integer), sa.column('value', sa.BigInteger))
    op.bulk_insert(counter, [{'id': 1, 'value': 0}])


def downgrade() -> None:
    op.drop_table('event_audience')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_incident_id'))

    op.drop_table('photos')
    with op.batch_alter_table('incident_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_units_unit_code'))

    op.drop_table('incident_units')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_incident_id'))

    op.drop_table('events')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_territory_code'))
        batch_op.drop_index(batch_op.f('ix_incidents_status'))
        batch_op.drop_index(batch_op.f('ix_incidents_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_received_at'))
        batch_op.drop_index('ix_incidents_location', postgresql_using='gist')

    op.drop_table('incidents')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_owner_id'))

    op.drop_table('sites')
    op.drop_table('officer_positions')
    with op.batch_alter_table('officer_last_positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officer_last_positions_unit_code'))
        batch_op.drop_index('ix_officer_last_positions_location', postgresql_using='gist')

    op.drop_table('officer_last_positions')
    op.drop_table('users')
    with op.batch_alter_table('territory_boundaries', schema=None) as batch_op:
        batch_op.drop_index('ix_territory_boundaries_geom', postgresql_using='gist')

    op.drop_table('territory_boundaries')
    op.drop_table('routing')
    op.drop_table('units')
    op.drop_table('idempotency_keys')
    op.drop_table('event_counter')
    op.drop_table('boundary_sets')
