"""Open311 GeoReport v2 under /open311/v2, for outside systems (a city's 12345 platform,
open-data portals, FixMyStreet-style apps).

Thin views: the standard's parameters are read by `params`, the cases found or created by
`dispatch.open311`, mapped by `mapping` and written as JSON or XML by `render`. Every error on
this surface, including a path that does not exist, is the standard's list of
`{code, description}` in the format the path asked for (JSON when it names none), never a
problem+json.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from dispatch import open311, outside_systems, publication
from dispatch.errors import DispatchError, NotFound
from dispatch.model import Incident, User
from mobile_api.context import dispatch_context
from mobile_api.open311 import mapping, params
from mobile_api.open311.render import errors, render

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
log = logging.getLogger(__name__)
FMT = "<any(json, xml):fmt>"
# Our statuses as the standard names them: a field that fails validation is a 400, a missing or
# bad api_key a 403.
STATUS = {401: 403, 409: 400, 422: 400}


def _answer(fmt: str, root: str, body: dict[str, Any] | list[dict[str, Any]],
            status: int = 200) -> Response:
    data, content_type = render(fmt, root, body)
    return Response(data, status=status, content_type=content_type)


def _fmt() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


@bp.errorhandler(DispatchError)
def _domain(exc: DispatchError) -> Response:
    status = STATUS.get(exc.status, exc.status)
    described = [f"{e.field}: {e.message}" for e in exc.errors] or [exc.detail]
    data, content_type = errors(_fmt(), status, described)
    return Response(data, status=status, content_type=content_type)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    data, content_type = errors(_fmt(), status, [exc.description or exc.name])
    return Response(data, status=status, content_type=content_type)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on Open311")
    data, content_type = errors(_fmt(), 500, ["an unexpected error occurred; it has been logged"])
    return Response(data, status=500, content_type=content_type)


def _viewer() -> User | None:
    """A GET may carry the api_key of the system that created the requests: it then reads
    them whole. A key given but not valid is refused rather than silently ignored."""
    key = request.args.get("api_key")
    return None if key is None else outside_systems.authenticate(dispatch_context(), key)


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str) -> ResponseReturnValue:
    return _answer(fmt, "discovery", mapping.discovery(request.url_root + "open311/v2"))


@bp.get(f"/services.{FMT}")
def services(fmt: str) -> ResponseReturnValue:
    return _answer(fmt, "services", [mapping.service(s) for s in open311.SERVICES.values()])


@bp.get(f"/services/<service_code>.{FMT}")
def service_definition(service_code: str, fmt: str) -> ResponseReturnValue:
    return _answer(fmt, "service_definition",
                   mapping.definition(open311.service(service_code)))


def _requests(fmt: str, cases: list[Incident], viewer: User | None) -> Response:
    scrub = publication.scrubber(dispatch_context())
    return _answer(fmt, "service_requests", [
        mapping.request(c, open311.SERVICES[c.category].name, open311.sees_all_of(viewer, c),
                        scrub) for c in cases])


@bp.get(f"/requests.{FMT}")
def requests(fmt: str) -> ResponseReturnValue:
    viewer = _viewer()
    found = open311.find_requests(dispatch_context(), params.filters(request.args), viewer)
    return _requests(fmt, found, viewer)


@bp.post(f"/requests.{FMT}")
def create(fmt: str) -> ResponseReturnValue:
    """201 with the new request's id; a retry of an earlier request (its `Idempotency-Key`, or
    the same fields within the replay window) 200 with the id the first one got."""
    ctx = dispatch_context()
    system = outside_systems.authenticate(ctx, request.form.get("api_key"))
    key = params.idempotency_key(request.headers.get("Idempotency-Key"))
    created = open311.create_request(ctx, system, params.new_request(request.form), key)
    return _answer(fmt, "service_requests", [mapping.created(created.incident, created.notice)],
                   200 if created.replayed else 201)


@bp.get(f"/requests/<request_id>.{FMT}")
def one(request_id: str, fmt: str) -> ResponseReturnValue:
    viewer = _viewer()
    return _requests(fmt, [open311.get_request(dispatch_context(), request_id, viewer)], viewer)


@bp.get(f"/tokens/<token>.{FMT}")
def token(token: str, fmt: str) -> ResponseReturnValue:
    incident = open311.request_for_token(dispatch_context(), token)
    return _answer(fmt, "service_requests", [mapping.token(incident)])


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def elsewhere(rest: str) -> ResponseReturnValue:
    """Anything else under /open311/v2 (another path, format or method) answers in the
    standard's form too."""
    raise NotFound(f"no Open311 endpoint {request.method} {rest}; see discovery.json")
