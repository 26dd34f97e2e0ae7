"""The report path's PostgreSQL statements, as text compiled once.

A report runs these on every request; built with SQLAlchemy's expression language they were
constructed, cache-keyed (and the multi-row VALUES compiled) afresh each time: about a third of a
report's CPU in the profile of `make bench BENCH_ARGS="--only ingest_closed --py-spy"`.
SQLite keeps the expression-language forms in `live_repositories`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

# PostgreSQL: each unit's nearest on-duty officers by KNN (`<->`, served by the GiST index) in a
# LATERAL subquery over one bound array of unit codes.
RANK_PG = text("""
SELECT w.code AS unit_code, n.officer_id, n.display_name, n.recorded_at, n.x, n.y
FROM unnest(CAST(:codes AS text[])) AS w(code) CROSS JOIN LATERAL (
    SELECT lp.officer_id, u.display_name, lp.recorded_at, ST_X(lp.location) AS x,
           ST_Y(lp.location) AS y
    FROM officer_last_positions lp JOIN users u ON u.id = lp.officer_id
    WHERE lp.unit_code = w.code AND lp.recorded_at >= :since AND u.active AND u.role = :role
    ORDER BY lp.location <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :limit
) n
""")
# PostgreSQL: `rank` for many (unit, place) pairs, a batch of due offers (numbered from 1).
RANK_EACH_PG = text("""
SELECT w.i, n.officer_id, n.display_name, n.recorded_at, n.x, n.y
FROM unnest(CAST(:codes AS text[]), CAST(:lons AS float8[]), CAST(:lats AS float8[]))
     WITH ORDINALITY AS w(code, lon, lat, i)
CROSS JOIN LATERAL (
    SELECT lp.officer_id, u.display_name, lp.recorded_at, ST_X(lp.location) AS x,
           ST_Y(lp.location) AS y
    FROM officer_last_positions lp JOIN users u ON u.id = lp.officer_id
    WHERE lp.unit_code = w.code AND lp.recorded_at >= :since AND u.active AND u.role = :role
    ORDER BY lp.location <-> ST_SetSRID(ST_MakePoint(w.lon, w.lat), 4326) LIMIT :limit
) n
""")
# PostgreSQL: a case's timers in one statement; one planned twice is stored once.
TIMERS_PG = text("""
INSERT INTO timers (incident_id, unit_code, kind, milestone, attempt, deadline, due_at, round,
                    complaint, request_id)
SELECT x.incident_id, x.unit_code, x.kind, x.milestone, x.attempt, x.deadline, x.due_at,
       x.round, x.complaint, x.request_id
FROM json_to_recordset(CAST(:rows AS json)) AS x(incident_id text, unit_code text, kind text,
    milestone text, attempt int, deadline timestamptz, due_at timestamptz, round int,
    complaint int, request_id text)
ON CONFLICT DO NOTHING
""")

# PostgreSQL: a batch of fixes into the history in one statement whatever its size (a multi-row
# VALUES was compiled afresh for every batch: a quarter of the socket's `positions` CPU), in time
# order; a fix already stored for its (officer, time) is skipped.
POSITIONS_PG = text("""
INSERT INTO officer_positions (officer_id, location, accuracy_m, recorded_at, received_at,
                               mock_location, flagged_speed_kmh)
SELECT :officer, ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4326), x.acc, x.at, :received, x.mock,
       x.flag
FROM json_to_recordset(CAST(:rows AS json)) AS x(lon float8, lat float8, acc float8,
                                                 at timestamptz, mock boolean, flag float8)
ORDER BY x.at
ON CONFLICT (officer_id, recorded_at) DO NOTHING
RETURNING id
""")


def utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).isoformat()
