"""What every HTTP answer carries, whichever view, error handler or server produced it.

The rules live outside the views so that a new route cannot forget them:
- `X-Content-Type-Options: nosniff` on every response, so that no browser reinterprets a photo or
  an error body as HTML or script;
- `Cache-Control: no-store` unless a response says otherwise: every answer under /api/v1 is about
  someone (a token, a case, a position), and a shared cache must never keep it. Only documents
  that are the same for everyone opt in to caching (`CACHEABLE`); health probes stay `no-store`
  because a cached "ok" would hide an outage;
- a request target longer than `MAX_URL_BYTES` is refused with a 414 problem naming `url`. The
  limit sits below the servers' own request-line limit (both `make run` and gunicorn's gevent
  websocket worker parse requests with gevent's pywsgi, which answers a bare 414 past 8 KiB),
  so that the client gets a problem and not a server's empty page;
- CORS on /api/v1 for exactly the configured origins (the same list as Socket.IO's).

The headers and the URL limit are applied by a WSGI middleware placed outside Socket.IO's, so
they hold for Socket.IO's polling answers and for errors raised before Flask routes a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, request

from mobile_api.open311.render import errors as open311_errors
from server import config as cfgmod
from server.problems import problem

# The largest target the servers read before answering on their own: gevent's pywsgi (behind
# `make run` and behind gunicorn's gevent websocket worker, whose --limit-request-line does not
# apply) reads request lines up to 8192 bytes; leave room for the method and the protocol.
SERVER_TARGET_BYTES = 8000

# Endpoints whose answer is the same for every caller and may be kept by shared caches.
# The OpenAPI document changes only with a deployment; five minutes bounds the staleness.
# The public disclosure is the same for everyone (no sign-in, nothing personal) and carries an
# ETag: a minute bounds how long a withheld case may still be shown from a cache.
# The label catalogue, like the OpenAPI document, changes only with a deployment.
CACHEABLE = {"meta.spec": "public, max-age=300", "labels.labels": "public, max-age=300",
             "public.cases": "public, max-age=60",
             "public_page.cases_page": "public, max-age=60",
             "favicon": "public, max-age=86400"}  # the site's icon: a day

CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
# Besides the CORS-safelisted ones (Content-Type, Cache-Control, ...): only what a client needs
# to back off; nothing that describes a user.
CORS_EXPOSE_HEADERS = ["Retry-After"]

StartResponse = Callable[..., Any]


def cors_origins(raw: str | Iterable[str] | None) -> list[str]:
    """DISPATCH_CORS_ORIGINS: origins separated by commas or spaces (`*` for any)."""
    if not raw:
        return []
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    return [o.strip().rstrip("/") for o in items if o.strip()]


def socketio_origins(raw: str | Iterable[str] | None) -> Any:
    """Socket.IO's `cors_allowed_origins`: the server's own origin, as Engine.IO allows by
    default, and the configured ones. A plain list would replace the default, and configuring an
    outside origin would lock out the command center served from the server itself."""
    origins = cors_origins(raw)
    if not origins:
        return None  # Engine.IO's default: the same origin only
    if "*" in origins:
        return "*"
    allowed = {o.lower() for o in origins}

    def accept(origin: str | None, environ: Mapping[str, Any]) -> bool:
        if origin is None:
            return True
        return origin.lower() in allowed or origin.lower() in _own_origins(environ)
    return accept


def _own_origins(environ: Mapping[str, Any]) -> set[str]:
    """The origins this request was addressed to, directly or through a proxy (as Engine.IO's
    own same-origin rule reads them)."""
    scheme, host = environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST")
    if not host:
        return set()
    own = {f"{scheme}://{host}".lower()}
    proto = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
    fhost = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
    own.add(f"{proto}://{fhost}".lower())
    return own


def register(app: Flask) -> None:
    """Call last in create_app, after Socket.IO has wrapped the WSGI app."""
    limit = cfgmod.of(app).MAX_URL_BYTES
    if not 256 <= limit <= SERVER_TARGET_BYTES:
        raise ValueError(f"DISPATCH_MAX_URL_BYTES must lie between 256 and "
                         f"{SERVER_TARGET_BYTES} (the servers' own limit), not {limit}")
    _cors(app, cors_origins(cfgmod.of(app).CORS_ORIGINS))

    @app.after_request
    def _cacheable(response: Response) -> Response:
        policy = CACHEABLE.get(request.endpoint or "")
        if policy and response.status_code in (200, 304):
            response.headers["Cache-Control"] = policy
        return response

    app.wsgi_app = HeaderPolicy(app.wsgi_app, limit)  # type: ignore[method-assign]  # Flask's documented way to add middleware


def _cors(app: Flask, origins: list[str]) -> None:
    if not origins:
        return  # no Access-Control-* header for anyone: browsers keep to the same origin
    from flask_cors import CORS

    # Every option is given here so that no app.config key named CORS_* is read by Flask-CORS.
    CORS(app, resources={r"/api/v1/*": {
        "origins": "*" if "*" in origins else origins,
        "methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": CORS_ALLOW_HEADERS,
        "expose_headers": CORS_EXPOSE_HEADERS,
        "supports_credentials": False,  # bearer tokens, never cookies
        "max_age": 600,
        "send_wildcard": False,
        "always_send": False,  # nothing for requests that carry no Origin
        "vary_header": True,
        "automatic_options": True,
        "intercept_exceptions": True,  # problems reach the allowed origin too
        "allow_private_network": False,
    }})


def request_target_bytes(environ: Mapping[str, Any]) -> int:
    """The length of the request target (path and query) in bytes as a client sends it.

    Measured from what every WSGI server gives (gevent's, which parses requests for both
    `make run` and gunicorn's gevent websocket worker, gives no raw target): the path re-escaped,
    the query as received. A path's escapes of plain characters (`%41` for `A`) count once."""
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    path = quote(path.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=")
    query = environ.get("QUERY_STRING", "")
    return len(path) + (len(query) + 1 if query else 0)


class HeaderPolicy:
    """WSGI middleware: the URL limit and the headers every response carries."""

    def __init__(self, wsgi_app: Callable[..., Any], max_url_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.max_url_bytes = max_url_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            if "x-content-type-options" not in present:
                headers.append(("X-Content-Type-Options", "nosniff"))
            if "cache-control" not in present:
                headers.append(("Cache-Control", "no-store"))
            return start_response(status, headers, exc_info)

        length = request_target_bytes(environ)
        if length > self.max_url_bytes and environ.get("PATH_INFO", "").startswith("/open311/"):
            # Open311 clients read the standard's error list, never a problem+json.
            path = environ.get("PATH_INFO", "")
            fmt = "xml" if path.endswith(".xml") else "json"
            data, content_type = open311_errors(fmt, 414, [
                f"url: the request target is {length} bytes; the limit is "
                f"{self.max_url_bytes}"])
            return Response(data, status=414, content_type=content_type)(environ, respond)
        if length > self.max_url_bytes:
            refusal = problem(414, "URI too long",
                              f"the request target is {length} bytes; the limit is "
                              f"{self.max_url_bytes}", "uri-too-long",
                              [{"field": "url",
                                "message": f"longer than {self.max_url_bytes} bytes"}])
            return refusal(environ, respond)
        return self.wsgi_app(environ, respond)
