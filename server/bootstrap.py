"""The composition root: the one place a process's Context is built, whole, from configuration.

Each kind of process gets what it needs and nothing after: `bootstrap()` returns a finished,
frozen Context (nothing attaches hooks to it later).

- WEB (gunicorn's `server.wsgi:create()`, `make run`, the tests' app): a relay pushing to its own
  Socket.IO clients, positions to command, wake-up notes to the other processes, and timers to
  RQ off the request's path where REDIS_URL is set. Needs the Socket.IO server.
- WORKER (`python -m server.worker`), SCHEDULER (`python -m server.scheduler`) and CLI
  (`python -m server <command>`): no clients, so no relay; after a commit they wake the web
  processes and hand new timers to RQ (where REDIS_URL is set). The worker and the scheduler build
  no Flask app: `for_process()` reads the configuration and bootstraps directly.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from dispatch.clock import Policies, utc_now
from dispatch.context import Context
from dispatch.device_time import DeviceTimeWindow
from dispatch.notify import LogNotifier
from dispatch.offline import OfflineRules
from dispatch.settings import Settings
from dispatch.storage.database import make_engine, make_session_factory
from dispatch.storage.uow import SqlUnitOfWork
from server import config as cfgmod
from server.config import Config
from server import metrics, passwords, realtime

log = logging.getLogger(__name__)


class Process(StrEnum):
    WEB = "web"
    WORKER = "worker"
    SCHEDULER = "scheduler"
    CLI = "cli"


def database_url(cfg: Config, instance: Path) -> str:
    return cfg.DATABASE_URL or f"sqlite:///{(instance / 'dispatch.sqlite3').resolve()}"


def settings(cfg: Config, instance: Path) -> Settings:
    base = Settings(
        policies=Policies.from_seconds(cfg.DEADLINES),
        checkin_radius_m=cfg.CHECKIN_RADIUS_M,
        checkin_accuracy_cap_m=cfg.CHECKIN_ACCURACY_CAP_M,
        photo_dir=cfg.PHOTO_DIR or instance / "photos",
        photo_max_bytes=cfg.PHOTO_MAX_BYTES,
        photo_max_count=cfg.PHOTO_MAX_COUNT,
        photo_max_pixels=cfg.PHOTO_MAX_PIXELS,
        green_channel_lead=cfg.GREEN_CHANNEL_LEAD,
        position_retention_days=cfg.POSITION_RETENTION_DAYS,
        token_ttl=timedelta(seconds=cfg.TOKEN_TTL_SECONDS),
        offer_timeout=timedelta(seconds=cfg.OFFER_TIMEOUT_SECONDS),
        on_duty_window=timedelta(minutes=cfg.ON_DUTY_MINUTES),
        travel_speed_kmh=cfg.TRAVEL_SPEED_KMH,
        trail_minutes=cfg.TRAIL_MINUTES,
        device_time=DeviceTimeWindow(
            ahead=timedelta(seconds=cfg.DEVICE_TIME_AHEAD_SECONDS),
            max_age=timedelta(seconds=cfg.POSITION_MAX_AGE_SECONDS)),
        green_channel_policies=Policies.from_seconds(cfg.GREEN_CHANNEL_DEADLINES),
        feedback_wait=timedelta(seconds=cfg.FEEDBACK_WAIT),
        max_extension=timedelta(seconds=cfg.MAX_EXTENSION),
        complaint_reply=timedelta(seconds=cfg.COMPLAINT_REPLY),
        stats_min_cases=cfg.STATS_MIN_CASES,
        stats_max_span=timedelta(days=cfg.STATS_MAX_DAYS),
        open311_replay_window=timedelta(seconds=cfg.OPEN311_REPLAY_SECONDS),
        case_number_prefix=cfg.CASE_NUMBER_PREFIX,
        offline=OfflineRules(
            sent_late_after=timedelta(seconds=cfg.SENT_LATE_SECONDS),
            arrival_window=timedelta(seconds=cfg.OFFLINE_ARRIVAL_WINDOW_SECONDS),
            history_window=timedelta(seconds=cfg.POSITION_HISTORY_WINDOW_SECONDS),
            max_speed_kmh=cfg.MAX_SPEED_KMH),
    )
    scale = cfg.TIME_SCALE
    try:
        scaled = base.time_scaled(scale)
    except ValueError as exc:
        raise ValueError(f"DISPATCH_TIME_SCALE: {exc}") from None
    if scaled is not base:
        log.warning("DISPATCH_TIME_SCALE=%g: every deadline is %g times shorter (a simulation, "
                    "not the 311 rule)", scale, scale)
    return scaled


def bootstrap(cfg: Config, instance: Path, process: Process = Process.CLI,
              socketio: Any = None) -> Context:
    """The finished Context of one kind of process (`socketio`: the web process's server)."""
    engine = make_engine(database_url(cfg, instance))
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    redis_url = cfg.REDIS_URL or None
    rules = settings(cfg, instance)
    if process is Process.WEB:
        if socketio is None:
            raise ValueError("a web process's Context needs its Socket.IO server")
        hooks = realtime.web_hooks(uow, socketio, redis_url, rules)
    else:
        hooks = realtime.headless_hooks(redis_url)
    hasher = verifier = None
    if process in (Process.WEB, Process.CLI):  # the others sign no one in and make no accounts
        hasher, verifier = passwords.make(cfg.PASSWORD_HASH_METHOD, cfg.PASSWORD_HASH_THREADS)
    return Context(
        uow=uow,
        read=partial(SqlUnitOfWork, make_session_factory(engine, read_only=True)),
        clock=cfg.CLOCK or utc_now,
        settings=rules,
        publish=hooks.publish,
        schedule=hooks.schedule,
        push_position=hooks.push_position,
        relay=hooks.relay,
        password_hasher=hasher,
        password_verifier=verifier,
        engine=engine,
        # The seam for SMS, WeCom or an official account (`dispatch.notify`): logs for now.
        notifier=LogNotifier(),
        timers_fired=metrics.timers_fired,
    )


def for_process(process: Process, overrides: Mapping[str, Any] | None = None
                ) -> tuple[Config, Context]:
    """A process that builds no Flask app: its configuration (defaults, the environment,
    `overrides`) and its Context."""
    cfg = cfgmod.load(overrides)
    return cfg, bootstrap(cfg, cfgmod.instance_path(cfg), process)
