"""Every error leaves as `application/problem+json` (RFC 9457); never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, has_request_context, json, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from dispatch.errors import DispatchError
from dispatch.storage.failover import unreachable

log = logging.getLogger(__name__)
TYPE_BASE = "https://jiyuan-311.example/problems/"


def problem(status: int, title: str, detail: str, slug: str,
            errors: list[dict[str, str]] | None = None) -> Response:
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/problem+json")


def register(app: Flask) -> None:
    @app.errorhandler(DispatchError)
    def _domain(exc: DispatchError) -> Response:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        out = problem(exc.status, exc.title, exc.detail, exc.slug, errors)
        if exc.retry_after is not None:
            out.headers["Retry-After"] = str(exc.retry_after)
        return out

    @app.errorhandler(PoolTimeout)
    def _pool_exhausted(exc: PoolTimeout) -> Response:
        # Every connection busy for the pool's whole time-out: overload, not a bug of this
        # request (admission control keeps it rare); nothing was written.
        log.warning("database pool exhausted: %s", exc)
        out = problem(503, "Service unavailable", "the server is at capacity; retry",
                      "service-unavailable")
        out.headers["Retry-After"] = "1"
        return out

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        # The route's own limit (intake sets it per request), not the app-wide photo limit.
        limit = request.max_content_length if has_request_context() else None
        return problem(413, "Payload too large", f"the request exceeds {limit} bytes",
                       "payload-too-large", [{"field": "body", "message": "too large"}])

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError) -> Response:
        if unreachable(exc):  # lost, or no primary (a failover): the client's retry will do
            log.warning("database unreachable: %s", str(exc.orig).strip()[:200])
            out = problem(503, "Service unavailable", "the database is unreachable (a failover or "
                          "a restart); nothing was written; retry the request",
                          "service-unavailable")
            out.headers["Retry-After"] = "2"
            return out
        return _unexpected(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        slug = (exc.name or "error").lower().replace(" ", "-")
        out = problem(exc.code or 500, exc.name or "Error", exc.description or "", slug)
        # What the exception says besides its body stays: `Allow` on a 405 above all.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                out.headers[name] = value
        return out

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "Internal error", "an unexpected error occurred; it has been logged",
                       "internal-error")
