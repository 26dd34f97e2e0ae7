"""Sign-in and accounts: throttling, hashes and their upgrade, revocable tokens, demo salts.

Every test here runs on SQLite and on PostGIS (the `app` fixture). The limits of the shared test
apps are the defaults (10 failures a minute per username, 60 per address); each test signs in
from its own made-up client address and the limiter is emptied afterwards, so the rest of the
suite, which signs in a lot, never meets a limit left over from here.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from werkzeug.security import generate_password_hash

from dispatch import identity
from dispatch.model import Role, User
from dispatch.storage import tables as t
from tests.helpers import reconfigure
from dispatch.usernames import normalize

TOKEN = "/api/v1/auth/token"
SIGN_OUT = "/api/v1/auth/sign-out"


@pytest.fixture
def limiter(app, monkeypatch):  # type: ignore[no-untyped-def]
    reconfigure(app, monkeypatch, SIGNIN_REFUSAL_DELAY_SECONDS=0)  # tested on its own below
    lim = app.extensions["signin_limiter"]
    lim.reset()
    yield lim
    lim.reset()


def _from(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _sign_in(client, username: str, password: str, address: str = "203.0.113.1", **kw):  # type: ignore[no-untyped-def]
    return client.post(TOKEN, json={"username": username, "password": password},
                       **_from(address), **kw)


@pytest.fixture
def member(ctx):  # type: ignore[no-untyped-def]
    """make(password_hash=None) -> a new reporter (password "pw"), removed afterwards."""
    made: list[str] = []

    def make(password_hash: str | None = None) -> User:
        user = User(username=f"member-{uuid.uuid4().hex[:8]}",
                    password_hash=password_hash or ctx.password_hasher("pw"), role=Role.REPORTER)
        with ctx.uow() as uow:
            uow.users.add(user)
            uow.commit()
        made.append(user.id)
        return user

    yield make
    with ctx.engine.begin() as conn:
        conn.execute(delete(t.users).where(t.users.c.id.in_(made)))


def _stored_hash(ctx, user_id: str) -> str:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return conn.execute(select(t.users.c.password_hash)
                            .where(t.users.c.id == user_id)).scalar_one()


def _assert_429(r, field: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 429, r.get_json()
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["status"] == 429 and body["errors"][0]["field"] == field
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60


# -- throttling ---------------------------------------------------------------------------------

def test_ten_failures_per_username_are_answered_the_eleventh_is_refused_with_retry_after(
        app, client, ctx, limiter, monkeypatch):
    from dataclasses import replace
    checked: list[int] = []
    verify = ctx.password_verifier
    monkeypatch.setitem(app.extensions, "dispatch", replace(  # the Context is frozen
        ctx, password_verifier=lambda stored, pw: (checked.append(1), verify(stored, pw))[1]))
    for _ in range(10):  # at the limit
        assert _sign_in(client, "demo-reporter-2", "wrong").status_code == 401
    assert len(checked) == 10
    _assert_429(_sign_in(client, "demo-reporter-2", "wrong"), "username")  # one past it
    # Refused before any hash is computed, the right password included: that is the point.
    _assert_429(_sign_in(client, "demo-reporter-2", "demo", "203.0.113.99"), "username")
    assert len(checked) == 10
    # Other users, from the same address, are not affected.
    assert _sign_in(client, "demo-reporter", "demo").status_code == 200


def test_a_refusal_is_answered_after_the_configured_pause(app, client, limiter, monkeypatch):
    import time
    for _ in range(10):
        assert _sign_in(client, "demo-admin", "wrong", "203.0.113.8").status_code == 401
    reconfigure(app, monkeypatch, SIGNIN_REFUSAL_DELAY_SECONDS=0.3)
    started = time.monotonic()
    _assert_429(_sign_in(client, "demo-admin", "wrong", "203.0.113.8"), "username")
    assert time.monotonic() - started >= 0.3


def test_successful_sign_ins_do_not_count(client, limiter):
    for _ in range(15):
        assert _sign_in(client, "demo-reporter", "demo", "203.0.113.2").status_code == 200
    for _ in range(10):
        assert _sign_in(client, "demo-reporter", "wrong", "203.0.113.2").status_code == 401
    _assert_429(_sign_in(client, "demo-reporter", "wrong", "203.0.113.2"), "username")


def test_sixty_failures_per_address_over_many_usernames_then_refused(client, limiter):
    for i in range(60):
        r = _sign_in(client, f"nobody-{i}", "wrong", "203.0.113.3")
        assert r.status_code == 401, (i, r.get_json())
    _assert_429(_sign_in(client, "nobody-60", "wrong", "203.0.113.3"), "client")
    _assert_429(_sign_in(client, "demo-reporter", "demo", "203.0.113.3"), "client")
    assert _sign_in(client, "nobody-61", "wrong", "203.0.113.4").status_code == 401


def test_x_forwarded_for_is_not_believed_without_a_trusted_proxy(client, limiter):
    for i in range(60):
        r = _sign_in(client, f"nobody-{i}", "wrong", "203.0.113.5",
                     headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert r.status_code == 401
    _assert_429(_sign_in(client, "nobody-x", "wrong", "203.0.113.5",
                         headers={"X-Forwarded-For": "198.51.100.200"}), "client")


def test_bad_bodies_are_refused_as_before_and_not_counted(client, limiter):
    for body in ({"username": "demo-reporter"}, {"password": "x"}, [1, 2], "x"):
        for _ in range(12):
            r = client.post(TOKEN, json=body, **_from("203.0.113.6"))
            assert r.status_code in (400, 422), r.get_json()
    assert _sign_in(client, "demo-reporter", "demo", "203.0.113.6").status_code == 200


# -- one spelling of a user name, Redis-backed as in production --------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
PAGE = "/command/sign-in"
_redis_apps: dict[str, Any] = {}


@pytest.fixture
def redis_app(backend, app, clock, tmp_path_factory, request, monkeypatch):  # type: ignore[no-untyped-def]
    """An app of `backend` whose sign-in limiter counts in Redis, as production's does (`app`
    is asked for so that the test database is seeded, and cleaned after the test, as usual).
    The limiter is not reset: each test uses a user and client addresses of its own.

    Two differences from production, both for the test machine's sake: Redis is given 10 s to
    answer instead of 1 s (a loaded machine that stalls the process past 1 s would switch the
    limiter to its in-memory fallback, and the counts would split), and its Socket.IO server
    gets no message queue (that server is one object per process, shared by every test app, and
    Flask-SocketIO keeps a queue given once for every later app)."""
    if backend not in _redis_apps:
        from server import throttle
        from server.extensions import socketio
        init, limiter = socketio.init_app, throttle.Limiter
        monkeypatch.setattr(socketio, "init_app",
                            lambda app, **kw: init(app, **{**kw, "message_queue": None}))
        monkeypatch.setattr(throttle, "Limiter", lambda *a, **kw: limiter(*a, **{
            **kw, "storage_options": {"socket_timeout": 10, "socket_connect_timeout": 10}}))
        url = request.getfixturevalue("postgis_url") if backend == "postgis" else None
        from tests.conftest import make_test_app
        made = make_test_app(url, tmp_path_factory.mktemp(f"redis-{backend}"), clock,
                             REDIS_URL=REDIS_URL, SIGNIN_REFUSAL_DELAY_SECONDS=0)
        from limits.storage import RedisStorage
        assert isinstance(made.extensions["signin_limiter"].storage, RedisStorage)
        _redis_apps[backend] = made
    yield _redis_apps[backend]


@pytest.fixture
def commander(redis_app):  # type: ignore[no-untyped-def]
    """A commander of its own (password "pw"; the page signs in commanders), removed after."""
    ctx = redis_app.extensions["dispatch"]
    user = User(username=f"cmd-{uuid.uuid4().hex[:10]}", password_hash=ctx.password_hasher("pw"),
                role=Role.COMMANDER)
    with ctx.uow() as uow:
        uow.users.add(user)
        uow.commit()
    yield user
    with ctx.engine.begin() as conn:
        conn.execute(delete(t.users).where(t.users.c.id == user.id))


def _full_width(name: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)


def spellings(name: str) -> list[str]:
    """The same account, typed otherwise (each signs in as `name`)."""
    return [f" {name}", f"{name}\t", f"\u3000{name}", name.upper(), _full_width(name),
            f"{name}\u00a0", name.title(), f"\ufeff{name}\u200b",
            f"\u3000{_full_width(name.upper())}\n"]


ENCODINGS = ("json", "urlencoded", "multipart")


class Attempts:
    """Sign-in attempts from a client address of their own each, by the API (JSON) or by the
    page's form in either encoding."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.client = app.test_client()
        self.prefix = f"10.{uuid.uuid4().int % 200}.{uuid.uuid4().int % 200}."
        self.n = 0
        self.csrf = self._csrf()

    def _csrf(self) -> str:
        page = self.client.get(PAGE, **_from(self.address()))
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def address(self) -> str:
        self.n += 1
        return self.prefix + str(self.n)

    def __call__(self, how: str, username: str, password: str):  # type: ignore[no-untyped-def]
        if how == "json":
            return _sign_in(self.client, username, password, self.address())
        form = {"csrf_token": self.csrf, "username": username, "password": password}
        kind = "multipart/form-data" if how == "multipart" else "application/x-www-form-urlencoded"
        r = self.client.post(PAGE, data=form, content_type=kind, **_from(self.address()))
        if r.status_code == 303:  # signed in: a new session, with a new CSRF token
            self.csrf = self._csrf()
        return r


def _in_redis(name: str) -> bool:
    """Whether Redis holds the per-user count of `name` (its one spelling, hashed)."""
    import hashlib

    import redis
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        return any(True for _ in connection.scan_iter(match=f"*{digest}*", count=1000))
    finally:
        connection.close()


def test_a_locked_account_stays_locked_under_every_spelling_and_both_form_encodings(
        redis_app, commander):
    name, attempt = commander.username, Attempts(redis_app)
    assert attempt("multipart", name, "pw").status_code == 303  # the account and the page work
    for i in range(10):  # the limit, each from another address and by another way
        r = attempt(ENCODINGS[i % 3], name, "wrong")
        assert r.status_code == 401, (i, r.status_code)
    assert _in_redis(name)
    for spelling in [name, *spellings(name)]:
        for how in ENCODINGS:
            r = attempt(how, spelling, "pw")  # the right password: refused before any hash
            _assert_429(r, "username")


def test_failures_under_mixed_spellings_and_encodings_count_as_one_at_exactly_the_limit(
        redis_app, commander):
    name, attempt = commander.username, Attempts(redis_app)
    ways = [(how, spelling) for spelling in spellings(name) for how in ENCODINGS]
    for how, spelling in ways[:9]:  # one short of the limit
        assert attempt(how, spelling, "wrong").status_code == 401, (how, spelling)
    # Not locked: the right password signs in (and a success is not counted) ...
    assert attempt("json", name.upper(), "pw").status_code == 200
    assert attempt("urlencoded", f" {name}", "pw").status_code == 303
    # ... and the tenth failure is still judged; then every way is refused.
    how, spelling = ways[9]
    assert attempt(how, spelling, "wrong").status_code == 401
    for how, spelling in ways[10:13]:
        _assert_429(attempt(how, spelling, "pw"), "username")


def test_the_commands_find_an_account_under_any_spelling(redis_app, commander):
    cli = redis_app.test_cli_runner()
    out = cli.invoke(args=["create-user", f"\u3000{_full_width(commander.username.upper())} ",
                           "--role", "commander"], input="pw\npw\n")
    assert out.exit_code != 0 and "exists already" in out.output, out.output
    out = cli.invoke(args=["deactivate-user", commander.username.upper() + "\t"])
    assert out.exit_code == 0 and f"{commander.username} is deactivated" in out.output
    assert Attempts(redis_app)("json", commander.username, "pw").status_code == 401


def test_a_new_account_is_stored_in_its_one_spelling(redis_app):
    ctx, cli = redis_app.extensions["dispatch"], redis_app.test_cli_runner()
    given = f" Zhang\u3000San-{uuid.uuid4().hex[:6].upper()} "
    try:
        out = cli.invoke(args=["create-user", given, "--role", "commander"], input="pw\npw\n")
        assert out.exit_code == 0, out.output
        stored = normalize(given)
        assert stored == given.strip().lower().replace("\u3000", " ")
        assert _user_id(ctx, stored)
        for spelling in (given, stored, stored.upper(), _full_width(stored)):
            assert Attempts(redis_app)("json", spelling, "pw").status_code == 200, spelling
        for bad in ("\u3000 \t", "x" * 101, "na\x07me"):
            out = cli.invoke(args=["create-user", bad, "--role", "commander"],
                             input="pw\npw\n")
            assert out.exit_code != 0 and "username" in out.output, (bad, out.output)
    finally:
        with ctx.engine.begin() as conn:
            conn.execute(delete(t.users).where(t.users.c.username == normalize(given)))


# -- hashes -------------------------------------------------------------------------------------

def test_every_demo_user_has_its_own_salt(ctx):
    with ctx.engine.connect() as conn:
        codes = conn.execute(select(t.units.c.code)).scalars().all()
        names = ["demo-reporter", "demo-reporter-2", "demo-commander", "demo-admin",
                 *(f"{role}-{code}" for code in codes for role in ("officer", "dispatcher"))]
        hashes = conn.execute(select(t.users.c.password_hash)
                              .where(t.users.c.username.in_(names))).scalars().all()
    assert len(hashes) == 50
    assert len(set(hashes)) == len(hashes)


@pytest.mark.parametrize("method", ["scrypt:16384:8:1", "pbkdf2:sha256:2000"])
def test_an_older_hash_still_signs_in_and_is_replaced_by_the_configured_one(
        client, ctx, member, limiter, method):
    user = member(generate_password_hash("pw", method=method))
    r = _sign_in(client, user.username, "pw")
    assert r.status_code == 200, r.get_json()
    stored = _stored_hash(ctx, user.id)
    assert stored.startswith("pbkdf2:sha256:1000$")  # the tests' configured method
    assert _sign_in(client, user.username, "pw").status_code == 200
    assert _stored_hash(ctx, user.id) == stored  # current now: not rewritten again
    assert _sign_in(client, user.username, "wrong").status_code == 401


def test_a_wrong_password_never_rewrites_an_old_hash(client, ctx, member, limiter):
    old = generate_password_hash("pw", method="scrypt:16384:8:1")
    user = member(old)
    assert _sign_in(client, user.username, "wrong").status_code == 401
    assert _stored_hash(ctx, user.id) == old


def test_a_damaged_stored_hash_is_a_401_not_a_500(client, member, limiter):
    for bad in ("", "garbage", "$argon2id$v=19$m=8,t=1,p=1$broken", "pbkdf2:nope$x$y"):
        user = member(bad or "x")
        assert _sign_in(client, user.username, "pw").status_code == 401


# -- revocation ---------------------------------------------------------------------------------

def _bearer(r) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


def test_sign_out_revokes_every_token_of_the_user(client, member, limiter):
    user = member()
    phone, tablet = (_bearer(_sign_in(client, user.username, "pw")) for _ in range(2))
    assert client.get("/api/v1/units", headers=phone).status_code == 200
    assert client.post(SIGN_OUT, headers=tablet).status_code == 204
    for headers in (phone, tablet):
        r = client.get("/api/v1/units", headers=headers)
        assert r.status_code == 401 and "revoked" in r.get_json()["detail"]
    assert client.post(SIGN_OUT, headers=phone).status_code == 401
    fresh = _bearer(_sign_in(client, user.username, "pw"))
    assert client.get("/api/v1/units", headers=fresh).status_code == 200


def test_sign_out_needs_a_valid_token(client):
    assert client.post(SIGN_OUT).status_code == 401
    assert client.post(SIGN_OUT, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_deactivate_user_command_stops_its_tokens_and_its_sign_in(app, client, member, limiter):
    user = member()
    headers = _bearer(_sign_in(client, user.username, "pw"))
    out = app.test_cli_runner().invoke(args=["deactivate-user", user.username])
    assert out.exit_code == 0, out.output
    assert client.get("/api/v1/units", headers=headers).status_code == 401
    assert _sign_in(client, user.username, "pw").status_code == 401
    out = app.test_cli_runner().invoke(args=["deactivate-user", "nobody-at-all"])
    assert out.exit_code != 0 and "no user" in out.output


def test_any_path_that_disables_an_account_revokes_its_tokens_for_good(client, ctx, member,
                                                                       limiter):
    user = member()
    headers = _bearer(_sign_in(client, user.username, "pw"))
    with ctx.uow() as uow:  # an ORM path other than the use case
        uow.users.get(user.id).active = False
        uow.commit()
    assert client.get("/api/v1/units", headers=headers).status_code == 401
    with ctx.uow() as uow:
        uow.users.get(user.id).active = True
        uow.commit()
    # Re-enabled: it signs in again, but what was issued before the deactivation stays dead.
    assert client.get("/api/v1/units", headers=headers).status_code == 401
    assert client.get("/api/v1/units", headers=_bearer(
        _sign_in(client, user.username, "pw"))).status_code == 200


def test_revocation_holds_across_processes_by_the_database_alone(app, client, ctx, member,
                                                                 limiter):
    """Another process (here: a plain SQL update, as any other writer) raises the version."""
    user = member()
    headers = _bearer(_sign_in(client, user.username, "pw"))
    with ctx.engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.id == user.id)
                     .values(token_version=t.users.c.token_version + 1))
    assert client.get("/api/v1/units", headers=headers).status_code == 401


def test_revoke_tokens_of_an_unknown_user_is_not_found(ctx):
    from dispatch.errors import NotFound
    with pytest.raises(NotFound):
        identity.revoke_tokens(ctx, "no-such-user")


# -- configurations of their own (the embedded database; nothing here depends on the store) ----

@pytest.fixture
def own_app(tmp_path, clock):  # type: ignore[no-untyped-def]
    """own_app(**config) -> a fresh app on its own SQLite database."""
    from tests.conftest import make_test_app
    made: list[Any] = []

    def make(**extra: Any):  # type: ignore[no-untyped-def]
        app = make_test_app(None, tmp_path / f"instance-{len(made)}", clock,
                            **{"SIGNIN_REFUSAL_DELAY_SECONDS": 0, **extra})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["dispatch"].engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(own_app):
    app = own_app(TRUSTED_PROXY_HOPS=1, SIGNIN_LIMIT_PER_ADDRESS="3/minute")
    client = app.test_client()

    def attempt(forwarded: str) -> int:
        return _sign_in(client, f"nobody-{uuid.uuid4().hex[:6]}", "wrong", "10.0.0.2",
                        headers={"X-Forwarded-For": forwarded}).status_code

    assert [attempt("198.51.100.1") for _ in range(3)] == [401, 401, 401]
    assert attempt("198.51.100.1") == 429
    # Another client behind the same proxy has its own budget; a spoofed extra hop on the left
    # changes nothing, as only the address the proxy appended is believed.
    assert attempt("198.51.100.2") == 401
    assert attempt("203.0.113.77, 198.51.100.1") == 429


def test_limits_can_be_raised_or_disabled(own_app):
    off = own_app(SIGNIN_LIMIT_ENABLED=False).test_client()
    assert {_sign_in(off, "demo-reporter", "wrong").status_code for _ in range(25)} == {401}
    raised = own_app(SIGNIN_LIMIT_PER_USER="20/minute").test_client()
    assert {_sign_in(raised, "demo-reporter", "wrong").status_code for _ in range(20)} == {401}
    assert _sign_in(raised, "demo-reporter", "wrong").status_code == 429


def test_a_bad_limit_or_hash_setting_stops_the_start_not_a_sign_in(own_app):
    with pytest.raises(ValueError, match="SIGNIN_LIMIT_PER_USER"):
        own_app(SIGNIN_LIMIT_PER_USER="often")
    with pytest.raises(ValueError, match="argon2id"):
        own_app(PASSWORD_HASH_METHOD="argon2id:fast")


def test_argon2id_is_the_default_and_older_schemes_and_parameters_are_upgraded(own_app):
    app = own_app(PASSWORD_HASH_METHOD="argon2id:1:64:1")
    ctx, client = app.extensions["dispatch"], app.test_client()
    demo_hash = _stored_hash(ctx, _user_id(ctx, "demo-reporter"))
    assert demo_hash.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    from server.passwords import Scheme
    olds = {"scrypt": generate_password_hash("pw", method="scrypt:16384:8:1"),
            "pbkdf2": generate_password_hash("pw", method="pbkdf2:sha256:2000"),
            "argon2-weaker": Scheme("argon2id:1:32:1").hash("pw")}
    for name, old in olds.items():
        user = User(username=f"legacy-{name}", password_hash=old, role=Role.REPORTER)
        with ctx.uow() as uow:
            uow.users.add(user)
            uow.commit()
        assert _sign_in(client, user.username, "pw").status_code == 200, name
        new = _stored_hash(ctx, user.id)
        assert new.startswith("$argon2id$v=19$m=64,t=1,p=1$") and new != old, name
        assert _sign_in(client, user.username, "pw").status_code == 200
        assert _stored_hash(ctx, user.id) == new  # current: left alone


def _user_id(ctx, username: str) -> str:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return conn.execute(select(t.users.c.id)
                            .where(t.users.c.username == username)).scalar_one()


def test_the_production_default_is_argon2id_with_owasp_parameters():
    from server.config import Config
    from server.passwords import Scheme
    assert Config().PASSWORD_HASH_METHOD == "argon2id"
    assert Scheme("argon2id").hash("x").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0004_keeps_the_users_and_their_unversioned_tokens(store, tmp_path, clock):
    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import text

    from dispatch.storage.database import make_engine

    from dispatch.storage import migrate
    from mobile_api import tokens as tokmod
    from tests.conftest import make_test_app, scratch_database

    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(text(  # the table as 0003 made it: no token_version
                "INSERT INTO users (id, username, password_hash, role, display_name, active) "
                "VALUES ('u-before', 'before', :h, 'reporter', '', :a)"),
                {"h": generate_password_hash("pw", "pbkdf2:sha256:1000"), "a": True})
        engine.dispose()
        app = make_test_app(url, tmp_path / "instance", clock)
        with engine.connect() as conn:
            assert conn.execute(select(t.users.c.token_version)
                                .where(t.users.c.id == "u-before")).scalar_one() == 0
        old_token = URLSafeTimedSerializer("test-secret", salt=tokmod.SALT).dumps(
            {"uid": "u-before"})
        client = app.test_client()
        assert client.get("/api/v1/units",
                          headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
        assert _sign_in(client, "before", "pw").status_code == 200
        app.extensions["dispatch"].engine.dispose()
        engine.dispose()


def test_the_token_answer_names_the_users_unit_for_the_officers_phone_app(client, limiter):
    """The officer's app shows its unit's tasks by it; a reporter has none."""
    for username, unit in (("officer-419001102", "419001102"),
                           ("dispatcher-power_supply", "power_supply"), ("demo-reporter", None)):
        r = client.post(TOKEN, json={"username": username, "password": "demo"},
                        **_from("198.51.100.77"))
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["unit_code"] == unit, username
