"""Throttling sign-in (Flask-Limiter): failed attempts per username and per client address.

Only failures count (a 401): an officer who signs in often is never slowed down, while guessing a
password, or spraying one over many usernames from one address, stops after a few tries. The
username is counted in the one spelling sign-in looks up (dispatch/usernames.py), read from
wherever the view reads it (the page's form in either encoding, the API's JSON body): spaces,
case, full-width letters or another form encoding do not buy a fresh budget. A
refused attempt is a 429 problem with `Retry-After`, answered before any hash is computed, so a
storm of wrong passwords costs the process almost nothing once its budget is spent.

The counts live in Redis when REDIS_URL is set (shared by every web process), in memory otherwise
(the embedded default is one process). If Redis fails, each process counts in memory meanwhile:
sign-in stays available. The client address is the socket's peer, or, behind a load balancer,
the address that DISPATCH_TRUSTED_PROXY_HOPS proxies vouch for in X-Forwarded-For (werkzeug's
ProxyFix): never a header that anyone could send.

One Limiter per app, not one per module: the limits, the storage and the switch are each app's
own (the tests build several apps in one process).
"""

from __future__ import annotations

import hashlib
import json
import math
import time

from flask import Flask, Response, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from server import config as cfgmod
from server.config import Config
from server.redis_url import limits_storage
from dispatch.usernames import normalize

SIGNIN_ENDPOINT = "auth.token"
PAGE_SIGNIN_ENDPOINT = "command.sign_in"  # the command center's sign-in form: the same budget
USER_KEY, ADDRESS_KEY = "signin-user:", "signin-address:"


def install(app: Flask, cfg: Config) -> Limiter | None:
    hops = cfg.TRUSTED_PROXY_HOPS
    if hops < 0:
        raise ValueError("DISPATCH_TRUSTED_PROXY_HOPS: a number of proxies, 0 or more")
    if hops:
        # The scheme too: the pages' session cookie is Secure when the proxy was reached by TLS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]  # Flask's documented way to add middleware
    if not cfg.SIGNIN_LIMIT_ENABLED:
        return None
    per_user, per_address = cfg.SIGNIN_LIMIT_PER_USER, cfg.SIGNIN_LIMIT_PER_ADDRESS
    for name, value in (("SIGNIN_LIMIT_PER_USER", per_user),
                        ("SIGNIN_LIMIT_PER_ADDRESS", per_address)):
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"DISPATCH_{name}: {exc} (e.g. 10/minute)") from None

    storage = limits_storage(cfg.REDIS_URL) if cfg.REDIS_URL else ("memory://", {})
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter = Limiter(
        _address_key, app=app,
        storage_uri=storage[0], storage_options=storage[1],
        strategy="moving-window", key_prefix="jiyuan311",
        in_memory_fallback_enabled=True, swallow_errors=True, headers_enabled=False,
        on_breach=_refusal)
    # Shared limits: a failure on the API or on the page's form spends the same budget.
    by_user = limiter.shared_limit(per_user, scope="signin-user", key_func=_user_key,
                                   deduct_when=_failed)
    by_address = limiter.shared_limit(per_address, scope="signin-address",
                                      key_func=_address_key, deduct_when=_failed)
    for endpoint in (SIGNIN_ENDPOINT, PAGE_SIGNIN_ENDPOINT):
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        # Flask-Limiter types its decorator for sync and async views alike; ours are sync.
        app.view_functions[endpoint] = by_address(by_user(view))  # type: ignore[assignment]  # see above
    app.register_error_handler(RateLimitExceeded, _answer)
    app.extensions["signin_limiter"] = limiter
    return limiter


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _address_key() -> str:
    return ADDRESS_KEY + (request.remote_addr or "unknown")


def _user_key() -> str:
    """The username of the attempt in its one spelling (dispatch/usernames.py, the one sign-in
    looks up: `" name"`, `"NAME"` and `"ｎａｍｅ"` spend one budget), hashed (bounded keys,
    nothing personal in Redis)."""
    username = _attempted_username()
    if username is None:  # refused by validation before any hash: a shared, unused bucket
        return USER_KEY + "-"
    digest = hashlib.sha256(normalize(username).encode("utf-8", "surrogatepass")).hexdigest()
    return USER_KEY + digest[:32]


def _attempted_username() -> str | None:
    """The username exactly where the view reads it: the page's form field (url-encoded or
    multipart, both parsed by Flask), or the API's JSON body whatever its Content-Type. By now
    the body is bounded by the sign-in's limit (server/intake.py runs first, and cuts off a
    body sent without a length too), so reading it here costs no more than the view would."""
    if request.endpoint == PAGE_SIGNIN_ENDPOINT:
        value = request.form.get("username")
    else:
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, UnicodeDecodeError, RecursionError):
            body = None
        value = body.get("username") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def _refusal(limit: RequestLimit) -> Response:
    """The 429, after a pause: a client that loops on sign-in (a script, a phone app stuck in a
    retry loop) is slowed to one attempt per pause instead of being answered as fast as the
    process can; the pause is a sleeping greenlet under gevent, which costs the loop nothing."""
    from server.problems import problem

    delay = cfgmod.current().SIGNIN_REFUSAL_DELAY_SECONDS
    if delay > 0:
        time.sleep(delay)
    window = limit.limit.get_expiry()
    retry = min(window, max(1, math.ceil(limit.reset_at - time.time())))
    if USER_KEY in limit.key:
        field, message = "username", "too many failed sign-ins for this user"
    else:
        field, message = "client", "too many failed sign-ins from this address"
    response = problem(429, "Too many requests", f"{message}; retry in {retry} s",
                       "too-many-requests", [{"field": field, "message": message}])
    response.headers["Retry-After"] = str(retry)
    response.headers["Cache-Control"] = "no-store"
    return response


def _answer(exc: RateLimitExceeded) -> Response:
    if exc.response is not None:
        return exc.response  # type: ignore[return-value]  # our on_breach always sets a Response
    from server.problems import problem
    return problem(429, "Too many requests", "too many sign-in attempts", "too-many-requests")
