"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from dispatch.storage.database import ping
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.schemas import Health, Readiness
from server import config as cfgmod
from server.redis_url import connect as connect_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@doc("Liveness: the process answers", response=Health, public=True, storage=False)
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
@doc("Readiness: the database and, where configured, Redis answer", response=Readiness,
     also={503: "not ready: a check failed"}, public=True, storage=False)
def readyz() -> ResponseReturnValue:
    checks: dict[str, str] = {}
    ctx = dispatch_context()
    try:
        ping(ctx.engine)
        checks["database"] = "ok"
    except SQLAlchemyError as exc:  # readiness reports failures; it must not raise them
        checks["database"] = f"error: {type(exc).__name__}"
    redis_url = cfgmod.current().REDIS_URL
    if redis_url:
        try:
            connect_redis(redis_url, socket_timeout=1, socket_connect_timeout=1).ping()
            checks["redis"] = "ok"
        except RedisError as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
