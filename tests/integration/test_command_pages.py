"""The command center's pages on both databases: sign-in with the session cookie, CSRF, the
short-lived page token, revocation, the CSP, and that the bearer API is untouched by any of it."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest

from mobile_api import tokens
from server import config as cfgmod
from pages.command import messages
from pages.settings import tile_origin
from tests.helpers import reconfigure

ZHICHENG = "419001102"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"csrf": "([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _sign_in(client, username: str = "demo-commander", password: str = "demo",  # type: ignore[no-untyped-def]
             **extra):
    page = client.get("/command/sign-in")
    return client.post("/command/sign-in", data={
        "username": username, "password": password, "csrf_token": _csrf(page.text), **extra})


def _page_csrf(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/command/")
    assert page.status_code == 200
    return _csrf(page.text)


def test_a_page_without_a_session_redirects_to_sign_in_and_back(client):
    r = client.get("/command/?lang=en")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/command/sign-in?next=/command/")
    r = _sign_in(client, next="/command/?lang=en")
    assert r.status_code == 303 and r.headers["Location"] == "/command/?lang=en"


@pytest.mark.parametrize("target", ["https://evil.test/command", "//evil.test/command",
                                    "/api/v1/incidents", "/command\\@evil.test"])
def test_sign_in_never_redirects_off_the_pages(client, target):
    r = _sign_in(client, next=target)
    assert r.status_code == 303 and r.headers["Location"] == "/command/"


CONTROLLED_NEXT = ["/command/\r\nSet-Cookie: jy_command=forged", "/command/\n", "/command/\r",
                   "/command/?lang=en\t", "\t/command/", "/comm\tand/", "/command/\x0b",
                   "/command/\x1b[31m", "/command/\x7f", "/command/\x85", "/command/\u2028",
                   "/command/\u202e", "/command/\u200b", "/\t/evil.test/command",
                   "/command/\x00", " /command/", "/command/\u3000"]


@pytest.mark.parametrize("target", CONTROLLED_NEXT, ids=[repr(t) for t in CONTROLLED_NEXT])
def test_a_next_with_a_control_or_space_character_is_ignored_for_the_default_page(client,
                                                                                 target):
    r = _sign_in(client, next=target)
    assert r.status_code == 303 and r.headers["Location"] == "/command/", r.headers
    if "\x00" not in target:  # a NUL in the query string is refused before any page (422)
        page = client.get("/command/sign-in", query_string={"next": target})
        assert page.status_code == 200
        assert re.search(r'name="next" value="([^"]*)"', page.text).group(1) == "/command/"


def _session_of(app, response) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    """The session a response's Set-Cookie carries (None: no cookie set; {}: one deleted)."""
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("jy_command=")]
    if not cookies:
        return None
    value = cookies[0].split(";", 1)[0].split("=", 1)[1]
    if not value:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(value))


def test_a_refused_sign_in_sets_no_session_and_ends_the_one_the_browser_held(app, client,
                                                                             monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_REFUSAL_DELAY_SECONDS", 0)
    limiter = app.extensions["signin_limiter"]
    try:
        for lang in ("", "?lang=en"):
            browser = app.test_client()
            csrf = _csrf(browser.get("/command/sign-in").text)
            for form, status in (({"username": "demo-commander", "password": "wrong"}, 401),
                                 ({"username": "demo-commander", "password": ""}, 422),
                                 ({"username": "demo-reporter", "password": "demo"}, 403),
                                 ({"username": "demo-commander", "password": "demo",
                                   "csrf_token": "forged"}, 400)):
                r = browser.post("/command/sign-in" + lang, data={"csrf_token": csrf, **form})
                assert r.status_code == status, (form, r.status_code)
                assert r.headers.getlist("Set-Cookie") == [], (lang, form)
            for _ in range(11):  # a name's budget spent: the 429 sets nothing either
                r = browser.post("/command/sign-in" + lang, data={
                    "csrf_token": csrf, "username": "nobody-at-all", "password": "wrong"},
                    environ_base={"REMOTE_ADDR": "198.51.100.77"})
                assert r.status_code in (401, 429)
                assert r.headers.getlist("Set-Cookie") == [], (lang, r.status_code)
            assert r.status_code == 429
            assert browser.get("/command/").status_code == 302  # nobody signed in
            limiter.reset()
        # A browser signed in as one user fails to sign in as another: nobody stays signed in,
        # and the form it got back can be sent again (its CSRF token kept).
        assert _sign_in(client).status_code == 303
        assert client.get("/command/").status_code == 200
        page = client.get("/command/sign-in")
        r = client.post("/command/sign-in", data={"csrf_token": _csrf(page.text),
                                                  "username": f"dispatcher-{ZHICHENG}",
                                                  "password": "wrong"})
        assert r.status_code == 401
        left = _session_of(app, r)
        assert left is not None and "uid" not in left and "ver" not in left, left
        assert client.get("/command/").status_code == 302
        r = client.post("/command/sign-in", data={"csrf_token": _csrf(r.text),
                                                  "username": f"dispatcher-{ZHICHENG}",
                                                  "password": "demo"})
        assert r.status_code == 303 and client.get("/command/").status_code == 200
    finally:
        limiter.reset()


def test_the_session_cookie_is_httponly_lax_and_secure_over_tls(client, app):
    cookie = _sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    page = secure.get("/command/sign-in", base_url="https://localhost")
    # Over TLS Flask-WTF also wants a same-origin Referer (Referrer-Policy: same-origin sends it).
    r = secure.post("/command/sign-in", base_url="https://localhost",
                    headers={"Referer": "https://localhost/command/sign-in"}, data={
        "username": "demo-commander", "password": "demo", "csrf_token": _csrf(page.text)})
    assert r.status_code == 303 and "; Secure" in r.headers["Set-Cookie"]


def test_wrong_password_missing_fields_and_other_roles_are_refused_with_a_page(client):
    assert _sign_in(client, password="wrong").status_code == 401
    assert _sign_in(client, password="").status_code == 422
    r = _sign_in(client, username="demo-reporter")
    assert r.status_code == 403 and "指挥中心和调度员" in r.text
    assert _sign_in(client, username=f"officer-{ZHICHENG}").status_code == 403
    assert client.get("/command/").status_code == 302  # none of them made a session
    assert _sign_in(client, username=f"dispatcher-{ZHICHENG}").status_code == 303


@pytest.mark.parametrize("username", ["demo-commander%00", "demo-%ED%A0%80", "demo-%FF",
                                      "x" * 101])
def test_hostile_sign_in_fields_get_the_form_back_never_a_500(client, username):
    csrf = _csrf(client.get("/command/sign-in").text)
    r = client.post("/command/sign-in", content_type="application/x-www-form-urlencoded",
                    data=f"csrf_token={csrf}&username={username}&password=demo")
    assert r.status_code in (401, 422), r.status_code  # refused either way, with the form
    assert "<form" in r.text
    assert client.get("/command/").status_code == 302


def test_the_sign_in_form_takes_the_sign_in_body_limit(client, app):
    limit = cfgmod.of(app).SIGN_IN_MAX_BYTES
    csrf = _csrf(client.get("/command/sign-in").text)
    base = f"csrf_token={csrf}&username=demo-commander&password=demo&next="
    body = base + "a" * (limit - len(base))  # at the limit: judged (a bad next is ignored)
    r = client.post("/command/sign-in", data=body,
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 303
    r = client.post("/command/sign-in", data=body + "a",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and r.mimetype == "application/problem+json"


@pytest.mark.parametrize("kind", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_sign_in_form_sent_without_a_length_is_cut_off_at_the_limit(client, app, kind):
    """The throttle reads the username from the form before the view does: a body sent in
    chunks (no Content-Length) is still cut off at the sign-in's limit, in either encoding."""
    import io

    limit = cfgmod.of(app).SIGN_IN_MAX_BYTES
    csrf = _csrf(client.get("/command/sign-in").text)
    if kind.startswith("multipart"):
        kind += "; boundary=b"
        body = (f"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
                f"--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n"
                f"{'a' * limit}\r\n--b--\r\n")
    else:
        body = f"csrf_token={csrf}&password=x&username={'a' * limit}"
    r = client.post("/command/sign-in", input_stream=io.BytesIO(body.encode()),
                    content_type=kind, environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413 and r.mimetype == "application/problem+json", r.data[:200]


def test_every_post_of_the_pages_needs_the_csrf_token(client):
    r = client.post("/command/sign-in", data={"username": "demo-commander", "password": "demo"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert client.get("/command/").status_code == 302
    _sign_in(client)
    assert client.post("/command/token").status_code == 400
    assert client.post("/command/token", headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.post("/command/sign-out").status_code == 400
    assert client.get("/command/").status_code == 200  # still signed in
    assert client.post("/command/token",
                       headers={"X-CSRFToken": _page_csrf(client)}).status_code == 200


def test_the_bearer_api_needs_no_csrf_even_with_a_session_cookie(client, login):
    _sign_in(client)
    headers = login("demo-reporter")
    lon, lat = 112.6339, 35.0189
    r = client.post("/api/v1/incidents", headers=headers, json={
        "category": "power_cut", "description": "停电",
        "location": {"lat": lat, "lon": lon, "crs": "gcj02"}})
    assert r.status_code == 201, r.get_json()
    # ...and a cookie is no credential there.
    assert client.get("/api/v1/incidents").status_code == 401


def test_the_page_token_works_on_the_api_and_expires_at_its_ttl(client, app):
    _sign_in(client)
    r = client.post("/command/token", headers={"X-CSRFToken": _page_csrf(client)})
    body = r.get_json()
    assert body["expires_in"] == cfgmod.of(app).COMMAND_TOKEN_TTL_SECONDS == 600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    with app.app_context():
        _, at = tokens._serializer().loads(body["access_token"], return_timestamp=True)
    signed = at.timestamp()
    with mock.patch("mobile_api.tokens.time.time", return_value=signed + 600):  # at the limit
        assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    with mock.patch("mobile_api.tokens.time.time", return_value=signed + 600.01):  # past it
        r = client.get("/api/v1/incidents", headers=headers)
        assert r.status_code == 401 and "expired" in r.get_json()["detail"]


def test_deactivation_and_sign_out_end_the_session_and_its_tokens(client, app, ctx):
    from dispatch import identity

    _sign_in(client, username=f"dispatcher-{ZHICHENG}")
    csrf = _page_csrf(client)
    token = client.post("/command/token", headers={"X-CSRFToken": csrf}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    identity.deactivate_user(ctx, f"dispatcher-{ZHICHENG}")
    try:
        r = client.post("/command/token", headers={"X-CSRFToken": csrf})
        assert r.status_code == 401
        assert client.get("/command/").status_code == 302
        assert client.get("/api/v1/incidents", headers=headers).status_code == 401
    finally:
        with ctx.uow() as uow:
            uow.users.by_username(f"dispatcher-{ZHICHENG}").active = True
            uow.commit()
    other = app.test_client()
    _sign_in(other)
    csrf = _page_csrf(other)
    token = other.post("/command/token", headers={"X-CSRFToken": csrf}).get_json()
    r = other.post("/command/sign-out", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["Location"] == "/command/sign-in"
    assert other.get("/command/").status_code == 302
    assert other.get("/api/v1/incidents", headers={
        "Authorization": f"Bearer {token['access_token']}"}).status_code == 401


def test_failed_page_sign_ins_spend_the_apis_budget(tmp_path, clock):
    from tests.conftest import make_test_app

    app = make_test_app(None, tmp_path, clock, SIGNIN_LIMIT_PER_USER="3/minute",
                        SIGNIN_REFUSAL_DELAY_SECONDS=0)
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/auth/token", json={
            "username": "demo-commander", "password": "wrong"}).status_code == 401
    assert _sign_in(client, password="wrong").status_code == 401  # the third failure
    r = _sign_in(client)  # the fourth attempt, right password: the limit holds
    assert r.status_code == 429 and r.headers["Retry-After"]
    r = client.post("/api/v1/auth/token", json={"username": "demo-commander", "password": "demo"})
    assert r.status_code == 429
    app.extensions["dispatch"].engine.dispose()


def test_the_pages_csp_allows_no_inline_script_and_only_the_configured_tiles(client, app,
                                                                          monkeypatch):
    policy = client.get("/command/sign-in").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in policy
    assert directives["img-src"] == "'self' data: blob:"
    reconfigure(app, monkeypatch, TILE_URL="https://{s}.tiles.example.cn/{z}/{x}/{y}.png")
    policy = client.get("/command/sign-in").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tiles.example.cn" in policy
    assert tile_origin("http://127.0.0.1:8080/{z}/{x}/{y}.png") == "http://127.0.0.1:8080"
    assert tile_origin("javascript:alert(1)") is None
    # A provider: its hosts, each named, and nothing else.
    reconfigure(app, monkeypatch, TILE_URL="", TILE_PROVIDER="tencent")
    policy = client.get("/command/sign-in").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["img-src"] == "'self' data: blob: " + " ".join(
        f"https://rt{i}.map.gtimg.com" for i in range(4))


def test_the_page_carries_its_settings_and_the_chosen_language(client):
    _sign_in(client)
    html = client.get("/command/").text
    assert '"checkin_radius_m": 200.0' in html and '"lang": "zh-CN"' in html
    assert "<script>" not in html.replace('<script type="application/json" id="boot">', "")
    assert 'lang="en"' in client.get("/command/?lang=en").text
    assert 'lang="en"' in client.get("/command/").text  # kept in the session
    assert 'lang="en"' in client.get("/command/?lang=xx").text  # an unknown one changes nothing
    assert 'lang="zh-CN"' in client.get("/command/?lang=zh-CN").text


@pytest.mark.parametrize(("setting", "value"), [("TILE_DATUM", "bd09"), ("TILE_DATUM", ""),
                                                ("TILE_URL", "javascript:alert(1)"),
                                                ("TILE_URL", "/tiles/{z}/{x}/{y}.png")])
def test_a_wrong_tile_setting_stops_the_server_at_start(tmp_path, clock, setting, value):
    from server import create_app

    with pytest.raises(ValueError, match=f"DISPATCH_{setting}"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                    "CLOCK": clock, setting: value})


def test_both_catalogues_have_the_same_words():
    zh, en = messages.catalogue("zh-CN"), messages.catalogue("en")
    assert set(zh) == set(en)
    assert all(v.strip() for v in (*zh.values(), *en.values()))
    assert messages.catalogue("fr") is zh


def test_session_lifetime_is_the_token_lifetime(app):
    assert app.permanent_session_lifetime == timedelta(seconds=cfgmod.of(app).TOKEN_TTL_SECONDS)


def test_the_pages_link_a_favicon_and_the_root_one_answers(client):
    """A browser asks for an icon on every page: a 404 there is logged as an error."""
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/vnd.microsoft.icon"
    assert r.headers["Cache-Control"] == "public, max-age=86400"  # the same for everyone
    assert r.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    _sign_in(client)
    for page in ("/command/sign-in", "/command/"):
        html = client.get(page).text
        found = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', html)
        assert found, page
        icon = client.get(found.group(1))
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml", page
        assert icon.data.startswith(b"<svg ")
