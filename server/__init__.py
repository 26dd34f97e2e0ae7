"""The Flask application factory, on top of everything: the web process's composition root.

Importing this package builds nothing (and imports no Flask): the worker and the scheduler run
from it (`python -m server.worker`) without ever building the web app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from pages.settings import PageSettings
    from server.config import Config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The web app: routes, the `/live` namespace and the commands, on a web process's Context."""
    from flask import Flask

    import mobile_api
    import pages
    from mobile_api import jsonio
    from dispatch.storage.orm import on_user_change
    from mobile_api.context import install
    from mobile_api.user_cache import UserCache
    from server import config as cfgmod
    from server import (admission, compression, health, http_policy, intake, live, metrics_web,
                        problems, realtime, request_log, throttle)
    from pages import officer, report
    from server.bootstrap import Process, bootstrap
    from server.phones import phone_settings
    from server.cli import register_cli
    from server.extensions import socketio

    # No static folder of its own: every page serves its files from `pages/`.
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    cfg = cfgmod.load(config)
    instance = cfgmod.instance_path(cfg)
    cfgmod.install(app, cfg)  # read back typed: cfgmod.of(app), cfgmod.current()
    # Flask's own keys (and its extensions'), from ours.
    app.config.update(
        TESTING=cfg.TESTING, SECRET_KEY=cfgmod.secret_key(cfg, instance),
        SESSION_COOKIE_SECURE=cfg.SESSION_COOKIE_SECURE,
        # The largest honest report: every photo at its limit plus the form around them.
        MAX_CONTENT_LENGTH=cfg.PHOTO_MAX_BYTES * cfg.PHOTO_MAX_COUNT + 1_000_000)
    app.json = jsonio.JSONProvider(app)  # UTF-8, depth-limited in, never NaN out
    compression.install(app, cfg)  # first: its hook then runs after every other one

    install(app, bootstrap(cfg, instance, Process.WEB, socketio))
    users = app.extensions["token_users"] = UserCache(cfg.USER_CACHE_SECONDS)
    on_user_change(users.forget)  # a revocation committed here is refused at once
    if cfg.REDIS_URL:  # ... and in the other web processes as soon as they hear of it
        on_user_change(realtime.user_change_publisher(cfg.REDIS_URL))

    problems.register(app)
    request_log.install(app)  # the request's id and its log line (their hooks go first)
    metrics_web.install(app, mobile_api.context.of(app), cfg, live.connected_by_role)
    # First of the request hooks: a request past capacity is refused before any other work.
    admission.install(app, cfg.ADMISSION_LIMIT, cfg.ADMISSION_QUEUE, cfg.ADMISSION_WAIT_SECONDS)
    intake.register(app)
    app.register_blueprint(health.bp)
    mobile_api.register(app)
    pages.register(app, page_settings(cfg))  # before the throttle: it limits the sign-in form too
    report.register(app, phone_settings(cfg))  # the reporter's phone app, /m/report/
    officer.register(app, phone_settings(cfg), cfg.CHECKIN_RADIUS_M,  # the officer's, /m/officer/
                     cfg.CHECKIN_ACCURACY_CAP_M)
    throttle.install(app, cfg)  # sign-in limits; the client address behind trusted proxies
    register_cli(app)
    socketio.init_app(app, async_mode=cfg.ASYNC_MODE, **message_queue(cfg.REDIS_URL),
                      cors_allowed_origins=http_policy.socketio_origins(cfg.CORS_ORIGINS))
    live.register(socketio)
    http_policy.register(app)  # last: its middleware wraps Socket.IO's too
    return app


def message_queue(url: str | None) -> dict[str, Any]:
    """Socket.IO's message queue: Flask-SocketIO picks Kombu for any URL but redis://, so a
    `redis+sentinel://` URL gets python-socketio's RedisManager (which follows the Sentinels)
    by hand, on the channel Flask-SocketIO would have named."""
    if not url:
        return {}
    from server.redis_url import is_sentinel
    if not is_sentinel(url):
        return {"message_queue": url}
    import socketio as python_socketio

    return {"client_manager": python_socketio.RedisManager(url, channel="flask-socketio")}


# What the pages read of the configuration: each PageSettings field from its Config setting.
PAGE_SETTINGS = {"tile_url": "TILE_URL", "tile_datum": "TILE_DATUM",
                 "checkin_radius_m": "CHECKIN_RADIUS_M",
                 "checkin_accuracy_cap_m": "CHECKIN_ACCURACY_CAP_M",
                 "session_ttl_s": "TOKEN_TTL_SECONDS",
                 "page_token_ttl_s": "COMMAND_TOKEN_TTL_SECONDS",
                 "cookie_secure": "SESSION_COOKIE_SECURE",
                 "tile_provider": "TILE_PROVIDER", "tile_key": "TILE_KEY",
                 "tile_attribution": "TILE_ATTRIBUTION"}


def page_settings(cfg: Config) -> PageSettings:
    """The pages' settings from the configuration; a value the pages cannot use stops the start
    with a ConfigError naming its variable."""
    from pages.settings import PageSettings, Refused
    from server.config import ConfigError, env_name

    try:
        return PageSettings(**{field: getattr(cfg, name) for field, name in PAGE_SETTINGS.items()})
    except Refused as exc:
        raise ConfigError(f"{env_name(PAGE_SETTINGS[exc.field])} {exc.why}") from None


def start_web_loops(app: Flask, keep_clocks: bool) -> None:
    """In a process that serves clients (gunicorn's worker, `make run`): the relay, the log tail,
    the wake-up listener, the idle-socket re-check and, without a separate scheduler, the
    clocks, as background tasks."""
    from mobile_api.context import of
    from server import config as cfgmod
    from server import live, realtime
    from server.extensions import socketio

    def recheck_sockets() -> None:
        with app.app_context():
            live.recheck_idle(socketio)

    realtime.start_web_loops(of(app), cfgmod.of(app), socketio, keep_clocks, recheck_sockets,
                             app.extensions["token_users"].forget)
