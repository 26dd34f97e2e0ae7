"""The processes as they are started: the worker and the scheduler build their Context from the
configuration without the web app, wake the web processes through Redis, and hand timers to RQ;
the web app and the commands carry the Context their kind of process needs."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from dispatch.relay import Relay
from dispatch.timers import Timer
from mobile_api.context import of
from server.bootstrap import Process, for_process
from server.channels import QUEUE, WAKE_CHANNEL
from server.realtime import PROCESS_TOKEN

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# What a process that serves no clients must never load: the web app and its parts.
WEB_ONLY = ("flask", "flask_socketio", "socketio", "engineio", "flask_limiter", "mobile_api",
            "server.live", "server.extensions", "server.health", "server.cli")

CHECK_LOADED = f"""
loaded = sorted(m for m in {WEB_ONLY!r} if m in sys.modules)
assert loaded == [], loaded
print("ok", seen)
"""

WORKER = """
import sys
import server.worker as entry

seen = {}


class FakeWorker:  # RQ's loop replaced by one job, run the way RQ runs it
    def __init__(self, queues, connection):
        seen["queues"] = [q.name for q in queues]

    def work(self, **kw):
        from dispatch.storage import migrate
        from server import jobs
        migrate.upgrade(jobs._ctx.engine)
        seen["fired"] = jobs.fire_incident_timers("no-such-incident")
        seen["relay"] = jobs._ctx.relay
        seen["wakes"] = jobs._ctx.publish.__qualname__


entry.SimpleWorker = FakeWorker
entry.main()
assert seen == {"queues": ["timers"], "fired": 0, "relay": None,
                "wakes": "headless_hooks.<locals>.publish"}, seen
""" + CHECK_LOADED

SCHEDULER = """
import sys
import server.scheduler as entry

seen = {}


def one_sweep(ctx, interval, stop, lease):  # the loop replaced by one round
    from dispatch.storage import migrate
    from server.realtime import sweep
    migrate.upgrade(ctx.engine)
    sweep(ctx)
    seen.update(interval=interval, relay=ctx.relay, wakes=ctx.publish.__qualname__,
                lease=lease())  # the embedded SQLite: one process, the lease always held


entry.sweep_forever = one_sweep
entry.main()
assert seen == {"interval": 0.5, "relay": None,
                "wakes": "headless_hooks.<locals>.publish", "lease": True}, seen
""" + CHECK_LOADED


def _run(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DISPATCH_") and k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(ROOT), REDIS_URL=REDIS_URL, DISPATCH_SWEEP_SECONDS="0.5",
               DISPATCH_INSTANCE_PATH=str(tmp_path))  # the embedded SQLite file, of its own
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("script", [WORKER, SCHEDULER], ids=["worker", "scheduler"])
def test_the_worker_and_the_scheduler_run_without_building_the_web_app(tmp_path, script):
    out = _run(script, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("ok"), out.stdout


@pytest.fixture
def worker_ctx(tmp_path):  # type: ignore[no-untyped-def]
    _, ctx = for_process(Process.WORKER, {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": None,
                                          "REDIS_URL": REDIS_URL})
    yield ctx
    ctx.engine.dispose()


def test_a_process_without_clients_wakes_the_web_processes_after_a_commit(worker_ctx):
    listener = redis.Redis.from_url(REDIS_URL).pubsub()
    listener.subscribe(WAKE_CHANNEL)
    try:
        assert listener.get_message(timeout=5)["type"] == "subscribe"
        worker_ctx.publish([])
        heard = []
        deadline = time.monotonic() + 5
        while PROCESS_TOKEN not in heard and time.monotonic() < deadline:
            message = listener.get_message(timeout=1)
            if message and message["type"] == "message":
                heard.append(message["data"])
        assert PROCESS_TOKEN in heard  # the note web processes answer with a flush of the log
    finally:
        listener.close()


def test_a_process_without_clients_hands_new_timers_to_rq(worker_ctx):
    due = datetime(2100, 1, 1, tzinfo=UTC)
    incident_id = f"composition-{uuid.uuid4().hex}"
    timer = Timer(incident_id=incident_id, unit_code="u", kind="overdue", milestone="arrival",
                  deadline=due, due_at=due)
    connection = redis.Redis.from_url(REDIS_URL)
    job_id = f"timers-{incident_id}-{int(due.timestamp() * 1000)}"
    try:
        worker_ctx.schedule([timer])  # at once: no request to keep waiting here
        assert job_id in ScheduledJobRegistry(queue=Queue(QUEUE, connection=connection))
        assert Job.fetch(job_id, connection=connection).args == (incident_id,)
    finally:
        ScheduledJobRegistry(queue=Queue(QUEUE, connection=connection)).remove(
            job_id, delete_job=True)


def test_the_web_apps_context_is_finished_and_frozen(app, ctx):
    assert of(app) is ctx
    assert isinstance(ctx.relay, Relay)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.publish = lambda events: None


def test_the_commands_run_on_an_app_of_their_own(tmp_path):
    from server.cli import create_cli_app
    app = create_cli_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": None,
                          "REDIS_URL": None})
    try:
        assert of(app).relay is None and of(app).password_hasher is not None
        assert [r.rule for r in app.url_map.iter_rules()] == []  # it serves nothing
        runner = app.test_cli_runner()
        assert runner.invoke(args=["upgrade-db"]).exit_code == 0
        out = runner.invoke(args=["list-boundaries"])
        assert out.exit_code == 0 and out.output == ""
    finally:
        of(app).engine.dispose()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISPATCH_INSTANCE_PATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for command in ("upgrade-db", "seed-demo", "create-user", "deactivate-user", "shell"):
        assert command in out.stdout


@pytest.mark.parametrize(("entry", "variable", "value"), [
    ("server.scheduler", "DISPATCH_SWEEP_SECONDS", "every second"),
    ("server.worker", "DISPATCH_DEADLINES", '{"default": {"arrival": "soon"}}'),
    ("server.serve", "DISPATCH_ADMISSION_LIMIT", "ten"),  # `make run`
    ("server", "DISPATCH_SEED_DEMO", "maybe"),  # the commands: Flask's traceback ends with it
])
def test_a_process_with_a_bad_setting_stops_at_start_naming_the_variable(tmp_path, entry,
                                                                         variable, value):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISPATCH_INSTANCE_PATH": str(tmp_path),
           "REDIS_URL": REDIS_URL, variable: value}
    args = [sys.executable, "-m", entry] + (["list-boundaries"] if entry == "server" else [])
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert f"environment variable {variable}" in out.stderr, out.stderr
    if entry != "server":
        assert out.stderr.startswith(f"configuration: environment variable {variable}")
    assert not (tmp_path / "dispatch.sqlite3").exists()  # stopped before the database


def test_a_batch_of_timers_is_handed_to_rq_in_one_round_trip(worker_ctx, monkeypatch):
    """A drain's batch schedules the next job of up to a hundred incidents: one pipeline."""
    due = datetime(2100, 1, 1, tzinfo=UTC)
    ids = [f"composition-{uuid.uuid4().hex}" for _ in range(50)]
    timers = [Timer(incident_id=i, unit_code="u", kind="overdue", milestone="arrival",
                    deadline=due, due_at=due + timedelta(seconds=n)) for n, i in enumerate(ids)]
    job_ids = [f"timers-{t.incident_id}-{int(t.due_at.timestamp() * 1000)}" for t in timers]
    connection = redis.Redis.from_url(REDIS_URL)
    sent: list[int] = []
    execute = redis.client.Pipeline.execute

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(len(self.command_stack))
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counted)
    registry = ScheduledJobRegistry(queue=Queue(QUEUE, connection=connection))
    try:
        worker_ctx.schedule(timers)
        assert len(sent) == 1 and sent[0] >= 50
        assert all(job_id in registry for job_id in job_ids)
    finally:
        for job_id in job_ids:
            registry.remove(job_id, delete_job=True)
