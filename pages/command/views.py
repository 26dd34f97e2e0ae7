"""The command center's routes: thin, as the API's are. The page itself is a static document;
its scripts call the API with the token from `POST /command/token`."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import (Blueprint, Response, abort, redirect, render_template, request,
                   send_from_directory, session, url_for)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf

from dispatch import identity
from dispatch import labels
from dispatch.errors import Unauthorized, ValidationFailed
from dispatch.model import Role
from mobile_api import tokens
from mobile_api.context import dispatch_context
from mobile_api.schemas import TokenRequest
from mobile_api.validation import validate
from pages.command import actions, messages
from pages.command import session as web
from pages.command.csp import content_security_policy

bp = Blueprint("command", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

ROLES = (Role.COMMANDER, Role.DISPATCHER)


@bp.before_request
def _guard() -> None:
    """CSRF on every state-changing request of the pages; the language chosen by `?lang=` on a
    page (a GET: the pages' language links), never by a POST, whose answer may be a refusal."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        web.csrf.protect()
        return
    lang = request.args.get("lang")
    if lang in messages.LANGUAGES:
        session["lang"] = lang


@bp.after_request
def _no_session_from_a_refusal(response: Response) -> Response:
    """A sign-in that is refused (401, 403, 422, 429, a CSRF 400...) leaves nobody signed in:
    not the user it named, nor one whose session the browser held before (a shared terminal).
    The session keeps only its CSRF token, so the form it shows again can be sent again."""
    if request.endpoint == "command.sign_in" and request.method == "POST" \
            and response.status_code != 303:
        web.forget_user()
    return response


@bp.after_request
def _policy(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = content_security_policy()
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


def _lang() -> str:
    lang = session.get("lang")
    return lang if lang in messages.LANGUAGES else messages.DEFAULT


def _safe_next(target: str | None) -> str:
    """Only a path of these pages: never an open redirect to another site. A target with a
    control, format or space character anywhere (CR/LF, tab, NUL, NEL, direction marks...) is
    ignored for the default page: browsers and URL parsers drop or read such characters
    differently, and a header cannot carry CR/LF at all."""
    default = url_for("command.page")
    if not target or any(unicodedata.category(c)[0] in "CZ" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/command") or "\\" in target:
        return default
    return target


@bp.get("")
@bp.get("/")
def page() -> ResponseReturnValue:
    user = web.current_user()
    if user is None or user.role not in ROLES:
        return redirect(url_for("command.sign_in", next=request.full_path.rstrip("?")))
    lang = _lang()
    return render_template(
        "command.html", lang=lang, t=messages.catalogue(lang), L=labels.catalogue(lang), user=user,
        unit_name=identity.unit_name(dispatch_context(), user.unit_code),
        boot={"lang": lang, "messages": messages.catalogue(lang), "role": user.role,
              "unit": user.unit_code, "user": user.display_name or user.username,
              "csrf": generate_csrf(), "may": actions.allowed(user.role), "user_id": user.id,
              **web.page_config()})


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    lang = _lang()
    t = messages.catalogue(lang)
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("sign_in.html", lang=lang, t=t, next=target, error=None)
    try:
        form = validate(TokenRequest, {"username": request.form.get("username", ""),
                                       "password": request.form.get("password", "")})
    except ValidationFailed:
        return render_template("sign_in.html", lang=lang, t=t, next=target,
                               error=t["signin.missing"]), 422
    try:
        user = identity.authenticate(dispatch_context(), form.username, form.password)
    except Unauthorized:
        return render_template("sign_in.html", lang=lang, t=t, next=target,
                               error=t["signin.wrong"]), 401
    if user.role not in ROLES:
        return render_template("sign_in.html", lang=lang, t=t, next=target,
                               error=t["signin.role"]), 403
    web.sign_in(user)
    session["lang"] = lang
    return redirect(target, 303)


def favicon() -> Response:
    """`/favicon.ico`, for browsers that ask the site's root (the pages link the SVG): without
    it the browser logs a 404 as an error on every page."""
    assert bp.static_folder is not None
    return send_from_directory(bp.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon")


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    web.sign_out(web.current_user())
    return redirect(url_for("command.sign_in"), 303)


@bp.post("/token")
def token() -> ResponseReturnValue:
    """A short-lived bearer token for the page's scripts. POST with the CSRF header, no CORS on
    this path: only a script of this origin can obtain and read it."""
    user = web.current_user()
    if user is None or user.role not in ROLES:
        abort(401)
    ttl = web.token_ttl()
    return {"access_token": tokens.issue(user, ttl), "expires_in": ttl}
