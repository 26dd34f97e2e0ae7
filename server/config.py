"""Configuration: defaults, then the environment, then the caller's overrides (tests)."""

from __future__ import annotations

import json
import os
import secrets
import sys
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
    "TIME_SCALE": 1.0,             # the rule's clocks run this many times faster (simulate)
    "GREEN_CHANNEL_LEAD": "development_reform",
    # Green-channel cases' clocks, like DEADLINES (seconds; the default is 20 min to arrive).
    "GREEN_CHANNEL_DEADLINES": {"default": {"arrival": 1200}},
    "FEEDBACK_WAIT": 3 * 86400.0,      # seconds the reporter has to answer the follow-up
    "MAX_EXTENSION": 30 * 86400.0,     # seconds an extension may reach past the original deadline
    "COMPLAINT_REPLY": 86400.0,        # seconds command has to answer a complaint
    "STATS_MIN_CASES": 5,              # fewer cases: a unit's rates are marked too_few_cases
    "STATS_MAX_DAYS": 366,             # the longest period of one assessment request
    "OPEN311_REPLAY_SECONDS": 600.0,   # an Open311 POST's exact repeat this soon is a retry
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
    "CORS_ORIGINS": "",            # origins besides the server's own (REST and Socket.IO)
    "MAX_URL_BYTES": 2048,         # longest request target (path and query): longer is 414
    "SOCKET_RECHECK_SECONDS": 30.0,  # idle sockets of disabled or revoked users are closed
    "SWEEP_SECONDS": 1.0,          # how often timers and the outbox are reconciled
    "OFFER_TIMEOUT_SECONDS": 300.0,
    "ON_DUTY_MINUTES": 30.0,
    "POSITION_RETENTION_DAYS": 30,  # the history of officers' positions; the latest is kept
    "DEVICE_TIME_AHEAD_SECONDS": 300.0,   # a device time further ahead of ours is refused
    "POSITION_MAX_AGE_SECONDS": 86400.0,  # a fix older than this is refused
    "PHOTO_MAX_PIXELS": 40_000_000,       # width x height of a photo, read from its header
    "JSON_MAX_BYTES": 64 * 1024,          # a JSON request body (positions and sign-in: below)
    "POSITIONS_MAX_BYTES": 256 * 1024,    # a batch of positions
    "SIGN_IN_MAX_BYTES": 4 * 1024,        # a sign-in request
    "COMPRESS_MIN_BYTES": 1024,           # smaller answers are sent as they are
    "SESSION_COOKIE_SECURE": False,  # the pages' cookie; Secure anyway over TLS (see command/)
    "COMMAND_TOKEN_TTL_SECONDS": 600,  # the pages' bearer tokens, renewed from their session
    "TILE_URL": "",                # tiles under the command map ({z}/{x}/{y}); none by default
    "TILE_DATUM": "wgs84",         # the datum the tiles are drawn in: wgs84 or gcj02
    "USER_CACHE_SECONDS": 5.0,     # a token's user is reused this long (revocations elsewhere)
    "ADMISSION_LIMIT": 10,         # requests using the database at once per web process (0: off)
    "ADMISSION_QUEUE": 50,         # requests waiting for a slot; past them a 503 at once
    "ADMISSION_WAIT_SECONDS": 5.0,  # the longest wait for a slot before a 503 with Retry-After
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


def default_instance_path() -> Path:
    """Where Flask puts the `server` package's instance folder (`Flask.auto_find_instance_path`),
    found without Flask so that the worker and the scheduler use the same folder as the web
    process: `instance/` beside a checkout, `<prefix>/var/server-instance` when installed."""
    package_path = Path(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    prefix = Path(os.path.abspath(sys.prefix))
    if package_path.is_relative_to(prefix):  # installed to the system
        return prefix / "var" / "server-instance"
    if package_path.name.lower() == "site-packages":  # installed to a virtualenv
        parent = package_path.parent
        if parent.name.lower() == "lib":  # Windows: prefix/lib/site-packages
            return parent.parent / "var" / "server-instance"
        if parent.parent.name.lower() == "lib":  # Unix: prefix/lib/pythonX.Y/site-packages
            return parent.parent.parent / "var" / "server-instance"
        return parent / "var" / "server-instance"  # prefix/site-packages
    return package_path / "instance"  # not installed: a checkout


def instance_path(cfg: Mapping[str, Any], default: str | Path | None = None) -> Path:
    """The instance folder holds the secret, the embedded database and by default the photos:
    created private to the server's user."""
    path = Path(cfg["INSTANCE_PATH"] or default or default_instance_path())
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
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
        _create_private(path, secrets.token_urlsafe(48))
    elif path.stat().st_mode & 0o077:  # written by an older version, readable by others
        path.chmod(0o600)
    return path.read_text().strip()


def _create_private(path: Path, text: str) -> None:
    """Written whole under a temporary name opened 0600, then linked into place: never readable
    by others, never seen half-written, and when two processes race the first link wins and
    both read the same key."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        except OSError:  # a file system without hard links
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
