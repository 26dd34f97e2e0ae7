"""The units' assessment: JSON for the command center's panel, CSV and XLSX for the annual review.

All three print the rows of `dispatch.assessment.unit_rows`, so they agree figure for figure.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from dispatch import assessment, labels
from dispatch.utc import CST, iso_utc
from mobile_api import schemas as s
from mobile_api.context import dispatch_context
from mobile_api.exports import to_csv, to_xlsx
from mobile_api.openapi import doc
from mobile_api.tokens import current_user
from mobile_api.validation import query_args

bp = Blueprint("stats", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _format(asked: str | None) -> str:
    if asked is not None:
        return asked
    best = request.accept_mimetypes.best_match(["application/json", "text/csv", XLSX])
    return {"text/csv": "csv", XLSX: "xlsx"}.get(best or "", "json")


@bp.get("/stats/units")
@doc("Per-unit assessment for a period: on-time rates, times, overdue records, reopenings, "
     "extensions, complaints, central assignments, satisfaction and the four 12345 rates; "
     "ranked; a dispatcher gets its own unit, command every unit. JSON, or CSV / XLSX with "
     "the same figures under a header row of the columns' names in `lang`", query=s.StatsQuery,
     response=s.StatsOut, roles="dispatcher, commander",
     content_type=("application/json", "text/csv", XLSX))
def units() -> ResponseReturnValue:
    user = current_user()
    q = query_args(s.StatsQuery)
    ctx = dispatch_context()
    when = assessment.period(ctx.clock(), q.from_, q.to, ctx.settings.stats_max_span)
    rows = assessment.stats_by_unit(ctx, user, when)
    fmt = _format(q.format)
    if fmt == "json":
        return jsonify(period={"from": iso_utc(when.start), "to": iso_utc(when.end)},
                       min_cases=ctx.settings.stats_min_cases, units=rows)
    name = (f"units-{when.start.astimezone(CST):%Y%m%d}-"
            f"{when.end.astimezone(CST):%Y%m%d}")
    header = labels.headers(assessment.COLUMNS, q.lang)
    if fmt == "csv":
        body, mimetype = to_csv(assessment.COLUMNS, header, rows), "text/csv"
    else:
        body, mimetype = to_xlsx(assessment.COLUMNS, header, rows, "units"), XLSX
    out = Response(body, mimetype=mimetype)
    if mimetype == "text/csv":
        out.headers["Content-Type"] = "text/csv; charset=utf-8"
    out.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    out.headers["Cache-Control"] = "private, no-store"
    return out
