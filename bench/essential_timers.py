"""The essential-work baseline of due timers: the product's decisions, the plainest way.

`python -m bench.fire_timers essential` runs `fire_batch` until nothing is due. Plain psycopg2,
SQL text, tuples and dicts; no ORM, no domain objects, no session. Per batch (500 timers), in
one transaction:

1. claim the due, unfired offers, warnings and overdue notices, oldest first, `FOR UPDATE SKIP
   LOCKED`; lock their cases (in id order) and read the cases' columns and units;
2. decide each timer as `dispatch.timers.fire` does: an offer whose unit accepted or arrived (or
   a case solved) is `answered`, else the unit's 20 nearest on-duty officers are ranked (one
   LATERAL KNN for every offer of the batch, distances by PostGIS), `offered` and
   `offer_unanswered` are recorded and the row moves to its next attempt (`repeated`; fired when
   no attempt comes before the arrival deadline); a warning or a notice whose deadline moved is
   `stale`, met is `met`, a warning records `deadline_near` (`warned`), a notice not yet late
   waits for the first late instant (`early`), else its accountability record is written (one
   INSERT ... ON CONFLICT DO NOTHING RETURNING for the batch) and `overdue` recorded if new;
3. the events, each with the case's picture (`dispatch.snapshots`' fields) and its rooms (the
   catalogue's), numbered by the log's counter in one statement; the timers in one UPDATE; COMMIT.

It writes what the product writes for the same due timers (tests/integration/
test_essential_timers.py). It does NOT: fire the supervision cycle's timers (feedback,
complaints: none in a burst), tell the web processes of the events (the product publishes them
to Redis) or RQ of each case's next timer, count metrics, log a line per batch, or follow the
planning request's id into what it writes beyond copying it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from dispatch.settings import Settings

KINDS = ("offer", "deadline_near", "overdue")
LATE = timedelta(microseconds=1)  # the first late instant after a deadline (dispatch.clock)

CLAIM = """
SELECT id, incident_id, unit_code, kind, milestone, deadline, due_at, attempt, round, complaint,
       request_id, outcome
FROM timers WHERE fired_at IS NULL AND due_at <= %(now)s AND kind = ANY(%(kinds)s)
  AND (%(incident)s::text IS NULL OR incident_id = %(incident)s)
ORDER BY due_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED
"""
CASES = """
SELECT id, case_number, category, status, description, lon, lat, territory_code,
       territory_name, green_channel, central_unit, central_person, central_due, received_at,
       arrival_due, restore_due, resolve_due, restored_at, resolved_at, resolve_due_original,
       closed_at, lead_unit, reporter_id
FROM incidents WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE OF incidents
"""
UNITS = """
SELECT incident_id, unit_code, unit_name, kind, accepted_at, arrived_at, arrival_due,
       arrival_device_time, arrival_sent_late, arrival_counted_at, arrival_mock_location
FROM incident_units WHERE incident_id = ANY(%(ids)s) ORDER BY incident_id, kind DESC, unit_code
"""
NEAREST = """
SELECT w.i, n.officer_id, n.display_name, n.recorded_at, n.distance_m
FROM unnest(%(codes)s::text[], %(lons)s::float8[], %(lats)s::float8[])
     WITH ORDINALITY AS w(code, lon, lat, i)
CROSS JOIN LATERAL (
    SELECT lp.officer_id, u.display_name, lp.recorded_at,
           ST_Distance(lp.location::geography,
                       ST_SetSRID(ST_MakePoint(w.lon, w.lat), 4326)::geography) AS distance_m
    FROM officer_last_positions lp JOIN users u ON u.id = lp.officer_id
    WHERE lp.unit_code = w.code AND lp.recorded_at >= %(since)s AND u.active
      AND u.role = 'officer'
    ORDER BY lp.location <-> ST_SetSRID(ST_MakePoint(w.lon, w.lat), 4326) LIMIT 20) n
"""
RECORDS = """
INSERT INTO overdue_records (incident_id, unit_code, milestone, due_at, recorded_at, round,
                             complaint)
SELECT * FROM unnest(%(ids)s::text[], %(units)s::text[], %(milestones)s::text[],
                     %(dues)s::timestamptz[], %(ats)s::timestamptz[], %(rounds)s::int[],
                     %(complaints)s::int[])
ON CONFLICT (incident_id, unit_code, milestone, due_at, complaint) DO NOTHING
RETURNING incident_id, unit_code, milestone, due_at
"""
TIMERS = """
UPDATE timers t SET attempt = c.attempt, due_at = c.due_at, fired_at = c.fired_at,
                    outcome = c.outcome
FROM unnest(%(ids)s::bigint[], %(attempts)s::int[], %(dues)s::timestamptz[],
            %(fireds)s::timestamptz[], %(outcomes)s::text[]) AS c(id, attempt, due_at,
                                                                 fired_at, outcome)
WHERE t.id = c.id
"""
EVENTS = """
WITH counter AS (
    UPDATE event_counter SET value = value + %(n)s WHERE id = 1 RETURNING value
), written AS (
    INSERT INTO events (seq, incident_id, type, at, actor_id, data, audience, snapshot,
                        request_id)
    SELECT counter.value - %(n)s + e.ord, e.incident_id, e.type, %(now)s, NULL, e.data,
           e.audience, e.snapshot, e.request_id
    FROM counter, json_to_recordset(%(events)s::json) AS e(
        ord int, incident_id text, type text, data json, audience json, snapshot json,
        request_id text)
)
INSERT INTO event_audience (room, seq)
SELECT r.room, counter.value - %(n)s + r.ord
FROM counter, json_to_recordset(%(rooms)s::json) AS r(room text, ord int)
"""


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat()[:-6] + "Z"


def _picture(c: Any, units: list[Any]) -> dict[str, Any]:
    """The case as a live client sees it (`dispatch.snapshots.snapshot`'s fields)."""
    return {
        "id": c[0], "case_number": c[1], "category": c[2], "status": c[3], "description": c[4],
        "location": {"lat": c[6], "lon": c[5]}, "territory": {"code": c[7], "name": c[8]},
        "green_channel": c[9], "central_assignment": None if c[10] is None else {
            "unit": c[10], "person": c[11], "due": _iso(c[12])},
        "received_at": _iso(c[13]),
        "deadlines": {"arrival": _iso(c[14]), "restore": _iso(c[15]), "resolve": _iso(c[16]),
                      "resolve_original": _iso(c[19])},
        "milestones": {"restored_at": _iso(c[17]), "resolved_at": _iso(c[18]),
                       "closed_at": _iso(c[20])},
        "units": [{"code": u[1], "name": u[2], "kind": u[3], "accepted_at": _iso(u[4]),
                   "arrived_at": _iso(u[5]), "arrival_due": _iso(u[6]), "lead": u[1] == c[21],
                   "arrival_device_time": _iso(u[7]), "arrival_sent_late": u[8],
                   "arrival_counted_at": u[9], "arrival_mock_location": u[10]} for u in units]}


def fire_batch(conn: Any, now: datetime, settings: Settings, batch: int = 500,
               incident_id: str | None = None) -> int:
    """One batch in one transaction (committed here); returns how many timers were claimed."""
    with conn.cursor() as cur:
        cur.execute(CLAIM, {"now": now, "kinds": list(KINDS), "batch": batch,
                            "incident": incident_id})
        due = cur.fetchall()
        if not due:
            conn.commit()
            return 0
        ids = sorted({x[1] for x in due})
        cur.execute(CASES, {"ids": ids})
        cases = {c[0]: c for c in cur.fetchall()}
        cur.execute(UNITS, {"ids": ids})
        units: dict[str, list[Any]] = {}
        for u in cur.fetchall():
            units.setdefault(u[0], []).append(u)
        pictures = {i: _picture(c, units.get(i, [])) for i, c in cases.items()}
        ordered = sorted(due, key=lambda x: (x[1], x[6]))

        def unit_of(x: Any) -> Any:
            return next((u for u in units.get(x[1], ()) if u[1] == x[2]), None)

        def clock(x: Any) -> tuple[datetime, datetime | None]:
            c = cases[x[1]]
            if x[4] == "arrival":
                u = unit_of(x)
                return u[6], u[5]
            return (c[15], c[17]) if x[4] == "restore" else (c[16], c[18])

        offers = [x for x in ordered if x[3] == "offer" and _unanswered(cases[x[1]], unit_of(x))]
        wanted = sorted({(x[1], x[2]) for x in offers})
        ranked: dict[tuple[str, str], list[Any]] = {w: [] for w in wanted}
        if wanted:
            cur.execute(NEAREST, {
                "codes": [u for _, u in wanted], "lons": [cases[i][5] for i, _ in wanted],
                "lats": [cases[i][6] for i, _ in wanted],
                "since": now - settings.on_duty_window})
            for i, officer, name, at, distance in cur.fetchall():
                ranked[wanted[i - 1]].append({"officer_id": officer, "name": name,
                                              "distance_m": round(distance, 1),
                                              "position_at": _iso(at)})
            for found in ranked.values():
                found.sort(key=lambda o: o["distance_m"])
        # The batch's missed deadlines, first of each deadline, in one statement.
        missed: dict[tuple[Any, ...], Any] = {}
        for x in ordered:
            if x[3] == "overdue":
                due_at, done = clock(x)
                if due_at == x[5] and done is None and due_at < now:
                    missed.setdefault((x[1], x[2], x[4], due_at), x)
        new: set[tuple[Any, ...]] = set()
        if missed:
            keys = list(missed)
            cur.execute(RECORDS, {
                "ids": [k[0] for k in keys], "units": [k[1] for k in keys],
                "milestones": [k[2] for k in keys], "dues": [k[3] for k in keys],
                "ats": [now] * len(keys), "rounds": [missed[k][8] for k in keys],
                "complaints": [0] * len(keys)})
            new = {tuple(r) for r in cur.fetchall()}
        events: list[dict[str, Any]] = []
        changed = []

        def record(x: Any, type: str, rooms: list[str], **data: Any) -> None:
            events.append({"incident_id": x[1], "type": type, "data": data, "audience": rooms,
                           "snapshot": pictures[x[1]], "request_id": x[10]})

        for x in ordered:
            tid, case_id, unit, kind, attempt = x[0], x[1], x[2], x[3], x[7]
            c = cases[case_id]
            fired: datetime | None = now
            due_at = x[6]
            if kind == "offer":
                if not _unanswered(c, unit_of(x)):
                    outcome = "answered"
                else:
                    record(x, "offered", [f"unit:{unit}", "command"], unit=unit,
                           officers=ranked[(case_id, unit)], repeat=attempt)
                    record(x, "offer_unanswered", [f"dispatch:{unit}", "command"], unit=unit,
                           waited_s=(now - c[13]).total_seconds())
                    outcome = "repeated"
                    nxt = c[13] + settings.offer_timeout * (attempt + 1)
                    if nxt < unit_of(x)[6]:  # the next attempt: this row again, moved
                        attempt, due_at, fired = attempt + 1, nxt, None
            else:
                deadline, done = clock(x)
                if deadline != x[5]:
                    outcome = "stale"
                elif done is not None:
                    outcome = "met"
                elif kind == "deadline_near":
                    record(x, "deadline_near", [f"unit:{unit}"], unit=unit, milestone=x[4],
                           due=_iso(deadline))
                    outcome = "warned"
                elif not deadline < now:  # not late yet: due again at the first late instant
                    outcome, due_at, fired = x[11], deadline + LATE, None
                else:
                    outcome = "overdue"
                    if (case_id, unit, x[4], deadline) in new:
                        new.discard((case_id, unit, x[4], deadline))
                        record(x, "overdue", [f"unit:{unit}", f"dispatch:{unit}", "command"],
                               unit=unit, milestone=x[4], due=_iso(deadline),
                               late_by_s=(now - deadline).total_seconds())
            changed.append((tid, attempt, due_at, fired, outcome))
        cur.execute(TIMERS, {"ids": [r[0] for r in changed], "attempts": [r[1] for r in changed],
                             "dues": [r[2] for r in changed],
                             "fireds": [r[3] for r in changed],
                             "outcomes": [r[4] for r in changed]})
        if events:
            cur.execute(EVENTS, {
                "n": len(events), "now": now,
                "events": json.dumps([{**e, "ord": i} for i, e in enumerate(events, 1)],
                                     ensure_ascii=False),
                "rooms": json.dumps([{"room": room, "ord": i} for i, e in enumerate(events, 1)
                                     for room in e["audience"]])})
    conn.commit()
    return len(due)


def _unanswered(case: Any, unit: Any) -> bool:
    """An offer still stands: its unit neither accepted nor arrived, the case not solved."""
    return not (unit is None or unit[4] is not None or unit[5] is not None
                or case[3] in ("resolved", "closed"))
