"""The schema, in one place. Alembic migrations are written against this metadata."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from dispatch.storage.geometry import GeometryColumn
from dispatch.storage.types import UTCDateTime

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ID = String(32)
CODE = String(64)

units = Table(
    "units", metadata,
    Column("code", CODE, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", ID, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit_code", CODE, ForeignKey("units.code"), nullable=True),
    Column("display_name", String(200), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    # Raised to revoke every token issued so far (sign-out, deactivation): tokens carry it.
    Column("token_version", Integer, nullable=False, default=0, server_default="0"),
    # An outside system's Open311 account: the SHA-256 of its API key (hex; the key itself is
    # shown once and never stored) and when the current key was issued. NULL hash: no key, or
    # revoked.
    Column("api_key_hash", String(64), nullable=True, unique=True),
    Column("api_key_issued_at", UTCDateTime, nullable=True),
)

routing = Table(
    "routing", metadata,
    Column("category", String(40), primary_key=True),
    Column("unit_code", CODE, ForeignKey("units.code"), primary_key=True),
)

boundary_sets = Table(
    "boundary_sets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("activated_at", UTCDateTime, nullable=True),
    Column("active", Boolean, nullable=False, default=False),
    sqlite_autoincrement=True,  # a set's id is never reused: incidents name the set they used
)

territory_boundaries = Table(
    "territory_boundaries", metadata,
    Column("set_id", Integer, ForeignKey("boundary_sets.id"), primary_key=True),
    Column("code", CODE, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("geom", GeometryColumn("MULTIPOLYGON"), nullable=False),
)
Index("ix_territory_boundaries_geom", territory_boundaries.c.geom, postgresql_using="gist")

sites = Table(
    "sites", metadata,
    Column("id", ID, primary_key=True),
    Column("owner_id", ID, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("location", GeometryColumn("POINT"), nullable=False),
    Column("address", String(500), nullable=True),
    Column("green_channel", Boolean, nullable=False, default=False),
    Column("lead_department", CODE, ForeignKey("units.code"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

incidents = Table(
    "incidents", metadata,
    Column("id", ID, primary_key=True),
    Column("category", String(40), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("location", GeometryColumn("POINT"), nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("location_accuracy_m", Float, nullable=True),
    Column("reported_crs", String(10), nullable=False),
    Column("reporter_id", ID, ForeignKey("users.id"), nullable=False, index=True),
    Column("site_id", ID, ForeignKey("sites.id"), nullable=True),
    Column("green_channel", Boolean, nullable=False, default=False),
    Column("territory_code", CODE, nullable=False, index=True),
    Column("territory_name", String(200), nullable=False),
    Column("boundary_set_id", Integer, ForeignKey("boundary_sets.id"), nullable=False),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("arrival_due", UTCDateTime, nullable=False),
    Column("restore_due", UTCDateTime, nullable=False),
    Column("resolve_due", UTCDateTime, nullable=False),
    Column("restored_at", UTCDateTime, nullable=True),
    Column("restored_by", ID, nullable=True),
    Column("restore_note", Text, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolved_by", ID, nullable=True),
    Column("resolve_note", Text, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("timers_planned_at", UTCDateTime, nullable=True),
    # The clocks' round: 0 from the report, +1 at each reopening (when it is `reopened_at`).
    Column("round", Integer, nullable=False, default=0, server_default="0"),
    Column("reopened_at", UTCDateTime, nullable=True),
    # The supervision cycle (migration 0008): see `dispatch.model.Incident`.
    Column("lead_unit", CODE, nullable=True),
    Column("resolve_due_original", UTCDateTime, nullable=True),
    Column("extensions", Integer, nullable=False, default=0, server_default="0"),
    Column("extension_reason", Text, nullable=True),
    Column("feedback_due", UTCDateTime, nullable=True),
    Column("feedback_at", UTCDateTime, nullable=True),
    Column("feedback_satisfied", Boolean, nullable=True),
    Column("feedback_rating", Integer, nullable=True),
    Column("feedback_comment", Text, nullable=True),
    Column("closed_reason", String(20), nullable=True),
    Column("central_unit", CODE, nullable=True),
    Column("central_person", ID, nullable=True),
    Column("central_due", UTCDateTime, nullable=True),
    Column("central_by", ID, nullable=True),
    Column("central_at", UTCDateTime, nullable=True),
    # Kept out of the public disclosure by a commander, with the reason on record.
    Column("withheld_at", UTCDateTime, nullable=True),
    Column("withheld_by", ID, nullable=True),
    Column("withheld_reason", Text, nullable=True),
    # The public text a commander reviewed (migration 0010): see `dispatch.model.Incident`.
    Column("public_problem", Text, nullable=True),
    Column("public_result", Text, nullable=True),
    Column("public_text_by", ID, nullable=True),
    Column("public_text_at", UTCDateTime, nullable=True),
    # An Open311 client's media_url, kept as text: never fetched.
    Column("media_url", Text, nullable=True),
    # Read out on the phone, JY311-20261207-0042 (migration 0012; `dispatch.case_numbers`).
    Column("case_number", String(40), nullable=False),
    # What the phone said of a restore or resolve sent from its queue (`dispatch.offline`).
    Column("restore_device_time", UTCDateTime, nullable=True),
    Column("restore_sent_late", Boolean, nullable=True),
    Column("resolve_device_time", UTCDateTime, nullable=True),
    Column("resolve_sent_late", Boolean, nullable=True),
)
Index("ix_incidents_unplanned", incidents.c.received_at,
      postgresql_where=incidents.c.timers_planned_at.is_(None),
      sqlite_where=incidents.c.timers_planned_at.is_(None))
Index("ix_incidents_location", incidents.c.location, postgresql_using="gist")
# A unique index rather than a constraint, as migration 0012 can add it on SQLite without a copy.
Index("uq_incidents_case_number", incidents.c.case_number, unique=True)

incident_units = Table(
    "incident_units", metadata,
    Column("incident_id", ID, ForeignKey("incidents.id"), primary_key=True),
    Column("unit_code", CODE, ForeignKey("units.code"), primary_key=True, index=True),
    Column("unit_name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("arrival_due", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime, nullable=True),
    Column("accepted_by", ID, nullable=True),
    Column("arrived_at", UTCDateTime, nullable=True),
    Column("arrived_by", ID, nullable=True),
    Column("arrival_location", GeometryColumn("POINT"), nullable=True),
    Column("arrival_distance_m", Float, nullable=True),
    Column("arrival_device_time", UTCDateTime, nullable=True),
    # How the arrival was judged (migration 0012; `dispatch.offline`): marked sent late, counted
    # at the device's or the upload's time and why, and the phone's mock-location flag.
    Column("arrival_sent_late", Boolean, nullable=True),
    Column("arrival_counted_at", String(10), nullable=True),
    Column("arrival_count_reason", Text, nullable=True),
    Column("arrival_mock_location", Boolean, nullable=True),
)

# One row per day (YYYYMMDD in China Standard Time) holding the last case number's sequence
# handed out that day: taken with one upsert in the report's own transaction (migration 0012).
case_number_counters = Table(
    "case_number_counters", metadata,
    Column("day", String(8), primary_key=True),
    Column("value", Integer, nullable=False),
)

# A reporter's complaints about its case, each with command's reply deadline (migration 0008).
complaints = Table(
    "complaints", metadata,
    Column("id", ID, primary_key=True),
    Column("incident_id", ID, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("author_id", ID, nullable=False),
    Column("text", Text, nullable=False),
    Column("filed_at", UTCDateTime, nullable=False),
    Column("reply_due", UTCDateTime, nullable=False),
    Column("reply", Text, nullable=True),
    Column("replied_at", UTCDateTime, nullable=True),
    Column("replied_by", ID, nullable=True),
    UniqueConstraint("incident_id", "number", name="uq_complaints_number"),
)

photos = Table(
    "photos", metadata,
    Column("id", ID, primary_key=True),
    Column("incident_id", ID, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", String(300), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

events = Table(
    "events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("incident_id", ID, ForeignKey("incidents.id"), nullable=True, index=True),
    Column("type", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", ID, nullable=True),
    Column("data", JSON, nullable=False),
    Column("audience", JSON, nullable=False),
    Column("snapshot", JSON, nullable=False, default=dict),
    # The request (or job) that wrote it (dispatch/trace.py; migration 0014): an id, for logs.
    Column("request_id", String(64), nullable=True),
)

# Who may hear each event: one row per room, so a resync is one indexed range scan per room.
event_audience = Table(
    "event_audience", metadata,
    Column("room", String(100), primary_key=True),
    Column("seq", BigInteger, ForeignKey("events.seq"), primary_key=True),
)

# A single row whose lock orders the event log: seqs become visible in commit order, so a client
# that has seen seq N can never later miss a smaller one.
event_counter = Table(
    "event_counter", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("user_id", ID, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("scope", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("resource_id", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

officer_positions = Table(
    "officer_positions", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("officer_id", ID, ForeignKey("users.id"), nullable=False),
    Column("location", GeometryColumn("POINT"), nullable=False),
    Column("accuracy_m", Float, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    # The phone's mock-location flag (None: not said), and the speed from the officer's previous
    # fix when it was over the limit: a flagged fix (migration 0012; `dispatch.offline`).
    Column("mock_location", Boolean, nullable=True),
    Column("flagged_speed_kmh", Float, nullable=True),
    UniqueConstraint("officer_id", "recorded_at", name="uq_officer_positions_officer_time"),
)

officer_last_positions = Table(
    "officer_last_positions", metadata,
    Column("officer_id", ID, ForeignKey("users.id"), primary_key=True),
    Column("unit_code", CODE, nullable=True, index=True),
    Column("location", GeometryColumn("POINT"), nullable=False),
    Column("accuracy_m", Float, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("mock_location", Boolean, nullable=True),  # migration 0012
)
Index("ix_officer_last_positions_location", officer_last_positions.c.location,
      postgresql_using="gist")

timers = Table(
    "timers", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("incident_id", ID, ForeignKey("incidents.id"), nullable=False),
    Column("unit_code", CODE, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("milestone", String(20), nullable=False),
    Column("attempt", Integer, nullable=False, default=0),
    Column("deadline", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("fired_at", UTCDateTime, nullable=True),
    Column("outcome", String(20), nullable=True),
    # The incident's round the timer was planned in (history: the deadline is what keys it).
    Column("round", Integer, nullable=False, default=0, server_default="0"),
    # The complaint whose reply the timer watches (0: a unit's clock; migration 0011).
    Column("complaint", Integer, nullable=False, default=0, server_default="0"),
    # The request that planned it (dispatch/trace.py; migration 0014), named when it fires.
    Column("request_id", String(64), nullable=True),
    # Keyed by the deadline watched: a moved deadline gets timers of its own.
    UniqueConstraint("incident_id", "unit_code", "kind", "milestone", "attempt", "deadline",
                     "complaint", name="uq_timers_once"),
)
Index("ix_timers_pending", timers.c.due_at, postgresql_where=timers.c.fired_at.is_(None),
      sqlite_where=timers.c.fired_at.is_(None))

# Accountability (超时责任追究): the unique constraint, not luck, keeps each miss recorded once.
# A miss is of one deadline: a reopened or extended case that misses its new deadline gets a
# second record, and the first stays.
overdue_records = Table(
    "overdue_records", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("incident_id", ID, ForeignKey("incidents.id"), nullable=False),
    Column("unit_code", CODE, nullable=False, index=True),
    Column("milestone", String(20), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("met_at", UTCDateTime, nullable=True),
    Column("late_by_seconds", Float, nullable=True),
    Column("round", Integer, nullable=False, default=0, server_default="0"),
    # The complaint answered late (0: a unit's own deadline; migration 0011).
    Column("complaint", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("incident_id", "unit_code", "milestone", "due_at", "complaint",
                     name="uq_overdue_records_per_deadline"),
)
