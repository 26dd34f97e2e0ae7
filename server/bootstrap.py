"""Wires the use cases' dependencies from configuration: one function for web, worker and tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from dispatch.clock import Policies, utc_now
from dispatch.context import Context
from dispatch.device_time import DeviceTimeWindow
from dispatch.settings import Settings
from dispatch.storage.database import make_engine, make_session_factory
from dispatch.storage.uow import SqlUnitOfWork
from server import passwords


def database_url(cfg: Mapping[str, Any], instance: Path) -> str:
    return cfg["DATABASE_URL"] or f"sqlite:///{(instance / 'dispatch.sqlite3').resolve()}"


def bootstrap(cfg: Mapping[str, Any], instance: Path) -> Context:
    engine = make_engine(database_url(cfg, instance))
    sessions = make_session_factory(engine)
    settings = Settings(
        policies=Policies.from_seconds(cfg["DEADLINES"]),
        checkin_radius_m=float(cfg["CHECKIN_RADIUS_M"]),
        checkin_accuracy_cap_m=float(cfg["CHECKIN_ACCURACY_CAP_M"]),
        photo_dir=Path(cfg["PHOTO_DIR"] or instance / "photos"),
        photo_max_bytes=int(cfg["PHOTO_MAX_BYTES"]),
        photo_max_count=int(cfg["PHOTO_MAX_COUNT"]),
        photo_max_pixels=int(cfg["PHOTO_MAX_PIXELS"]),
        green_channel_lead=str(cfg["GREEN_CHANNEL_LEAD"]),
        offer_timeout=timedelta(seconds=float(cfg["OFFER_TIMEOUT_SECONDS"])),
        on_duty_window=timedelta(minutes=float(cfg["ON_DUTY_MINUTES"])),
        position_retention_days=int(cfg["POSITION_RETENTION_DAYS"]),
        device_time=DeviceTimeWindow(
            ahead=timedelta(seconds=float(cfg["DEVICE_TIME_AHEAD_SECONDS"])),
            max_age=timedelta(seconds=float(cfg["POSITION_MAX_AGE_SECONDS"]))),
    )
    hasher, verifier = passwords.make(str(cfg["PASSWORD_HASH_METHOD"]),
                                      int(cfg["PASSWORD_HASH_THREADS"]))
    return Context(
        uow=partial(SqlUnitOfWork, sessions),
        read=partial(SqlUnitOfWork, make_session_factory(engine, read_only=True)),
        clock=cfg["CLOCK"] or utc_now,
        settings=settings,
        password_hasher=hasher,
        password_verifier=verifier,
        engine=engine,
    )
