"""One composition root: `bootstrap()` builds each kind of process's Context whole, the Context
never changes afterwards, and every part of the server reaches it through one typed accessor."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from dispatch.context import Context, no_position, no_publish, no_schedule
from dispatch.relay import Relay
from mobile_api.context import dispatch_context, install, of
from server import config as cfgmod
from server.bootstrap import Process, bootstrap
from server.channels import NAMESPACE

ROOT = Path(__file__).resolve().parents[2]
HEADLESS = (Process.WORKER, Process.SCHEDULER, Process.CLI)


class FakeSocketIO:
    """What the web hooks use of Flask-SocketIO, recorded."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, dict[str, Any]]] = []
        self.slept = 0
        self.tasks: list[tuple[Any, tuple[Any, ...]]] = []

    def emit(self, name: str, data: Any, **kw: Any) -> None:
        self.emitted.append((name, data, kw))

    def sleep(self, seconds: float) -> None:
        self.slept += 1

    def start_background_task(self, fn: Any, *args: Any) -> None:
        self.tasks.append((fn, args))


@pytest.fixture
def build(tmp_path):  # type: ignore[no-untyped-def]
    """bootstrap() on a SQLite file of its own; the engines are disposed of afterwards."""
    made: list[Context] = []

    def build(process: Process, socketio: Any = None, **overrides: Any) -> Context:
        cfg = cfgmod.load({"INSTANCE_PATH": str(tmp_path), "PASSWORD_HASH_METHOD":
                           "pbkdf2:sha256:1000", **overrides}, environ={})
        ctx = bootstrap(cfg, tmp_path, process, socketio)
        made.append(ctx)
        return ctx
    yield build
    for ctx in made:
        ctx.engine.dispose()


# -- frozen --------------------------------------------------------------------------------------

def test_no_member_of_a_context_can_be_replaced_after_it_is_built():
    ctx = Context(uow=lambda: None)
    for f in dataclasses.fields(Context):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(ctx, f.name, getattr(ctx, f.name))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.publish = lambda events: None  # type: ignore[misc]


@pytest.mark.parametrize("process", list(Process))
def test_every_kind_of_process_gets_a_frozen_context(build, process):
    ctx = build(process, FakeSocketIO() if process is Process.WEB else None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.relay = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.schedule = no_schedule  # type: ignore[misc]


# -- what each kind gets ---------------------------------------------------------------------------

def test_a_web_process_gets_its_relay_and_pushes_through_its_socketio(build):
    sio = FakeSocketIO()
    ctx = build(Process.WEB, sio)
    assert isinstance(ctx.relay, Relay)
    assert ctx.password_hasher is not None and ctx.password_verifier is not None
    ctx.publish([])  # the relay has not started: nothing to its clients, but the loop yields
    assert sio.slept == 1 and sio.emitted == []
    fix = {"officer_id": "o-1", "lat": 35.1, "lon": 112.6}
    ctx.push_position(SimpleNamespace(id="o-1"), fix)  # type: ignore[arg-type]
    assert sio.emitted == [("officer.position", fix, {"to": "command", "namespace": NAMESPACE})]


def test_a_web_process_hands_timers_to_rq_off_the_request_where_redis_is_set(build):
    sio = FakeSocketIO()
    without = build(Process.WEB, sio)
    assert without.schedule is no_schedule
    with_redis = build(Process.WEB, sio, REDIS_URL="redis://127.0.0.1:1/0")  # never connected
    with_redis.schedule([])
    assert len(sio.tasks) == 1  # a background task, not a call on the request's path


def test_a_web_process_cannot_be_built_without_its_socketio(build):
    with pytest.raises(ValueError, match="Socket.IO"):
        build(Process.WEB)


@pytest.mark.parametrize("process", HEADLESS)
def test_a_process_without_clients_has_no_relay_and_without_redis_publishes_nothing(build,
                                                                                     process):
    ctx = build(process)
    assert ctx.relay is None
    assert (ctx.publish, ctx.schedule, ctx.push_position) == (no_publish, no_schedule,
                                                              no_position)
    assert (ctx.password_hasher is not None) == (process is Process.CLI)


@pytest.mark.parametrize("process", HEADLESS)
def test_a_process_without_clients_wakes_the_web_processes_where_redis_is_set(build, process):
    ctx = build(process, REDIS_URL="redis://127.0.0.1:1/0")  # never connected here
    assert ctx.relay is None
    assert ctx.publish is not no_publish and ctx.schedule is not no_schedule
    assert ctx.push_position is no_position


def test_bootstrap_reads_the_settings_of_its_configuration(build):
    ctx = build(Process.WORKER, CHECKIN_RADIUS_M=150, OFFER_TIMEOUT_SECONDS=60)
    assert ctx.settings.checkin_radius_m == 150.0
    assert ctx.settings.offer_timeout.total_seconds() == 60


# -- the accessor ----------------------------------------------------------------------------------

def test_the_accessor_returns_the_installed_context_and_refuses_a_second_one():
    app = Flask("probe")
    with pytest.raises(RuntimeError, match="no Context"):
        of(app)
    ctx = Context(uow=lambda: None)
    install(app, ctx)
    assert of(app) is ctx
    with app.app_context():
        assert dispatch_context() is ctx
    with pytest.raises(RuntimeError, match="already"):
        install(app, Context(uow=lambda: None))
    assert of(app) is ctx


def test_the_accessor_refuses_what_is_not_a_context():
    app = Flask("probe")
    app.extensions["dispatch"] = object()
    with pytest.raises(RuntimeError):
        of(app)


def test_no_module_looks_the_context_up_by_its_key():
    """Only mobile_api/context.py names the key; everyone else asks the typed accessor."""
    lookup = re.compile(r"extensions\s*(\[|\.get\(|\.setdefault\()")
    offenders = [str(path.relative_to(ROOT))
                 for package in ("server", "pages", "mobile_api")
                 for path in sorted((ROOT / package).rglob("*.py"))
                 if path != ROOT / "mobile_api" / "context.py"
                 and any(lookup.search(line) and "dispatch" in line
                         for line in path.read_text(encoding="utf-8").splitlines())]
    assert offenders == []


# -- the instance folder, found without Flask ------------------------------------------------------

def test_the_instance_folder_is_flasks_own_without_flask():
    """The worker and the scheduler build no Flask app, yet use the web app's instance folder
    (the embedded database lives there)."""
    flask_path = Flask("server", instance_relative_config=True).instance_path
    assert cfgmod.default_instance_path() == Path(flask_path)
