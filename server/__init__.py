"""The Flask application factory. Importing this package builds nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    import mobile_api
    from server import config as cfgmod
    from server import health, http_policy, intake, jsonio, problems, realtime, throttle
    from server.bootstrap import bootstrap
    from server.cli import register_cli
    from server.extensions import socketio

    app = Flask(__name__, instance_relative_config=True)
    cfg = cfgmod.load(config)
    instance = cfgmod.instance_path(cfg, app.instance_path)
    app.config.update(cfg)
    app.config["SECRET_KEY"] = cfgmod.secret_key(cfg, instance)
    app.config["INSTANCE_PATH"] = str(instance)
    # The largest honest report: every photo at its limit plus the form around them.
    app.config["MAX_CONTENT_LENGTH"] = cfg["PHOTO_MAX_BYTES"] * cfg["PHOTO_MAX_COUNT"] + 1_000_000
    app.json = jsonio.JSONProvider(app)  # UTF-8, depth-limited in, never NaN out

    ctx = bootstrap(cfg, instance)
    app.extensions["dispatch"] = ctx

    problems.register(app)
    intake.register(app)
    app.register_blueprint(health.bp)
    mobile_api.register(app)
    throttle.install(app, cfg)  # sign-in limits; the client address behind trusted proxies
    register_cli(app)
    socketio.init_app(app, async_mode=cfg["ASYNC_MODE"], message_queue=cfg["REDIS_URL"] or None,
                      cors_allowed_origins=http_policy.socketio_origins(cfg["CORS_ORIGINS"]))
    realtime.attach(ctx, socketio, cfg["REDIS_URL"])
    http_policy.register(app)  # last: its middleware wraps Socket.IO's too
    return app
