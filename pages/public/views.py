"""The page's one route: the period asked for, the disclosure built (or kept) for it, rendered.
A bad week or month is said on the page itself, with a 422."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from dispatch import disclosure, labels, publication
from dispatch.errors import ValidationFailed
from dispatch.utc import CST
from mobile_api.context import dispatch_context
from mobile_api.public import built, conditional

bp = Blueprint("public_page", __name__, template_folder="templates", static_folder="static",
               static_url_path="/public/static")

# Styles from this origin (the page's stylesheet) and nothing else: no script, no image, no
# font, no frame; the form posts nowhere but here.
PAGE_CSP = ("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
LANG = "zh-CN"  # the disclosure's language


@bp.get("/public/cases")
def cases_page() -> ResponseReturnValue:
    """The same disclosure as a page (zh-CN, server-rendered, escaped by Jinja, no script)."""
    ctx = dispatch_context()
    week, month = request.args.get("week") or None, request.args.get("month") or None
    asked = {"week": week or "", "month": month or ""}
    try:
        period = disclosure.period(week, month, ctx.clock())
    except ValidationFailed as exc:
        body = _render(error=exc.errors[0].message, data=None, **asked)
        return _page(Response(body, status=422, mimetype="text/html"))

    def build() -> bytes:
        return _render(error=None, data=publication.published_cases(ctx, period),
                       **asked).encode("utf-8")
    key = f"{period.label}|{week or ''}|{month or ''}"  # the form echoes what was asked
    return _page(conditional(Response(built("page", key, build), mimetype="text/html")))


def _render(**context: Any) -> str:
    return render_template("public_cases.html", L=labels.catalogue(LANG), local=local_time,
                           day=day, heading=heading, verdict=verdict, **context)


def _page(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def local_time(iso: str | None) -> str:
    """A wire time shown in China Standard Time, as the public reads it."""
    if iso is None:
        return ""
    return datetime.fromisoformat(iso).astimezone(CST).strftime("%Y-%m-%d %H:%M")


def day(iso: str, shift: int = 0) -> str:
    """The day (China Standard Time) of a period's bound; `shift=-1` for the last day of a
    period whose end is the midnight after it."""
    local = datetime.fromisoformat(iso).astimezone(CST) + timedelta(days=shift)
    return local.strftime("%Y-%m-%d")


def heading(label: str) -> str:
    """A period as the public reads it: `2026-W48` is 2026 年第 48 周, `2026-11` 2026 年 11 月."""
    year, _, rest = label.partition("-")
    if rest.startswith("W"):
        return f"{year} 年第 {int(rest[1:])} 周"
    return f"{year} 年 {int(rest)} 月"


def verdict(on_time: bool | None) -> tuple[str, str]:
    """A milestone's published verdict as (class, word): met or missed in the catalogue's
    words for the clock's states; still open is said as such."""
    if on_time is None:
        return "open", "进行中"
    state = "on_time" if on_time else "overdue"
    return state, labels.name("states", state, LANG)
