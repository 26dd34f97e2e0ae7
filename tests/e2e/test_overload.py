"""Overload on the production shape: far more concurrent reports than one gunicorn gevent worker
admits. Every answer is a 201 or a clean 503 with Retry-After, never a 500 or a time-out, and
every 201 has its case and its timers in the database (server/admission.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg2
import requests

from tests.e2e.procs import auth, free_port

REPORT = {"category": "power_cut", "description": "overload",
          "location": {"lat": 35.0206, "lon": 112.6340}}
OFFERED = 150
LIMIT, QUEUE = 3, 5


def test_reports_past_the_bound_are_refused_cleanly_and_every_201_is_stored(stack):
    procs = stack(DISPATCH_ADMISSION_LIMIT=str(LIMIT), DISPATCH_ADMISSION_QUEUE=str(QUEUE))
    base = procs.web("web1", free_port())
    headers = auth(base, "demo-reporter")

    def post(_: int) -> requests.Response:
        return requests.post(f"{base}/api/v1/incidents", json=REPORT, headers=headers,
                             timeout=30)

    with ThreadPoolExecutor(OFFERED) as pool:
        answers = list(pool.map(post, range(OFFERED)))

    statuses = sorted({r.status_code for r in answers})
    assert statuses == [201, 503], statuses  # some served, the excess refused
    for r in answers:
        if r.status_code == 503:
            assert r.headers["Retry-After"] == "1"
            assert r.headers["Content-Type"] == "application/problem+json"
            assert r.json()["title"] == "Overloaded"
    created = [r.json()["id"] for r in answers if r.status_code == 201]
    with psycopg2.connect(procs.env["DATABASE_URL"]) as db, db.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents WHERE id = ANY(%s)", (created,))
        assert cur.fetchone()[0] == len(created)
        cur.execute("SELECT count(*) FROM incidents i WHERE NOT EXISTS "
                    "(SELECT 1 FROM timers t WHERE t.incident_id = i.id)")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM incidents")
        assert cur.fetchone()[0] == len(created)  # a refused report wrote nothing
    # Served again once the load is gone.
    assert post(0).status_code == 201
    assert "Traceback" not in procs.log("web1")
