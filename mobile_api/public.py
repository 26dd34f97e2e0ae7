"""The public disclosure (受理案件定期公布): a JSON answer and a page, for anyone, no sign-in;
a commander's review of the text it shows of a case, and the decision to withhold a case.

Both answers are the same for every caller and change only when a case does: they carry
`Cache-Control: public` (server/http_policy.py's CACHEABLE) and an ETag, and a client that
presents it again gets a 304 without the body.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from dispatch import disclosure, publication
from dispatch.errors import ValidationFailed
from dispatch.utc import iso_utc
from mobile_api import schemas as s
from mobile_api import serializers
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.tokens import current_user
from mobile_api.validation import json_body, query_args

bp = Blueprint("public", __name__)
page = Blueprint("public_page", __name__, template_folder="templates")

# The page runs no script and loads nothing: nothing else may be loaded or framed.
PAGE_CSP = ("default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# The answers built last, by (kind, period, version): a repeated or conditional request under
# the same version is served without reading the cases again. Small, per app (one per process,
# except in the tests, which run an app per database in one process).
CACHE_KEY = "public_answers"
KEEP = 32
Built = OrderedDict[tuple[Hashable, ...], bytes]


def _built(kind: str, label: str, build: Callable[[], bytes]) -> bytes:
    cache: Built = current_app.extensions.setdefault(CACHE_KEY, OrderedDict())
    key = (kind, label, *publication.version(dispatch_context()))
    body = cache.get(key)
    if body is None:
        body = cache[key] = build()
        while len(cache) > KEEP:
            cache.popitem(last=False)
    return body


def _conditional(response: Response) -> Response:
    """An ETag of the body; a request that already holds it gets a 304."""
    response.add_etag()
    response.make_conditional(request)  # in place: status, body and headers
    return response


@bp.get("/public/cases")
@doc("The public disclosure of the cases received in a week or a month (by default the last "
     "complete week, China Standard Time): no personal data, the place only to its territory",
     query=s.PublicCasesQuery, response=s.PublicCases, public=True)
def cases() -> ResponseReturnValue:
    q = query_args(s.PublicCasesQuery)
    ctx = dispatch_context()
    period = disclosure.period(q.week, q.month, ctx.clock())

    def build() -> bytes:
        return jsonify(publication.published_cases(ctx, period)).get_data()
    return _conditional(Response(_built("json", period.label, build),
                                 mimetype="application/json"))


@bp.post("/incidents/<incident_id>/withhold")
@doc("Withhold a case from the public disclosure, with the reason (kept on record)",
     body=s.WithholdRequest, response=s.WithheldOut, roles="commander", errors=(404, 409))
def withhold(incident_id: str) -> ResponseReturnValue:
    user = current_user()
    body = json_body(s.WithholdRequest)
    incident = publication.withhold(dispatch_context(), user, incident_id, body.reason)
    when = incident.withheld_at
    return jsonify(id=incident.id, withheld_at=None if when is None else iso_utc(when),
                   withheld_by=incident.withheld_by, reason=incident.withheld_reason)


@bp.post("/incidents/<incident_id>/public-text")
@doc("Review the text the public disclosure (and Open311's anonymous reads) show of a case: "
     "none is shown until a commander sets it; it still passes the scrubber",
     body=s.PublicTextRequest, response=s.PublicTextOut, roles="commander", errors=(404,))
def public_text(incident_id: str) -> ResponseReturnValue:
    ctx = dispatch_context()
    body = json_body(s.PublicTextRequest)
    incident = publication.review_public_text(ctx, current_user(), incident_id, body.problem,
                                              body.result)
    out = serializers.public_text_model(publication.public_text(ctx, incident))
    return jsonify(out.model_dump(mode="json"))


@page.get("/public/cases")
def cases_page() -> ResponseReturnValue:
    """The same disclosure as a page (zh-CN, server-rendered, escaped by Jinja, no script).
    A bad week or month is said on the page itself, with a 422."""
    ctx = dispatch_context()
    week, month = request.args.get("week") or None, request.args.get("month") or None
    try:
        period = disclosure.period(week, month, ctx.clock())
    except ValidationFailed as exc:
        body = render_template("public_cases.html", error=exc.errors[0].message,
                               week=week or "", month=month or "", data=None)
        return _page(Response(body, status=422, mimetype="text/html"))

    def build() -> bytes:
        return render_template("public_cases.html", error=None, week=week or "",
                               month=month or "", local=_local, day=_day,
                               data=publication.published_cases(ctx, period)).encode("utf-8")
    key = f"{period.label}|{week or ''}|{month or ''}"  # the form echoes what was asked
    return _page(_conditional(Response(_built("page", key, build), mimetype="text/html")))


def _page(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


def _local(iso: str | None) -> str:
    """A wire time shown in China Standard Time, as the public reads it."""
    if iso is None:
        return ""
    return datetime.fromisoformat(iso).astimezone(disclosure.CST).strftime("%Y-%m-%d %H:%M")


def _day(iso: str, shift: int = 0) -> str:
    """The day (China Standard Time) of a period's bound; `shift=-1` for the last day of a
    period whose end is the midnight after it."""
    local = datetime.fromisoformat(iso).astimezone(disclosure.CST) + timedelta(days=shift)
    return local.strftime("%Y-%m-%d")
