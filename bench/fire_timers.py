"""Timer firing for `python -m bench`, in a process of its own (as the scheduler and RQ worker are).

    python -m bench.fire_timers product --seconds 60          # drain: fire until nothing is due
    python -m bench.fire_timers product --steady --seconds 60 # sweep every 0.2 s for 60 s
    python -m bench.fire_timers bare --seconds 60             # the bare loop on bare_timers
    python -m bench.fire_timers essential --seconds 60        # the same decisions, plainly

`product` runs the product's own `dispatch.deadlines.fire_due_timers` with the Context of a
scheduler process (`server.bootstrap.for_process`: DATABASE_URL, REDIS_URL from the environment).

`bare` is the essential work and nothing else: claim up to 500 due rows of `bare_timers` with
`FOR UPDATE SKIP LOCKED`, mark them fired, insert one event per timer in one statement, commit;
again until none is due.

`essential` makes the product's decisions the plainest way (`bench.essential_timers`: one
transaction per batch of 500, on the product's own tables) until nothing is due.

Prints one JSON line: timers fired, seconds, the process's CPU seconds, sweeps.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import threading
import time

BARE_CLAIM = """
WITH due AS (
    SELECT id FROM bare_timers WHERE fired_at IS NULL AND due_at <= now()
    ORDER BY due_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED)
UPDATE bare_timers t SET fired_at = now(), outcome = 'fired' FROM due WHERE t.id = due.id
RETURNING t.incident_id, t.unit_code, t.kind, t.milestone, t.deadline
"""
BARE_EVENTS = """
INSERT INTO bare_events (seq, incident_id, type, at, actor_id, data, audience, snapshot)
SELECT nextval('bare_event_seq'), x.incident_id, x.kind, now(), NULL,
       json_build_object('unit', x.unit_code, 'milestone', x.milestone, 'due', x.deadline),
       json_build_array('unit:' || x.unit_code, 'command'), '{}'
FROM unnest(%(ids)s::text[], %(units)s::text[], %(kinds)s::text[], %(milestones)s::text[],
            %(deadlines)s::timestamptz[])
     AS x(incident_id, unit_code, kind, milestone, deadline)
"""


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def bare(seconds: float, batch: int) -> dict[str, float]:
    import psycopg2

    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    fired = sweeps = 0
    t0, c0 = time.monotonic(), cpu()
    while time.monotonic() - t0 < seconds:
        with conn, conn.cursor() as cur:
            cur.execute(BARE_CLAIM, {"batch": batch})
            rows = cur.fetchall()
            if rows:
                cols = list(zip(*rows, strict=True))
                cur.execute(BARE_EVENTS, {"ids": list(cols[0]), "units": list(cols[1]),
                                          "kinds": list(cols[2]), "milestones": list(cols[3]),
                                          "deadlines": list(cols[4])})
        sweeps += 1
        fired += len(rows)
        if not rows:
            break
    conn.close()
    return {"fired": fired, "seconds": time.monotonic() - t0, "cpu_s": cpu() - c0,
            "sweeps": sweeps}


def essential(seconds: float, batch: int) -> dict[str, float]:
    from datetime import UTC, datetime

    import psycopg2

    from bench.essential_timers import fire_batch
    from dispatch.settings import Settings

    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    settings = Settings()  # the defaults the bench's product runs with
    claimed = sweeps = 0
    t0, c0 = time.monotonic(), cpu()
    while time.monotonic() - t0 < seconds:
        n = fire_batch(conn, datetime.now(UTC), settings, batch)
        sweeps += 1
        claimed += n
        if n == 0:
            break
    conn.close()
    return {"claimed": claimed, "seconds": time.monotonic() - t0, "cpu_s": cpu() - c0,
            "sweeps": sweeps}


def product(seconds: float, batch: int, steady: bool) -> dict[str, float]:
    from dispatch.deadlines import fire_due_timers
    from server.bootstrap import Process, for_process

    _, ctx = for_process(Process.SCHEDULER)
    counts = {"fired": 0, "sweeps": 0}
    t0, c0 = time.monotonic(), cpu()

    def sweep() -> None:
        # fire_due_timers itself loops while full batches come back: the bound is kept by the
        # main thread, which stops waiting (and the process) at --seconds.
        while time.monotonic() - t0 < seconds:
            n = fire_due_timers(ctx, batch, most=batch)  # one batch: counted as it goes
            counts["sweeps"] += 1
            counts["fired"] += n
            if n == 0:
                if not steady:
                    return
                time.sleep(0.2)

    thread = threading.Thread(target=sweep, daemon=True)
    thread.start()
    thread.join(seconds)
    # "fired" counts claims, which include timers not due after all (kept pending, due later);
    # `python -m bench` counts the rows fired in the database instead.
    return {"claimed": counts["fired"], "seconds": time.monotonic() - t0, "cpu_s": cpu() - c0,
            "sweeps": counts["sweeps"], "finished": not thread.is_alive()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", choices=["product", "bare", "essential"])
    parser.add_argument("--seconds", type=float, default=60.0, help="a bound on the run")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--steady", action="store_true",
                        help="keep sweeping (every 0.2 s when idle) until --seconds")
    args = parser.parse_args()
    if args.which == "bare":
        out = bare(args.seconds, args.batch or 500)
    elif args.which == "essential":
        out = essential(args.seconds, args.batch or 500)
    else:
        out = product(args.seconds, args.batch or 100, args.steady)
    print(json.dumps(out), flush=True)
    os._exit(0)  # a sweep still running at the bound is abandoned mid-batch (rolled back)


if __name__ == "__main__":
    main()
