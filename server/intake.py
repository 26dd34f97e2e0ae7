"""What every request must satisfy before its view runs: a body no larger than its route needs,
and no NUL or lone surrogate in its path, query or headers.

Why here, once: the views read these values in many places (a path's incident id goes straight
into a query; PostgreSQL refuses a NUL with an error, UTF-8 cannot encode a lone surrogate), so a
per-view check would be forgotten somewhere. Bodies are checked by the models (`Strict`), which
see every string of a JSON body, a multipart payload or a socket payload.
"""

from __future__ import annotations

from flask import Flask, request

from dispatch.errors import FieldError, PayloadTooLarge, ValidationFailed
from mobile_api.jsonio import text_problem
from server import config as cfgmod

MULTIPART_ROUTES = frozenset({"incidents.create", "incidents.add_photos"})  # reports, photos


def register(app: Flask) -> None:
    cfg = cfgmod.of(app)
    json_limit = cfg.JSON_MAX_BYTES
    limits = {"auth.token": cfg.SIGN_IN_MAX_BYTES,
              "command.sign_in": cfg.SIGN_IN_MAX_BYTES,
              "officers.positions": cfg.POSITIONS_MAX_BYTES}

    @app.before_request
    def _intake() -> None:
        if request.mimetype == "multipart/form-data" and request.endpoint in MULTIPART_ROUTES:
            # The photos' limit; the `payload` part keeps Flask's MAX_FORM_MEMORY_SIZE (500 kB),
            # which werkzeug also applies to its read buffer, so it cannot be set much lower.
            limit = int(app.config["MAX_CONTENT_LENGTH"])
        else:
            limit = limits.get(request.endpoint or "", json_limit)
        _limit_body(limit)
        _refuse_bad_text()


def _limit_body(limit: int) -> None:
    """Refuse at once what declares a larger body; a body sent without a length (chunked) is
    cut off by the same limit while it is read."""
    request.max_content_length = limit
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"the request body is {length} bytes; this route accepts at most "
                              f"{limit}", [FieldError("body", f"larger than {limit} bytes")])


def _refuse_bad_text() -> None:
    for name, value in (request.view_args or {}).items():
        _check(name, value)
    for key, values in request.args.lists():
        if text_problem(key):
            raise ValidationFailed.on("query", "a parameter name " + str(text_problem(key)))
        for value in values:
            _check(key, value)
    for name, value in request.headers.items():
        _check(name, value)


def _check(field: str, value: object) -> None:
    if isinstance(value, str) and (why := text_problem(value)):
        if text_problem(field):  # a name we cannot print back
            raise ValidationFailed.on("request", why)
        raise ValidationFailed.on(field, why)
