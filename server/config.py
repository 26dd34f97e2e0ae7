"""Configuration: defaults, then the environment, then the caller's overrides (tests)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,          # unset: a SQLite file under the instance folder
    "REDIS_URL": None,             # unset: everything in one process
    "PORT": 5000,
    "HOST": "127.0.0.1",
    "SECRET_KEY": None,            # unset on the embedded default: generated once and kept
    "TOKEN_TTL_SECONDS": 12 * 3600,
    "CHECKIN_RADIUS_M": 200.0,
    "CHECKIN_ACCURACY_CAP_M": 100.0,
    "PHOTO_DIR": None,             # unset: <instance>/photos
    "PHOTO_MAX_BYTES": 10 * 1024 * 1024,
    "PHOTO_MAX_COUNT": 5,
    "DEADLINES": {},               # {"default"|category: {"arrival": seconds, ...}}
    "GREEN_CHANNEL_LEAD": "development_reform",
    "PASSWORD_HASH_METHOD": "argon2id",  # or argon2id:TIME:MEMORY_KIB:LANES, or werkzeug's
    "PASSWORD_HASH_THREADS": 2,    # hashes at once per web process, off its event loop
    "SIGNIN_LIMIT_ENABLED": True,
    "SIGNIN_LIMIT_PER_USER": "10/minute",     # failed sign-ins per username
    "SIGNIN_LIMIT_PER_ADDRESS": "60/minute",  # failed sign-ins per client address
    "SIGNIN_REFUSAL_DELAY_SECONDS": 1.0,  # a 429 is answered after this pause
    "TRUSTED_PROXY_HOPS": 0,       # proxies in front whose X-Forwarded-For is believed
    "SEED_DEMO": False,            # seed the demo when the database has no users
    "INSTANCE_PATH": None,
    "CLOCK": None,                 # tests inject a callable returning an aware UTC datetime
    "ASYNC_MODE": "gevent",        # Socket.IO's server: gevent measured best here
    "CORS_ORIGINS": "",            # Socket.IO origins allowed besides the server's own
    "SWEEP_SECONDS": 1.0,          # how often timers and the outbox are reconciled
    "OFFER_TIMEOUT_SECONDS": 300.0,
    "ON_DUTY_MINUTES": 30.0,
    "POSITION_RETENTION_DAYS": 30,  # the history of officers' positions; the latest is kept
}

PLAIN_ENV = ("DATABASE_URL", "REDIS_URL", "PORT")


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, dict):
        return json.loads(raw)
    return raw


def load(overrides: Mapping[str, Any] | None, environ: Mapping[str, str] = os.environ
         ) -> dict[str, Any]:
    cfg = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        name = key if key in PLAIN_ENV else f"DISPATCH_{key}"
        if environ.get(name) not in (None, ""):
            try:
                cfg[key] = _coerce(default, environ[name])
            except ValueError as exc:
                raise ValueError(f"environment variable {name}: {exc}") from None
    cfg.update(overrides or {})
    return cfg


def instance_path(cfg: Mapping[str, Any], default: str) -> Path:
    path = Path(cfg["INSTANCE_PATH"] or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(cfg: Mapping[str, Any], instance: Path) -> str:
    """Several processes must share one key, so production sets it; the embedded default keeps
    a generated one in the instance folder so tokens survive a restart."""
    if cfg["SECRET_KEY"]:
        return str(cfg["SECRET_KEY"])
    if cfg["DATABASE_URL"] and not cfg.get("TESTING"):
        raise RuntimeError("DISPATCH_SECRET_KEY must be set when DATABASE_URL is set")
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
