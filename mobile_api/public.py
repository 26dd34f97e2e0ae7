"""The public disclosure (受理案件定期公布) as JSON, for anyone, no sign-in; a commander's review
of the text it shows of a case, and the decision to withhold a case. (The same disclosure as a
page is `pages/public/`, built on `built` and `conditional` below.)

Both answers are the same for every caller and change only when a case does: they carry
`Cache-Control: public` (server/http_policy.py's CACHEABLE) and an ETag, and a client that
presents it again gets a 304 without the body.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from dispatch import disclosure, publication
from dispatch.utc import iso_utc
from mobile_api import schemas as s
from mobile_api import serializers
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.tokens import current_user
from mobile_api.validation import json_body, query_args

bp = Blueprint("public", __name__)

# The answers built last, by (kind, period, version): a repeated or conditional request under
# the same version is served without reading the cases again. Small, per app (one per process,
# except in the tests, which run an app per database in one process).
CACHE_KEY = "public_answers"
KEEP = 32
Built = OrderedDict[tuple[Hashable, ...], bytes]


def built(kind: str, label: str, build: Callable[[], bytes]) -> bytes:
    """The answer `build` makes, kept under (kind, label) and the cases' version."""
    cache: Built = current_app.extensions.setdefault(CACHE_KEY, OrderedDict())
    key = (kind, label, *publication.version(dispatch_context()))
    body = cache.get(key)
    if body is None:
        body = cache[key] = build()
        while len(cache) > KEEP:
            cache.popitem(last=False)
    return body


def conditional(response: Response) -> Response:
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
    return conditional(Response(built("json", period.label, build),
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
