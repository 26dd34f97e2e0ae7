"""Browser sign-in: a session cookie, CSRF on every state-changing request, and revocation by
the same token version as the bearer tokens.

- The cookie is Flask's signed session (the app's secret key), `HttpOnly` (scripts cannot read
  it), `SameSite=Lax` (a cross-site form or script does not send it with a POST) and `Secure`
  when the request came over TLS (directly or, with trusted proxies, by `X-Forwarded-Proto`) or
  when `DISPATCH_SESSION_COOKIE_SECURE` says so. It holds the user's id and token version: each
  request re-reads the user, so deactivation or any sign-out (page or API) ends the session at
  once, in every process, exactly as it ends bearer tokens.
- CSRF: Flask-WTF's token is required on every POST of the pages (a form field or the
  `X-CSRFToken` header), besides SameSite. The bearer API is untouched: a cookie means nothing
  there, so a forged request to it has no credentials to ride on.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from dispatch import identity
from dispatch.errors import Unauthorized
from dispatch.model import User
from mobile_api import tokens
from mobile_api.context import dispatch_context
from pages import settings

COOKIE = "jy_command"
csrf = CSRFProtect()


class TLSAwareSessionInterface(SecureCookieSessionInterface):
    """`Secure` on the cookie whenever the browser reached us over TLS, not only by config."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return settings.of(app).cookie_secure or _secure(request)


def _secure(req: Request) -> bool:
    try:
        return req.is_secure
    except RuntimeError:  # outside a request
        return False


def install(app: Flask) -> None:
    ttl = settings.of(app).session_ttl_s
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=ttl,
        # Checked by the command blueprint itself (csrf.protect()), never on the bearer API.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=ttl,
    )
    app.session_interface = TLSAwareSessionInterface()
    csrf.init_app(app)


def sign_in(user: User) -> None:
    session.clear()
    session.permanent = True
    session["uid"], session["ver"] = user.id, user.token_version


def forget_user() -> None:
    """The session stops naming a user (written back only if it named one)."""
    for key in ("uid", "ver"):
        if key in session:  # a pop of a missing key would still mark the session changed
            session.pop(key)


def current_user() -> User | None:
    """The session's user as read now, or None (no session, disabled, revoked)."""
    uid, ver = session.get("uid"), session.get("ver")
    if not isinstance(uid, str) or not isinstance(ver, int):
        return None
    try:
        return tokens.check_user(identity.load_user(dispatch_context(), uid), ver)
    except Unauthorized:
        session.clear()
        return None


def sign_out(user: User | None) -> None:
    """Ends the session and, as the API's sign-out does, every token of the user: a copied
    cookie or a token the page held stops working too."""
    if user is not None:
        identity.revoke_tokens(dispatch_context(), user.id)
    session.clear()


def token_ttl() -> int:
    return settings.current().page_token_ttl_s


def page_config() -> dict[str, Any]:
    cfg = settings.current()
    base = cfg.base_map()
    return {"tile_url": base.layers[0].url if base.layers else None,
            "tile_datum": base.datum,
            "tiles": base.boot(),
            "checkin_radius_m": cfg.checkin_radius_m,
            "checkin_accuracy_cap_m": cfg.checkin_accuracy_cap_m,
            "token_ttl_s": cfg.page_token_ttl_s}
