"""Configuration: one typed object, `Config`, read once at start: its defaults, then the
environment, then the caller's overrides (the tests').

Each setting is a field below, with its type, its default and its meaning, written once: the
README's table is printed from these fields (`python scripts/config_table.py`; a unit test fails
when the two differ). A setting that feeds the domain's `Settings` takes its default from there,
so that the rule's numbers are written in the domain alone. The environment names a setting
`DISPATCH_<FIELD>` (`DATABASE_URL`, `REDIS_URL` and `PORT` as they are); a value that does not
parse stops the process at start with a `ConfigError` naming the variable.

Over 400 lines: one field per setting with its meaning beside it, the one table the README prints;
split, it would be two places to look for a setting.
"""

from __future__ import annotations

import copy
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo
from pydantic_settings import (BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource,
                               SettingsConfigDict, SettingsError)

from dispatch.case_numbers import check_prefix
from dispatch.clock import Policies
from dispatch.settings import GREEN_CHANNEL_DEADLINES, Settings

if TYPE_CHECKING:
    from flask import Flask

PREFIX = "DISPATCH_"
_RULE = Settings()  # the domain's defaults, read by the fields that feed it
_TIME_SCALED = ("every deadline and warning (the green channel's too), the offer timeout, the "
                "on-duty window and the supervision cycle's waits (feedback, complaint reply, "
                "longest extension) are divided by it (60: arrival due in 30 s), and the speed "
                "limit of fixes is multiplied by it; device times, tokens, retention and the "
                "assessment's longest period stay real. At least 1; "
                "the processes log a warning when it is not 1. Never in production")


def _setting(default: Any, meaning: str, shown: str | None = None, **more: Any) -> Any:
    """A field: its default, what it means (the README's words) and, where the default is
    unset or empty, what that means (`shown`, the README's default column)."""
    extra: JsonDict | None = {"shown": shown} if shown else None
    if isinstance(default, dict):
        return Field(default_factory=lambda: copy.deepcopy(default), description=meaning,
                     json_schema_extra=extra, **more)
    return Field(default, description=meaning, json_schema_extra=extra, **more)


class ConfigError(ValueError):
    """A setting that cannot be used; the message names its variable."""


class Config(BaseSettings):
    """The process's configuration. Read it with `load()`; in a web process, `of(app)` or
    `current()`. Frozen: a process's configuration does not change while it runs."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, case_sensitive=True,
                                      env_ignore_empty=True, frozen=True, extra="forbid")
    # Set by the caller only (tests, benchmarks), never from the environment.
    NOT_FROM_ENVIRONMENT: ClassVar[tuple[str, ...]] = ("TESTING", "CLOCK")

    DATABASE_URL: str | None = _setting(
        None, "`postgresql://…` for PostGIS (the extension is created by `upgrade-db`)",
        "SQLite in `instance/`", validation_alias="DATABASE_URL")
    REDIS_URL: str | None = _setting(
        None, "Redis: Socket.IO message queue, wake-ups, RQ (checked by `/readyz`); reports are "
        "still accepted while it is down", "unset (one process)", validation_alias="REDIS_URL")
    PORT: int = _setting(5000, "port of `make run`; the port `docker compose` publishes the "
                         "load balancer on", validation_alias="PORT")
    HOST: str = _setting("127.0.0.1", "address `make run` listens on")
    SECRET_KEY: str | None = _setting(None, "signs tokens; required with `DATABASE_URL`",
                                      "generated into `instance/`")
    TOKEN_TTL_SECONDS: int = _setting(int(_RULE.token_ttl.total_seconds()),
                                      "lifetime of a bearer token (the phones'), in seconds")
    CHECKIN_RADIUS_M: float = _setting(_RULE.checkin_radius_m, "check-in radius around the site")
    CHECKIN_ACCURACY_CAP_M: float = _setting(
        _RULE.checkin_accuracy_cap_m, "at most this much of a fix's accuracy is added to the "
        "radius")
    DEADLINES: dict[str, dict[str, float]] = _setting(
        {}, "JSON, seconds: `{\"default\": {\"arrival\": 1800}, \"water_cut\": {\"restore\": "
        "7200}}` (keys `arrival`, `restore`, `resolve` and `*_warning`); unset: the rule's own")
    TIME_SCALE: float = _setting(
        1.0, "the rule's clocks run this many times faster, for a simulated day (`python -m "
        "server simulate`): " + _TIME_SCALED)
    PHOTO_DIR: Path | None = _setting(None, "where photos are kept", "`instance/photos`")
    PHOTO_MAX_BYTES: int = _setting(_RULE.photo_max_bytes, "the largest photo, in bytes")
    PHOTO_MAX_COUNT: int = _setting(_RULE.photo_max_count, "photos in one report")
    PHOTO_MAX_PIXELS: int = _setting(_RULE.photo_max_pixels,
                                     "width × height a photo's header may claim")
    GREEN_CHANNEL_LEAD: str = _setting(_RULE.green_channel_lead,
                                       "lead department of green-channel sites by default")
    GREEN_CHANNEL_DEADLINES: dict[str, dict[str, float]] = _setting(
        GREEN_CHANNEL_DEADLINES, "green-channel cases' clocks, as `DISPATCH_DEADLINES`")
    FEEDBACK_WAIT: float = _setting(
        _RULE.feedback_wait.total_seconds(), "seconds the reporter has to answer the follow-up "
        "before the case closes as `no_feedback`")
    MAX_EXTENSION: float = _setting(
        _RULE.max_extension.total_seconds(), "seconds an extension may reach past the round's "
        "original resolve deadline")
    COMPLAINT_REPLY: float = _setting(_RULE.complaint_reply.total_seconds(),
                                      "seconds command has to answer a complaint")
    STATS_MIN_CASES: int = _setting(
        _RULE.stats_min_cases, "the assessment ranks a unit with at least this many cases "
        "(fewer: its rates are marked `too_few_cases`)")
    STATS_MAX_DAYS: int = _setting(_RULE.stats_max_span.days,
                                   "the longest period of one assessment request, in days")
    OPEN311_REPLAY_SECONDS: float = _setting(
        _RULE.open311_replay_window.total_seconds(), "an Open311 POST repeating an earlier one's "
        "fields from the same account this soon is answered as its retry (0: off; an "
        "`Idempotency-Key` works regardless)")
    SEED_DEMO: bool = _setting(False, "seed the demo into an empty database (always on for the "
                               "embedded default)")
    INSTANCE_PATH: Path | None = _setting(None, "the embedded default's folder (the secret, the "
                                          "SQLite file, the photos)", "`instance/`")
    SWEEP_SECONDS: float = _setting(1.0, "how often timers are swept and each web process tails "
                                    "the log")
    OFFER_TIMEOUT_SECONDS: float = _setting(
        _RULE.offer_timeout.total_seconds(), "an offer nobody of the unit accepted is repeated, "
        "and the dispatcher told, after this")
    TRAVEL_SPEED_KMH: float = _setting(
        _RULE.travel_speed_kmh, "command's rough time to the site: the straight line from an "
        "officer's latest fix at this speed (said so on the page)", gt=0)
    TRAIL_MINUTES: int = _setting(_RULE.trail_minutes, "the officers' trails on the command map: "
                                  "the last this many minutes (at most 1440)", ge=1, le=1440)
    ON_DUTY_MINUTES: float = _setting(_RULE.on_duty_window / timedelta(minutes=1),
                                      "an officer with a fix this recent is on duty and ranked "
                                      "in offers")
    POSITION_RETENTION_DAYS: int = _setting(
        _RULE.position_retention_days, "history of officers' positions kept (the latest is "
        "always kept)")
    DEVICE_TIME_AHEAD_SECONDS: float = _setting(
        _RULE.device_time.ahead.total_seconds(), "a fix's or check-in's `recorded_at` further "
        "ahead of the server's clock is refused")
    POSITION_MAX_AGE_SECONDS: float = _setting(
        _RULE.device_time.max_age.total_seconds(), "a `recorded_at` older than this is refused; "
        "a batch with one such fix is refused whole")
    SENT_LATE_SECONDS: float = _setting(
        _RULE.offline.sent_late_after.total_seconds(), "a check-in, restore or resolve reaching "
        "the server more than this after its `recorded_at` is marked `sent_late`", ge=0)
    OFFLINE_ARRIVAL_WINDOW_SECONDS: float = _setting(
        _RULE.offline.arrival_window.total_seconds(), "an offline check-in's arrival counts at "
        "its `recorded_at` only this long before its upload, and only if the officer's stored "
        "positions agree (see *Offline actions and device times*)", ge=0)
    POSITION_HISTORY_WINDOW_SECONDS: float = _setting(
        _RULE.offline.history_window.total_seconds(), "the stored position that vouches for an "
        "offline check-in's `recorded_at` lies at most this far from it in time", ge=0)
    MAX_SPEED_KMH: float = _setting(
        _RULE.offline.max_speed_kmh, "a position or check-in implying more than this speed "
        "from the officer's previous position is flagged; a flagged check-in is refused", gt=0)
    CASE_NUMBER_PREFIX: str = _setting(
        _RULE.case_number_prefix, "the case numbers' prefix (`JY311-20261207-0042`): 1-12 "
        "upper-case letters and digits, starting with a letter")
    ASYNC_MODE: str = _setting("gevent", "Socket.IO's async mode (worker and scheduler use "
                               "`threading`)")
    CORS_ORIGINS: str = _setting(
        "", "origins besides the server's own, separated by commas or spaces (`*` for any), "
        "allowed to call `/api/v1` (preflight included; headers `Authorization`, "
        "`Content-Type`, `Idempotency-Key`; no cookies) and to open a Socket.IO connection",
        "none (same origin only)")
    MAX_URL_BYTES: int = _setting(
        2048, "longest path and query in bytes as sent; longer is a 414 problem naming `url` "
        "(256 to 8000: beyond 8 KiB the server itself answers a bare 414)")
    JSON_MAX_BYTES: int = _setting(64 * 1024, "largest JSON body (413 beyond); positions and "
                                   "sign-in have their own")
    POSITIONS_MAX_BYTES: int = _setting(256 * 1024, "largest batch of positions (413 beyond)")
    SIGN_IN_MAX_BYTES: int = _setting(4 * 1024, "largest sign-in body (413 beyond)")
    PASSWORD_HASH_METHOD: str = _setting(
        "argon2id", "or `argon2id:TIME:MEMORY_KIB:LANES`, or a werkzeug method such as `scrypt` "
        "(the suite uses `pbkdf2:sha256:1000`)")
    PASSWORD_HASH_THREADS: int = _setting(2, "hashes at once per web process, off its event loop")
    SIGNIN_LIMIT_ENABLED: bool = _setting(True, "switch the sign-in limits off (tests, "
                                          "benchmarks)")
    SIGNIN_LIMIT_PER_USER: str = _setting(
        "10/minute", "failed sign-ins per username (limits notation, e.g. `5/minute;50/day`)")
    SIGNIN_LIMIT_PER_ADDRESS: str = _setting("60/minute", "failed sign-ins per client address")
    SIGNIN_REFUSAL_DELAY_SECONDS: float = _setting(1.0, "a 429 is answered after this pause")
    TRUSTED_PROXY_HOPS: int = _setting(0, "proxies in front whose `X-Forwarded-For` is believed "
                                       "(1 behind one load balancer)")
    SOCKET_RECHECK_SECONDS: float = _setting(30.0, "how often idle sockets of disabled, revoked "
                                             "or expired users are closed")
    COMPRESS_MIN_BYTES: int = _setting(1024, "answers smaller than this are never compressed "
                                       "(see *Compression*)")
    COMMAND_TOKEN_TTL_SECONDS: int = _setting(600, "lifetime of the bearer tokens the command "
                                              "center's pages get from their session")
    PHONE_SW_KILL: bool = _setting(False, "the phone apps' kill switch: their service worker "
                                   "url answers a worker that unregisters itself and empties "
                                   "their caches, and the pages register none")
    PHONE_RELEASE: str = _setting("", "a deploy's name, mixed into the phone apps' shell "
                                  "version (the files' hash changes it anyway)", "none")
    SESSION_COOKIE_SECURE: bool = _setting(False, "always mark the pages' session cookie "
                                           "`Secure` (it is anyway when the request came over TLS)")
    TILE_PROVIDER: Literal["", "tianditu", "amap", "tencent"] = _setting(
        "", "the command map's base map, one setting: `tianditu` (天地图, CGCS2000 ≈ WGS-84, "
        "needs `TILE_KEY`), `amap` (高德) or `tencent` (腾讯), both GCJ-02 (the overlays are "
        "shifted); each with its attribution, its hosts alone allowed by the pages' CSP "
        "(see *The command center*)", "none: `TILE_URL`, else no tiles (the demo)")
    TILE_KEY: str = _setting("", "the provider's key (天地图's `tk`, from its console)", "none")
    TILE_ATTRIBUTION: str = _setting("", "shown on the map after the provider's credit: the map "
                                     "review number (审图号) its terms ask for; with `TILE_URL`, "
                                     "the whole attribution", "none")
    TILE_URL: str = _setting("", "any other tile layer under the command map, "
                             "`…/{z}/{x}/{y}.png` (allowed by the pages' CSP); not with "
                             "`TILE_PROVIDER`", "none")
    TILE_DATUM: str = _setting("wgs84", "the datum `TILE_URL`'s tiles are drawn in: `wgs84`, or "
                               "`gcj02`: overlays are shifted to match")
    USER_CACHE_SECONDS: float = _setting(
        5.0, "a REST request reuses its token's user read this recently; the bound within which "
        "a revocation made in another process is refused (0: read every time)")
    ADMISSION_LIMIT: int = _setting(10, "requests using the database at once per web process (0: "
                                    "no limit); keep it at most the pool's 10 connections")
    ADMISSION_QUEUE: int = _setting(
        50, "requests that may wait for a slot; past them a request is refused at once, 503 "
        "with `Retry-After: 1`. With the 10 slots, 60 concurrent reporters are served in turn; "
        "the wait of an admitted request is about (limit + queue) / throughput, so a smaller "
        "queue trades refusals for latency")
    ADMISSION_WAIT_SECONDS: float = _setting(5.0, "the longest wait in that queue before the "
                                             "same 503")
    LOG_FORMAT: Literal["auto", "json", "text"] = _setting(
        "auto", "`json`: one JSON object per line (time, level, logger, message, request_id and "
        "ids); `text`: plain lines; `auto`: JSON in gunicorn's web processes, the worker and the "
        "scheduler, text in `make run` and the commands")
    LOG_LEVEL: str = _setting("INFO", "the root logger's level (`DEBUG`, `INFO`, `WARNING`...)")
    METRICS_TOKEN: str | None = _setting(
        None, "`/metrics` is then served to `Authorization: Bearer <token>` only, from any "
        "address; unset, to loopback and private addresses only (the client address behind "
        "`DISPATCH_TRUSTED_PROXY_HOPS` proxies)", "unset (internal network only)")
    METRICS_CACHE_SECONDS: float = _setting(
        5.0, "the figures `/metrics` reads from the database and Redis at a scrape (open cases, "
        "timer backlog, the log's last seq, the job queue) are reused this long (0: read at "
        "every scrape)")
    OPS_PORT: int = _setting(
        0, "the worker's and the scheduler's own HTTP port for `/metrics`, `/healthz` and "
        "`/readyz` (the scheduler's readiness includes its last sweep); 0: none", "0 (off)")
    OPS_HOST: str = _setting("127.0.0.1", "the address that port listens on (`0.0.0.0` in a "
                             "container)")
    TESTING: bool = _setting(False, "Flask's testing mode (the suite's apps)")
    CLOCK: Callable[[], datetime] | None = _setting(
        None, "the tests' clock: a callable returning an aware UTC datetime")

    @field_validator("CASE_NUMBER_PREFIX")
    @classmethod
    def _readable_prefix(cls, value: str) -> str:
        return check_prefix(value)

    @field_validator("DEADLINES", "GREEN_CHANNEL_DEADLINES")
    @classmethod
    def _known_milestones(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        Policies.from_seconds(value)  # an unknown key is refused here, at start
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   *others: PydanticBaseSettingsSource, **more: Any
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """`Config(...)` takes its arguments and nothing else: `load()` reads the environment,
        the one it is handed."""
        return (init_settings,)


def env_name(field: str) -> str:
    """The environment variable of a field: `DISPATCH_<FIELD>`, or its own name."""
    alias = Config.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else PREFIX + field


def from_environment() -> dict[str, FieldInfo]:
    """The fields read from the environment, in the README's order."""
    return {name: info for name, info in Config.model_fields.items()
            if name not in Config.NOT_FROM_ENVIRONMENT}


class _Environment(EnvSettingsSource):
    """The environment handed to `load()`: the process's, or a test's mapping."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(Config)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k: v for k, v in self._given.items() if v != ""}

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError as exc:
            raise ConfigError(f"environment variable {env_name(field_name)}: not JSON ({exc})"
                              ) from None


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] = os.environ
         ) -> Config:
    """The defaults, then `environ`, then `overrides` (keyed by field: `{"TESTING": True}`)."""
    given = dict(overrides or {})
    try:
        found = {k: v for k, v in _Environment(environ)().items()
                 if k not in Config.NOT_FROM_ENVIRONMENT}
    except SettingsError as exc:  # pydantic-settings wraps ours (it names the variable)
        raise (exc.__cause__ if isinstance(exc.__cause__, ConfigError) else
               ConfigError(str(exc))) from None
    try:
        return Config(**{**found, **given})
    except ValidationError as exc:
        raise ConfigError("; ".join(_why(error, given) for error in exc.errors())) from None


def _why(error: Any, given: Mapping[str, Any]) -> str:
    field, *inside = [str(part) for part in error["loc"]] or [""]
    if field not in Config.model_fields:
        return f"{field}: no such setting" if field else str(error["msg"])
    where = f"setting {field}" if field in given else f"environment variable {env_name(field)}"
    at = f" (at {'.'.join(inside)})" if inside else ""
    return f"{where}{at}: {error['msg']}"


# -- the web app's copy ---------------------------------------------------------------------------
KEY = "server_config"  # of `app.extensions`


def install(app: Flask, cfg: Config) -> None:
    app.extensions[KEY] = cfg


def of(app: Flask) -> Config:
    cfg = app.extensions.get(KEY)
    if not isinstance(cfg, Config):
        raise RuntimeError("this app has no configuration: build it with server.create_app()")
    return cfg


def current() -> Config:
    """The configuration of the app handling this request (or command)."""
    from flask import current_app
    return of(current_app)


# -- the instance folder and the secret ---------------------------------------------------------
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


def instance_path(cfg: Config, default: str | Path | None = None) -> Path:
    """The instance folder holds the secret, the embedded database and by default the photos:
    created private to the server's user."""
    path = Path(cfg.INSTANCE_PATH or default or default_instance_path())
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def secret_key(cfg: Config, instance: Path) -> str:
    """Several processes must share one key, so production sets it; the embedded default keeps
    a generated one in the instance folder so tokens survive a restart."""
    if cfg.SECRET_KEY:
        return cfg.SECRET_KEY
    if cfg.DATABASE_URL and not cfg.TESTING:
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
