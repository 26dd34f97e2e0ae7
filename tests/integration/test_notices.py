"""The notification seam as the processes wire it (issue 16, item 13): every kind of process's
Context has the log-only sender, and after a commit it is handed the alerts of the case, which
carry its number and nothing of its description, place or people."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from dispatch.notify import LogNotifier
from dispatch.storage import tables as t
from server.bootstrap import Process, for_process
from tests.helpers import ZHICHENG, location, report, seat


@pytest.mark.parametrize("process", [Process.WORKER, Process.SCHEDULER, Process.CLI])
def test_every_process_has_the_log_only_sender(process: Process, tmp_path) -> None:
    _, ctx = for_process(process, {"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert isinstance(ctx.notifier, LogNotifier)
    ctx.engine.dispose()


def test_the_web_process_logs_each_alert_with_the_case_number_alone(client, login, ctx, caplog):
    assert isinstance(ctx.notifier, LogNotifier)
    with caplog.at_level(logging.INFO, logger="dispatch.notify"):
        case = report(client, login("demo-reporter"),
                      description="停电, 联系张三 13912345678").get_json()
        client.post(f"/api/v1/incidents/{case['id']}/check-in",
                    headers=login(f"officer-{ZHICHENG}"),
                    json={"location": location(*seat())})
    with ctx.engine.connect() as conn:
        users = dict(conn.execute(select(t.users.c.username, t.users.c.id)).all())
    lines = [r.getMessage() for r in caplog.records if r.name == "dispatch.notify"]
    number = case["case_number"]
    assert (f"notice task_offered to user {users[f'officer-{ZHICHENG}']} about case {number}"
            in lines)
    assert f"notice task_offered to user {users['officer-power_supply']} about case {number}" \
        in lines
    assert f"notice arrived to user {users['demo-reporter']} about case {number}" in lines
    for line in lines:
        assert not any(p in line for p in ("停电", "张三", "13912345678", "轵城",
                                           str(seat()[0])[:6])), line
