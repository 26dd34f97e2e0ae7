"""`/metrics` in a web process, and the requests' figures (`server.metrics` says what is counted
and who may read it): the route, and the hooks that time each request from its first hook (the
admission gate's wait included) to its answer, by route (the URL rule) and status."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from dispatch.context import Context
from server import config as cfgmod
from server.config import Config
from server.metrics import LATENCY, REQUESTS, SIGNIN_REFUSALS, Exposition, refusal

KEY = "metrics"  # of `app.extensions`
SIGNIN_ENDPOINTS = ("auth.token", "command.sign_in")  # the API's and the page's sign-in

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics_view() -> Response:
    cfg = cfgmod.current()
    refused = refusal(request.remote_addr, request.headers.get("Authorization"),
                      cfg.METRICS_TOKEN)
    if refused is not None:
        raise refused
    body = current_app.extensions[KEY].render()
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def install(app: Flask, ctx: Context, cfg: Config,
            sockets: Callable[[], dict[str, int]] | None = None) -> None:
    """`/metrics`, and the requests' figures: timed from the first request hook (the admission
    gate's wait included) to the answer."""
    app.extensions[KEY] = Exposition(ctx, cfg, sockets)
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_answered)


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response: Response) -> Response:
    rule = request.url_rule.rule if request.url_rule is not None else "(none)"
    status = response.status_code
    REQUESTS.labels(rule, request.method, str(status)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(rule, request.method).observe(time.perf_counter() - started)
    if status in (401, 429) and request.endpoint in SIGNIN_ENDPOINTS:
        SIGNIN_REFUSALS.labels(str(status)).inc()
    return response
