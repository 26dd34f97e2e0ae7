"""The day's case-number counter is a hot row: once a transaction takes it, its statements run
without yielding to other greenlets until it ends (dispatch/storage/event_log.py,
`hold_until_end`), and the process yields again however it ends. PostgreSQL only: psycopg2's
wait callback (psycogreen's under gevent) is what is lifted; here `wait_select` stands for it."""

from __future__ import annotations

from datetime import date

import psycopg2.extensions
import psycopg2.extras
import pytest

DAY = date(2026, 11, 27)


@pytest.fixture
def green():  # type: ignore[no-untyped-def]
    previous = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)
    yield psycopg2.extras.wait_select
    psycopg2.extensions.set_wait_callback(previous)


@pytest.mark.parametrize("backend", ["postgis"])
def test_a_taken_case_number_holds_the_process_until_the_transaction_ends(
        backend, ctx, green, client, login):  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        assert uow.case_numbers.take(DAY) == 1
        assert psycopg2.extensions.get_wait_callback() is None
        uow.commit()
        assert psycopg2.extensions.get_wait_callback() is green
    with ctx.uow() as uow:  # left without a commit: rolled back, the number given back
        assert uow.case_numbers.take(DAY) == 2
        assert psycopg2.extensions.get_wait_callback() is None
    assert psycopg2.extensions.get_wait_callback() is green
    with ctx.uow() as uow:
        assert uow.case_numbers.take(DAY) == 2
        uow.rollback()
        assert psycopg2.extensions.get_wait_callback() is green
    # A whole report, and a refused one.
    reporter = login("demo-reporter")
    r = client.post("/api/v1/incidents", headers=reporter, json={
        "category": "power_cut", "description": "no power", "location": {"lat": 35.0206,
                                                                  "lon": 112.6340}})
    assert r.status_code == 201 and r.get_json()["case_number"].endswith("-0002")
    assert psycopg2.extensions.get_wait_callback() is green
    r = client.post("/api/v1/incidents", headers=reporter, json={
        "category": "power_cut", "description": "", "location": {"lat": 10.0, "lon": 10.0}})
    assert r.status_code == 422
    assert psycopg2.extensions.get_wait_callback() is green
