"""The template database of a `python -m bench` run, and the open cases cloned from it.

The template holds the demo (`python -m server seed-demo`), the bare baseline's tables and a few
real reports made through the product's API; every row runs on a copy (`CREATE DATABASE ...
TEMPLATE`), so no row sees another's leftovers. Cases are cloned from the reports in SQL, their
units and timers with them, every time shifted alike so that the clocks stay consistent."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench.processes import ROOT, http_request
from bench.stack import REPORTS, UNITS, Stack

BARE_TABLES = """
CREATE TABLE bare_incidents (LIKE incidents INCLUDING DEFAULTS INCLUDING INDEXES);
CREATE TABLE bare_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES);
CREATE SEQUENCE bare_event_seq;
CREATE TABLE bare_positions (LIKE officer_positions INCLUDING DEFAULTS INCLUDING INDEXES);
CREATE TABLE bare_last_positions (LIKE officer_last_positions INCLUDING DEFAULTS
                                  INCLUDING INDEXES);
CREATE TABLE bare_timers (LIKE timers INCLUDING DEFAULTS INCLUDING INDEXES);
"""


# The field: officers on duty across the city, each unit's own in its territory (departments'
# anywhere in it), so that a report's KNN ranks real candidates and the storm row has sockets.
FIELD_OFFICERS = """
INSERT INTO users (id, username, password_hash, role, unit_code, display_name, active,
                   token_version)
SELECT md5('bench-officer-' || g), 'bench-officer-' || g,
       (SELECT password_hash FROM users WHERE username = 'demo-reporter'), 'officer',
       u.code, u.name || ' 外勤 ' || g, true, 0
FROM generate_series(0, %(n)s - 1) g
JOIN (SELECT code, name, row_number() OVER (ORDER BY code) - 1 AS k, count(*) OVER () AS c
      FROM units) u ON u.k = g %% u.c;
INSERT INTO officer_last_positions (officer_id, unit_code, location, accuracy_m, recorded_at,
                                    received_at)
SELECT o.id, o.unit_code,
       (ST_Dump(ST_GeneratePoints(coalesce(tb.geom, (SELECT ST_Union(geom)
            FROM territory_boundaries t JOIN boundary_sets s ON s.id = t.set_id AND s.active)),
            1, abs(hashtext(o.id)) + 1))).geom, 10, now(), now()
FROM users o LEFT JOIN (territory_boundaries tb JOIN boundary_sets bs
     ON bs.id = tb.set_id AND bs.active) ON tb.code = o.unit_code
WHERE o.username LIKE 'bench-officer-%%';
ANALYZE users; ANALYZE officer_last_positions;
"""


def seed_field(stack: Stack, db: str, n: int) -> None:
    """`n` officers (`bench-officer-<k>`, spread over the units) with a fix in their unit's
    territory, and a token each (`stack.field_officers`: token, unit, id), signed as the
    product signs."""
    from itsdangerous import URLSafeTimedSerializer

    from bench.stack import SECRET

    stack.sql(db, FIELD_OFFICERS, {"n": n})
    signer = URLSafeTimedSerializer(SECRET, salt="access-token")
    rows = stack.sql(db, "SELECT id, unit_code FROM users "
                         "WHERE username LIKE 'bench-officer-%' ORDER BY username")
    stack.field_officers = [(signer.dumps({"uid": uid, "ver": 0}), unit, uid)
                            for uid, unit in rows]


def on_duty(stack: Stack, db: str) -> None:
    """Every officer's last fix made now: on duty for the next 30 minutes (the product's
    window), so the KNN of each report has its candidates whenever the row runs."""
    stack.sql(db, "UPDATE officer_last_positions SET recorded_at = now(), received_at = now()")


def token(port: int, username: str) -> str:
    status, body = http_request(port, "POST", "/api/v1/auth/token",
                                {"username": username, "password": "demo"})
    if status != 200:
        raise RuntimeError(f"token for {username}: {status} {body[:200]!r}")
    return str(json.loads(body)["access_token"])


def seed_template(stack: Stack) -> str:
    """The template database: the demo, the bare tables, a few real reports to clone, tokens.

    Every row then runs on a copy (`CREATE DATABASE ... TEMPLATE`), so no row sees another's
    leftovers."""
    tpl = stack.create_db("tpl")
    cmd = [sys.executable, "-m", "server", "seed-demo"]
    stack.note_command(cmd)
    seed = subprocess.run(cmd, cwd=ROOT, env=stack.env(tpl), capture_output=True, text=True,
                          timeout=300)
    if seed.returncode != 0:
        raise RuntimeError(f"seed-demo failed:\n{seed.stdout[-2000:]}\n{seed.stderr[-3000:]}")
    stack.sql(tpl, BARE_TABLES)
    seed_field(stack, tpl, 500 if not stack.args.quick else 60)
    server = stack.product(tpl)
    try:
        for user in ("demo-reporter", "demo-reporter-2", "demo-commander",
                     *(f"officer-{u}" for u in UNITS)):
            stack.tokens[user] = token(server.port, user)
        for report in REPORTS * 3:
            status, body = http_request(server.port, "POST", "/api/v1/incidents", report,
                                        token=stack.tokens["demo-reporter"])
            if status != 201:
                raise RuntimeError(f"template report: {status} {body[:300]!r}")
            stack.templates.append(json.loads(body)["id"])
        wait_planned(stack, tpl, stack.templates)
    finally:
        stack.stop(server)
    return tpl


def wait_planned(stack: Stack, db: str, ids: list[str], timeout: float = 15.0) -> list[str]:
    """The ids among `ids` whose case has no timers yet, after waiting up to `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        missing = [r[0] for r in stack.sql(db, """
            SELECT i.id FROM incidents i WHERE i.id = ANY(%s)
            AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.incident_id = i.id)""", (ids,))]
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.5)


def columns(stack: Stack, db: str, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in stack.sql(db, """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = %s AND table_schema = 'public' ORDER BY ordinal_position""",
                                             (table,))]


def clone_cases(stack: Stack, db: str, n: int, first_s: float, last_s: float,
                fired_before_s: float | None) -> None:
    """`n` open cases copied from the template reports, the k-th received at now + first_s +
    (last_s - first_s) * k / n (seconds; negative is the past), every time of the case, its
    units and its timers shifted alike (so the clocks stay consistent), jittered by ~100 m.
    Timers due before now + fired_before_s are marked fired (a steady state: no backlog);
    with None every pending timer is kept (a backlog).

    Column lists are read from the schema, so added columns are copied as they are."""
    def select(table: str, src: str, skip: tuple[str, ...] = ()) -> tuple[str, str]:
        cols, exprs = [], []
        for name, kind in columns(stack, db, table):
            if name in skip:
                continue
            cols.append(name)
            if (table == "incidents" and name == "id") or name == "incident_id":
                exprs.append("m.id")
            elif table == "incidents" and name == "case_number":  # unique: one per clone
                exprs.append("'BENCH-' || m.id")
            elif table == "incidents" and name == "location":
                exprs.append(f"ST_Translate({src}.location, m.dx, m.dy)")
            elif table == "incidents" and name == "lon":
                exprs.append(f"{src}.lon + m.dx")
            elif table == "incidents" and name == "lat":
                exprs.append(f"{src}.lat + m.dy")
            elif kind.startswith("timestamp"):
                exprs.append(f"{src}.{name} + m.d")
            else:
                exprs.append(f"{src}.{name}")
        return ", ".join(cols), ", ".join(exprs)

    inc_cols, inc_exprs = select("incidents", "i")
    iu_cols, iu_exprs = select("incident_units", "u")
    t_cols, t_exprs = select("timers", "t", skip=("id",))
    fired = ("" if fired_before_s is None else f"""
        UPDATE timers SET fired_at = due_at, outcome = 'before-bench'
        WHERE fired_at IS NULL AND due_at < now() + make_interval(secs => {fired_before_s})
          AND incident_id IN (SELECT id FROM m);""")
    stack.sql(db, f"""
        CREATE TEMP TABLE m AS
        SELECT substr(md5(random()::text || g::text), 1, 32) AS id, t.id AS src,
               (now() + make_interval(secs => %(a)s + (%(b)s - %(a)s) * g / %(n)s))
                   - t.received_at AS d,
               (random() - 0.5) * 0.002 AS dx, (random() - 0.5) * 0.002 AS dy
        FROM generate_series(1, %(n)s) g
        JOIN (SELECT id, received_at, row_number() OVER (ORDER BY id) - 1 AS k,
                     count(*) OVER () AS c
              FROM incidents WHERE id = ANY(%(tpl)s)) t ON t.k = g %% t.c;
        INSERT INTO incidents ({inc_cols}) SELECT {inc_exprs} FROM incidents i
            JOIN m ON m.src = i.id;
        INSERT INTO incident_units ({iu_cols}) SELECT {iu_exprs} FROM incident_units u
            JOIN m ON m.src = u.incident_id;
        INSERT INTO timers ({t_cols}) SELECT {t_exprs} FROM timers t
            JOIN m ON m.src = t.incident_id WHERE t.fired_at IS NULL;
        {fired}
        ANALYZE incidents; ANALYZE incident_units; ANALYZE timers;
    """, {"a": first_s, "b": last_s, "n": n, "tpl": stack.templates})

