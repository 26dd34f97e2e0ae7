"""Who may call what: every HTTP route × every kind of caller, with the answer each must get.

The table below is the contract (API.md, with the project's rule that what you may not see answers
404 so that its existence does not leak). Each cell is its own test, named `scenario-subject`,
and runs on both databases. Every cell builds, through the API, the state in which the action
would otherwise succeed (accept and check-in on a dispatched case with a fix at the site, restore
on a case on site, resolve on a restored one), so a refusal proves the check and a success proves
the permission. A refused call must write nothing; a successful write must write something.

`test_every_route_is_in_the_matrix` walks Flask's URL map: a new route cannot be added without a
row here that says who may call it.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from dispatch.storage import tables as t
from tests.helpers import KEJING, ZHICHENG, location
from tests.helpers import seat as _read_seat


@cache
def seat(code: str = ZHICHENG) -> tuple[float, float]:
    """A territory's seat; tests.helpers reads the demo file on every call, which adds up here."""
    return _read_seat(code)


def report(client: Any, headers: dict[str, str], code: str = ZHICHENG) -> Any:
    """A power cut at a territory's seat, as tests.helpers.report sends it."""
    lon, lat = seat(code)
    return client.post("/api/v1/incidents", headers=headers, json={
        "category": "power_cut", "description": "停电, 生产线停了", "location": location(lon, lat)})


# -- who calls -----------------------------------------------------------------------------------
# The case of every incident scenario is demo-reporter's power cut at 轵城镇's seat: it is routed
# to 轵城镇 (419001102) and to power_supply; 克井 and water_supply are not responsible for it.
ANON, BAD, DISABLED = "anonymous", "bad_token", "disabled"
SUBJECTS: dict[str, str | None] = {
    ANON: None,                                # no Authorization header
    BAD: None,                                 # a forged bearer token
    DISABLED: f"officer-{ZHICHENG}",           # the town's officer, signed in, then disabled
    "reporter": "demo-reporter",               # the case's reporter, the site's owner
    "reporter_2": "demo-reporter-2",           # another enterprise
    "officer_town": f"officer-{ZHICHENG}",     # the territory the case lies in
    "officer_other": f"officer-{KEJING}",      # another territory
    "officer_dept": "officer-power_supply",    # the department a power cut is routed to
    "officer_unrouted": "officer-water_supply",  # a department not routed for it
    "dispatcher_town": f"dispatcher-{ZHICHENG}",
    "dispatcher_other": f"dispatcher-{KEJING}",
    "dispatcher_dept": "dispatcher-power_supply",
    "dispatcher_unrouted": "dispatcher-water_supply",
    "commander": "demo-commander",
    "admin": "demo-admin",
}
COLUMNS = list(SUBJECTS)

# For list routes the answer is 200 either way; what matters is whether the thing is in it.
SEE = "200, listed"
HID = "200, not listed"

# -- the expected answers ------------------------------------------------------------------------
# Columns: anonymous, bad token, disabled account, reporter, reporter_2,
#          officer: town, other town, routed dept, unrouted dept,
#          dispatcher: town, other town, routed dept, unrouted dept, commander, admin
# fmt: off
MATRIX: dict[str, tuple[int | str, ...]] = {
    #                  anon bad  dis  rep  rep2 oT   oX   oD   oU   dT   dX   dD   dU   cmd  adm
    # Signing in as oneself; the anonymous and bad-token callers sign in as demo-reporter (a
    # stale header does not block sign-in); a disabled account cannot sign in.
    "sign_in":        (200, 200, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "sign_in_wrong":  (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    # Signing out (the route arrives with h/signin): every signed-in user may, and afterwards
    # the token it used answers 401.
    "sign_out":       (401, 401, 401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204),
    "report":         (401, 401, 401, 201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    # At demo-reporter's registered site: reporter_2 gets 422 on site_id ("no such site
    # registered by you"), not 403, so another enterprise's sites do not leak.
    "report_at_site": (401, 401, 401, 201, 422, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    # demo-reporter's Idempotency-Key sent again: its owner gets the first case back (200, a
    # replay); reporter_2's key space is its own, so it files a new case, never sees the first.
    "report_same_key": (401, 401, 401, 200, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "list":           (401, 401, 401, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, SEE),
    # Filtering on the case's unit, category and status never widens what a caller may see.
    "list_filtered":  (401, 401, 401, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, SEE),
    # The map of open cases is scoped like the list, filters included.
    # Searching by case number (`number`, trimmed, any case) or text (`q`) neither.
    "list_number":    (401, 401, 401, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, SEE),
    "list_q":         (401, 401, 401, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, SEE),
    "map":            (401, 401, 401, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, SEE),
    "map_filtered":   (401, 401, 401, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, HID, SEE, SEE),
    "show":           (401, 401, 401, 200, 404, 200, 404, 200, 404, 200, 404, 200, 404, 200, 200),
    # A case that does not exist answers exactly like one the caller may not see.
    "show_missing":   (401, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "photo":          (401, 401, 401, 200, 404, 200, 404, 200, 404, 200, 404, 200, 404, 200, 200),
    # The case's photo asked for through reporter_2's case at 克井 (which the commander, 克井's
    # units and reporter_2 may see): a photo is found only under its own case.
    "photo_elsewhere": (401, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    # Field actions: a caller who cannot see the case gets 404 before any role check; one who
    # sees it in the wrong role gets 403.
    "accept":         (401, 401, 401, 403, 404, 200, 404, 200, 404, 403, 404, 403, 404, 403, 403),
    "check_in":       (401, 401, 401, 403, 404, 200, 404, 200, 404, 403, 404, 403, 404, 403, 403),
    # Officer-only (API.md): dispatchers' 403 here needs the contract branch (h/contract) merged.
    "restore":        (401, 401, 401, 403, 404, 200, 404, 200, 404, 403, 404, 403, 404, 403, 403),
    "resolve":        (401, 401, 401, 403, 404, 200, 404, 200, 404, 200, 404, 200, 404, 403, 403),
    # The supervision cycle: the reporter answers the follow-up and complains; a responsible
    # unit's dispatcher extends; command replies to complaints and assigns centrally.
    "feedback":       (401, 401, 401, 200, 404, 403, 404, 403, 404, 403, 404, 403, 404, 403, 403),
    "extend":         (401, 401, 401, 403, 404, 403, 404, 403, 404, 200, 404, 200, 404, 403, 403),
    "complain":       (401, 401, 401, 201, 404, 403, 404, 403, 404, 403, 404, 403, 404, 403, 403),
    "reply":          (401, 401, 401, 403, 404, 403, 404, 403, 404, 403, 404, 403, 404, 200, 403),
    "assign":         (401, 401, 401, 403, 404, 403, 404, 403, 404, 403, 404, 403, 404, 200, 403),
    # Command reminds a responsible unit (issue 17): an event to the unit's room.
    "remind":         (401, 401, 401, 403, 404, 403, 404, 403, 404, 403, 404, 403, 404, 200, 403),
    # The assessment: a dispatcher its own unit, command every unit.
    "stats":          (401, 401, 401, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 200, 403),
    # Any officer sends its own positions, whatever the unit.
    "positions":      (401, 401, 401, 403, 403, 202, 202, 202, 202, 403, 403, 403, 403, 403, 403),
    # The officers' roster (last positions): command every unit's, a dispatcher its own unit's;
    # listed: the town's officer.
    "officers":       (401, 401, 401, 403, 403, 403, 403, 403, 403, SEE, HID, HID, HID, SEE, 403),
    # An officer's trail (the town's officer): command, or its own unit's dispatcher; another
    # unit's dispatcher is told no such officer (404), as for a case it may not see.
    "trail":          (401, 401, 401, 403, 403, 403, 403, 403, 403, 200, 404, 404, 404, 200, 403),
    # A site owned by demo-reporter: the owner or an administrator registers it.
    "site_create":    (401, 401, 401, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201),
    "site_green":     (401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201),
    # Reporters list their own sites; command and administrators all of them (the route's
    # documented roles: reporter, admin, commander).
    "site_list":      (401, 401, 401, SEE, HID, 403, 403, 403, 403, 403, 403, 403, 403, SEE, SEE),
    "units":          (401, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "boundaries":     (401, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    # Public: a token, even a forged one or a disabled user's, changes nothing.
    "healthz":        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "readyz":         (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    # Not by token but by address (the suite's client is loopback; DISPATCH_METRICS_TOKEN
    # aside): tests/integration/test_metrics.py holds the addresses and the token.
    "metrics":        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "openapi":        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    # The public disclosure, JSON and page: anyone; a commander alone withholds a case.
    "public_cases":   (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "public_page":    (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "public_static":  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "withhold":       (401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403),
    "public_text":    (401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403),
    # Open311: an outside system's api_key, not a bearer token, is what counts; reads need none.
    "o311_discovery": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "o311_services":  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "o311_service":   (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "o311_requests":  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "o311_create":    (201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201),
    "o311_no_key":    (403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "o311_request":   (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "o311_token":     (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    **{f"o311_elsewhere_{m}": (404,) * 15 for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    # The command center's pages go by their session cookie, never by a bearer token: without a
    # session every page sends to sign-in, and every POST without the CSRF token is refused
    # (signing in, out, or getting a page token); sign-in's form and the scripts are public.
    # Who may use the pages once signed in: tests/integration/test_command_pages.py.
    "command_page":   (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    "command_page_slash":  # noqa: E131
                      (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
    "command_sign_in_form":  # noqa: E131
                      (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "command_sign_in": (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    "command_sign_out": (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    "command_token":  (400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    "command_static": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "favicon":        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "labels":         (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "shared_static":  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    # Photos added to a case after it: its reporter, or an officer or dispatcher of its units.
    "add_photos":     (401, 401, 401, 201, 404, 201, 404, 201, 404, 201, 404, 201, 404, 403, 403),
    # The reporter's phone app: static, public files (its data come from the API, by token).
    "report_app":     (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "report_app_bare": (308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308),
    "report_manifest": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "report_worker":  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "report_shell":   (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    # The officer's phone app: the same, static and public (only officers can sign in to it).
    "officer_app":    (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "officer_app_bare": (308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308, 308),
    "officer_manifest": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "officer_worker": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "officer_shell":  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
}
# fmt: on

# The timeline of the case after the town's officer accepted it, as each caller who may read
# the case sees it: the events of that caller's rooms (API.md's Socket.IO audience), so an
# officer reads its own unit's offer, not the other unit's, and command reads everything.
OFFER_TOWN, OFFER_DEPT = ("offered", ZHICHENG), ("offered", "power_supply")
REPORTED, DISPATCHED, ACCEPTED = ("reported", None), ("dispatched", None), ("accepted", None)
ALL = [REPORTED, DISPATCHED, OFFER_TOWN, OFFER_DEPT, ACCEPTED]
TIMELINE: dict[str, list[tuple[str, str | None]]] = {
    "reporter": [REPORTED, DISPATCHED, ACCEPTED],
    "officer_town": [OFFER_TOWN, ACCEPTED],
    "officer_dept": [OFFER_DEPT, ACCEPTED],
    "dispatcher_town": [OFFER_TOWN, ACCEPTED],
    "dispatcher_dept": [OFFER_DEPT, ACCEPTED],
    "commander": ALL,
    "admin": ALL,
}


# -- how each scenario is set up -----------------------------------------------------------------
@dataclass
class Call:
    method: str
    url: str
    json: Any = None
    data: dict[str, Any] | None = None  # multipart
    headers: dict[str, str] = field(default_factory=dict)  # besides Authorization
    listed: str | None = None  # for list routes: the id whose presence is the answer
    effect: Callable[[Any], bool] | None = None  # what a success must have done
    writes: bool = False  # whether a success must write (a refusal never may)
    revokes: bool = False  # a success must leave the caller's token dead


@dataclass
class Env:
    client: Any
    ctx: Any
    clock: Any
    backend: str
    cache: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def sign_in(self, username: str) -> tuple[str, str]:
        key = (self.backend, username)
        if key not in self.cache:
            r = self.client.post("/api/v1/auth/token",
                                 json={"username": username, "password": "demo"})
            assert r.status_code == 200, (username, r.get_json())
            body = r.get_json()
            self.cache[key] = (body["access_token"], body["user_id"])
        return self.cache[key]

    def headers(self, subject: str) -> dict[str, str]:
        if subject == ANON:
            return {}
        if subject == BAD:
            return {"Authorization": "Bearer not-a-token.forged.by-hand"}
        username = SUBJECTS[subject]
        assert username is not None
        return {"Authorization": f"Bearer {self.sign_in(username)[0]}"}

    def user_id(self, subject: str) -> str:
        username = SUBJECTS[subject]
        assert username is not None
        return self.sign_in(username)[1]

    def post(self, subject: str, url: str, headers: dict[str, str] | None = None,
             **kw: Any) -> Any:
        r = self.client.post(url, headers={**self.headers(subject), **(headers or {})}, **kw)
        assert r.status_code < 300, (url, r.status_code, r.get_json())
        return r.get_json()


# Tokens are signed once per database and user: the matrix signs in fifteen users, not hundreds.
_TOKENS: dict[tuple[str, str], tuple[str, str]] = {}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def _case(env: Env) -> dict[str, Any]:
    """demo-reporter's power cut at 轵城镇's seat: dispatched to 轵城镇 and power_supply."""
    r = report(env.client, env.headers("reporter"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _at_site() -> dict[str, Any]:
    return {"location": location(*seat())}


def _on_site(env: Env) -> dict[str, Any]:
    inc = _case(env)
    env.post("officer_town", f"/api/v1/incidents/{inc['id']}/check-in", json=_at_site())
    return inc


def _restored(env: Env) -> dict[str, Any]:
    inc = _on_site(env)
    env.post("officer_town", f"/api/v1/incidents/{inc['id']}/restore", json={"note": "通电了"})
    return inc


def _with_photo(env: Env) -> tuple[str, str]:
    lon, lat = seat()
    payload = json.dumps({"category": "power_cut", "description": "停电",
                          "location": location(lon, lat)})
    body = env.post("reporter", "/api/v1/incidents", content_type="multipart/form-data",
                    data={"payload": payload, "photos": [(io.BytesIO(_png()), "a.png")]})
    return body["id"], body["photos"][0]["url"]


def _site(env: Env, **extra: Any) -> dict[str, Any]:
    return {"name": "一号厂区", "location": location(*seat()), **extra}


def _own_site(env: Env) -> str:
    return str(env.post("reporter", "/api/v1/sites", json=_site(env))["id"])


def _status(expected: str) -> Callable[[Any], bool]:
    return lambda body: body["status"] == expected


def sign_in(env: Env, subject: str) -> Call:
    username = SUBJECTS[subject] or "demo-reporter"
    return Call("POST", "/api/v1/auth/token", json={"username": username, "password": "demo"})


def sign_in_wrong(env: Env, subject: str) -> Call:
    username = SUBJECTS[subject] or "demo-reporter"
    return Call("POST", "/api/v1/auth/token", json={"username": username, "password": "demo!"})


def sign_out(env: Env, subject: str) -> Call:
    return Call("POST", "/api/v1/auth/sign-out", revokes=True)


def report_call(env: Env, subject: str) -> Call:
    lon, lat = seat()
    return Call("POST", "/api/v1/incidents", json={
        "category": "power_cut", "description": "停电", "location": location(lon, lat)},
        effect=_status("dispatched"), writes=True)


def report_at_site(env: Env, subject: str) -> Call:
    return Call("POST", "/api/v1/incidents", json={
        "category": "power_cut", "description": "停电", "site_id": _own_site(env)},
        effect=_status("dispatched"), writes=True)


def report_same_key(env: Env, subject: str) -> Call:
    """demo-reporter has reported with this key; the same request with the same key again."""
    key = {"Idempotency-Key": "matrix-key-1"}
    first = env.post("reporter", "/api/v1/incidents", headers=key,
                     json=report_call(env, subject).json)["id"]
    if subject == "reporter":  # its own replay: the first case again, nothing new
        return Call("POST", "/api/v1/incidents", json=report_call(env, subject).json,
                    headers=key, effect=lambda body: body["id"] == first)
    return Call("POST", "/api/v1/incidents", json=report_call(env, subject).json, headers=key,
                effect=lambda body: body["id"] != first, writes=True)


def list_call(env: Env, subject: str) -> Call:
    return Call("GET", "/api/v1/incidents", listed=_case(env)["id"])


def list_filtered(env: Env, subject: str) -> Call:
    inc = _case(env)
    return Call("GET", f"/api/v1/incidents?unit={ZHICHENG}&category=power_cut&status=dispatched",
                listed=inc["id"])


def list_number(env: Env, subject: str) -> Call:
    inc = _case(env)
    return Call("GET", f"/api/v1/incidents?number=%20{inc['case_number'].lower()}%20",
                listed=inc["id"])


def list_q(env: Env, subject: str) -> Call:
    inc = _case(env)
    return Call("GET", "/api/v1/incidents?q=" + inc["case_number"][-9:], listed=inc["id"])


def trail(env: Env, subject: str) -> Call:
    officers(env, subject)
    return Call("GET", f"/api/v1/officers/{env.user_id('officer_town')}/trail")


def officers(env: Env, subject: str) -> Call:
    lon, lat = seat()
    env.post("officer_town", "/api/v1/officers/me/positions", json=[
        {"lat": lat, "lon": lon, "accuracy_m": 8, "recorded_at": env.clock.now.isoformat()}])
    return Call("GET", "/api/v1/officers", listed=env.user_id("officer_town"))


def map_call(env: Env, subject: str) -> Call:
    return Call("GET", "/api/v1/map/incidents", listed=_case(env)["id"])


def map_filtered(env: Env, subject: str) -> Call:
    inc = _case(env)
    lon, lat = seat()
    return Call("GET", f"/api/v1/map/incidents?unit={ZHICHENG}&category=power_cut"
                f"&bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}", listed=inc["id"])


def show(env: Env, subject: str) -> Call:
    return Call("GET", f"/api/v1/incidents/{_case(env)['id']}")


def show_missing(env: Env, subject: str) -> Call:
    _case(env)
    return Call("GET", f"/api/v1/incidents/{uuid.uuid4().hex}")


def photo(env: Env, subject: str) -> Call:
    return Call("GET", _with_photo(env)[1])


def photo_elsewhere(env: Env, subject: str) -> Call:
    _, url = _with_photo(env)
    other = report(env.client, env.headers("reporter_2"), code=KEJING).get_json()["id"]
    photo_id = url.rsplit("/", 1)[1]
    return Call("GET", f"/api/v1/incidents/{other}/photos/{photo_id}")


def add_photos(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_case(env)['id']}/photos",
                data={"photos": [(io.BytesIO(_png()), "a.png")]},
                effect=lambda body: len(body["photos"]) == 1, writes=True)


def accept(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_case(env)['id']}/accept",
                effect=lambda body: any(u["accepted_at"] for u in body["units"]), writes=True)


def check_in(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_case(env)['id']}/check-in", json=_at_site(),
                effect=_status("on_site"), writes=True)


def restore(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_on_site(env)['id']}/restore",
                json={"note": "通电了"}, effect=_status("restored"), writes=True)


def resolve(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_restored(env)['id']}/resolve",
                json={"note": "线路换新"}, effect=_status("resolved"), writes=True)


def _resolved(env: Env) -> dict[str, Any]:
    inc = _restored(env)
    env.post("officer_town", f"/api/v1/incidents/{inc['id']}/resolve", json={"note": "好了"})
    return inc


def feedback(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_resolved(env)['id']}/feedback",
                json={"satisfied": True, "rating": 5}, effect=_status("closed"), writes=True)


def extend(env: Env, subject: str) -> Call:
    inc = _case(env)
    until = (env.clock.now + timedelta(days=10)).isoformat()
    return Call("POST", f"/api/v1/incidents/{inc['id']}/extend",
                json={"reason": "等待设备", "until": until},
                effect=lambda body: body["extension"]["count"] == 1, writes=True)


def complain(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_case(env)['id']}/complaints",
                json={"text": "太慢"}, effect=lambda body: body["id"] == 1, writes=True)


def reply(env: Env, subject: str) -> Call:
    inc = _case(env)
    env.post("reporter", f"/api/v1/incidents/{inc['id']}/complaints", json={"text": "太慢"})
    return Call("POST", f"/api/v1/incidents/{inc['id']}/complaints/1/reply",
                json={"reply": "已督办"}, effect=lambda body: body["replied_on_time"] is True,
                writes=True)


def assign(env: Env, subject: str) -> Call:
    inc = _case(env)
    due = (env.clock.now + timedelta(days=1)).isoformat()
    return Call("POST", f"/api/v1/incidents/{inc['id']}/assign",
                json={"unit": ZHICHENG, "person": env.user_id("officer_town"), "due": due},
                effect=lambda body: body["central_assignment"]["unit"] == ZHICHENG, writes=True)


def remind(env: Env, subject: str) -> Call:
    inc = _case(env)
    return Call("POST", f"/api/v1/incidents/{inc['id']}/remind",
                json={"unit": ZHICHENG, "note": "请尽快到场"},
                effect=lambda body: body["id"] == inc["id"], writes=True)


def stats(env: Env, subject: str) -> Call:
    _case(env)
    return Call("GET", "/api/v1/stats/units", effect=lambda body: len(body["units"]) >= 1)


def positions(env: Env, subject: str) -> Call:
    lon, lat = seat()
    fix = {"lat": lat, "lon": lon, "accuracy_m": 8, "recorded_at": env.clock.now.isoformat()}
    return Call("POST", "/api/v1/officers/me/positions", json=[fix],
                effect=lambda body: body["stored"] == 1, writes=True)


def site_create(env: Env, subject: str) -> Call:
    return Call("POST", "/api/v1/sites", json=_site(env, owner_id=env.user_id("reporter")),
                effect=lambda body: body["owner_id"] == env.user_id("reporter"), writes=True)


def site_green(env: Env, subject: str) -> Call:
    return Call("POST", "/api/v1/sites",
                json=_site(env, owner_id=env.user_id("reporter"), green_channel=True),
                effect=lambda body: body["green_channel"] is True, writes=True)


def site_list(env: Env, subject: str) -> Call:
    return Call("GET", "/api/v1/sites", listed=_own_site(env))


def withhold(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_case(env)['id']}/withhold",
                json={"reason": "涉及个人隐私"}, writes=True,
                effect=lambda body: body["reason"] == "涉及个人隐私")


def public_text(env: Env, subject: str) -> Call:
    return Call("POST", f"/api/v1/incidents/{_case(env)['id']}/public-text",
                json={"problem": "厂区停电", "result": ""}, writes=True,
                effect=lambda body: body["published"]["problem"] == "厂区停电")


def _o311_form(key: str = "demo-open311-key") -> dict[str, Any]:
    lon, lat = seat()
    return {"api_key": key, "service_code": "power_cut", "lat": str(lat), "long": str(lon),
            "description": "停电"}


def o311_create(env: Env, subject: str) -> Call:
    return Call("POST", "/open311/v2/requests.json", data=_o311_form(), writes=True,
                effect=lambda body: len(body) == 1 and "service_request_id" in body[0])


def o311_no_key(env: Env, subject: str) -> Call:
    return Call("POST", "/open311/v2/requests.json", data=_o311_form("not-a-key"))


def _o311_created(env: Env) -> str:
    r = env.client.post("/open311/v2/requests.json", data=_o311_form())
    assert r.status_code == 201, r.data
    return str(r.get_json()[0]["service_request_id"])


def o311_request(env: Env, subject: str) -> Call:
    return Call("GET", f"/open311/v2/requests/{_o311_created(env)}.xml")


def o311_token(env: Env, subject: str) -> Call:
    return Call("GET", f"/open311/v2/tokens/{_o311_created(env)}.json")


def _o311_elsewhere(method: str) -> Callable[[Env, str], Call]:
    return lambda env, subject: Call(method, "/open311/v2/services.json/more")


def _get(url: str) -> Callable[[Env, str], Call]:
    return lambda env, subject: Call("GET", url)


def _post_form(url: str, **form: str) -> Callable[[Env, str], Call]:
    return lambda env, subject: Call("POST", url, json=form)


@dataclass(frozen=True)
class Route:
    method: str
    rule: str  # as Flask's URL map spells it
    prepare: Callable[[Env, str], Call]


INCIDENT = "/api/v1/incidents/<incident_id>"
O311, FMT = "/open311/v2", "<any(json, xml):fmt>"
SCENARIOS: dict[str, Route] = {
    "sign_in": Route("POST", "/api/v1/auth/token", sign_in),
    "sign_in_wrong": Route("POST", "/api/v1/auth/token", sign_in_wrong),
    "sign_out": Route("POST", "/api/v1/auth/sign-out", sign_out),
    "report": Route("POST", "/api/v1/incidents", report_call),
    "report_at_site": Route("POST", "/api/v1/incidents", report_at_site),
    "report_same_key": Route("POST", "/api/v1/incidents", report_same_key),
    "list": Route("GET", "/api/v1/incidents", list_call),
    "list_filtered": Route("GET", "/api/v1/incidents", list_filtered),
    "list_number": Route("GET", "/api/v1/incidents", list_number),
    "list_q": Route("GET", "/api/v1/incidents", list_q),
    "officers": Route("GET", "/api/v1/officers", officers),
    "trail": Route("GET", "/api/v1/officers/<officer_id>/trail", trail),
    "map": Route("GET", "/api/v1/map/incidents", map_call),
    "map_filtered": Route("GET", "/api/v1/map/incidents", map_filtered),
    "show": Route("GET", INCIDENT, show),
    "show_missing": Route("GET", INCIDENT, show_missing),
    "photo": Route("GET", f"{INCIDENT}/photos/<photo_id>", photo),
    "photo_elsewhere": Route("GET", f"{INCIDENT}/photos/<photo_id>", photo_elsewhere),
    "accept": Route("POST", f"{INCIDENT}/accept", accept),
    "check_in": Route("POST", f"{INCIDENT}/check-in", check_in),
    "restore": Route("POST", f"{INCIDENT}/restore", restore),
    "resolve": Route("POST", f"{INCIDENT}/resolve", resolve),
    "feedback": Route("POST", f"{INCIDENT}/feedback", feedback),
    "extend": Route("POST", f"{INCIDENT}/extend", extend),
    "complain": Route("POST", f"{INCIDENT}/complaints", complain),
    "reply": Route("POST", f"{INCIDENT}/complaints/<number>/reply", reply),
    "assign": Route("POST", f"{INCIDENT}/assign", assign),
    "remind": Route("POST", f"{INCIDENT}/remind", remind),
    "stats": Route("GET", "/api/v1/stats/units", stats),
    "positions": Route("POST", "/api/v1/officers/me/positions", positions),
    "site_create": Route("POST", "/api/v1/sites", site_create),
    "site_green": Route("POST", "/api/v1/sites", site_green),
    "site_list": Route("GET", "/api/v1/sites", site_list),
    "units": Route("GET", "/api/v1/units", _get("/api/v1/units")),
    "boundaries": Route("GET", "/api/v1/units/boundaries", _get("/api/v1/units/boundaries")),
    "healthz": Route("GET", "/healthz", _get("/healthz")),
    "readyz": Route("GET", "/readyz", _get("/readyz")),
    "metrics": Route("GET", "/metrics", _get("/metrics")),
    "openapi": Route("GET", "/api/v1/openapi.json", _get("/api/v1/openapi.json")),
    "public_cases": Route("GET", "/api/v1/public/cases", _get("/api/v1/public/cases")),
    "public_page": Route("GET", "/public/cases", _get("/public/cases?week=2026-W48")),
    "public_static": Route("GET", "/public/static/<path:filename>",
                           _get("/public/static/public.css")),
    "withhold": Route("POST", f"{INCIDENT}/withhold", withhold),
    "public_text": Route("POST", f"{INCIDENT}/public-text", public_text),
    "o311_discovery": Route("GET", f"{O311}/discovery.{FMT}", _get(f"{O311}/discovery.xml")),
    "o311_services": Route("GET", f"{O311}/services.{FMT}", _get(f"{O311}/services.json")),
    "o311_service": Route("GET", f"{O311}/services/<service_code>.{FMT}",
                          _get(f"{O311}/services/road_blocked.xml")),
    "o311_requests": Route("GET", f"{O311}/requests.{FMT}", _get(f"{O311}/requests.json")),
    "o311_create": Route("POST", f"{O311}/requests.{FMT}", o311_create),
    "o311_no_key": Route("POST", f"{O311}/requests.{FMT}", o311_no_key),
    "o311_request": Route("GET", f"{O311}/requests/<request_id>.{FMT}", o311_request),
    "o311_token": Route("GET", f"{O311}/tokens/<token>.{FMT}", o311_token),
    **{f"o311_elsewhere_{m}": Route(m, f"{O311}/<path:rest>", _o311_elsewhere(m))
       for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    "command_page": Route("GET", "/command", _get("/command")),
    "command_page_slash": Route("GET", "/command/", _get("/command/")),
    "command_sign_in_form": Route("GET", "/command/sign-in", _get("/command/sign-in")),
    "command_sign_in": Route("POST", "/command/sign-in", _post_form(
        "/command/sign-in", username="demo-commander", password="demo")),
    "command_sign_out": Route("POST", "/command/sign-out", _post_form("/command/sign-out")),
    "command_token": Route("POST", "/command/token", _post_form("/command/token")),
    "command_static": Route("GET", "/command/static/<path:filename>",
                            _get("/command/static/main.js")),
    "favicon": Route("GET", "/favicon.ico", _get("/favicon.ico")),
    "labels": Route("GET", "/api/v1/labels", _get("/api/v1/labels")),
    "shared_static": Route("GET", "/static/shared/<path:filename>",
                           _get("/static/shared/live.js")),
    "add_photos": Route("POST", f"{INCIDENT}/photos", add_photos),
    "report_app": Route("GET", "/m/report/", _get("/m/report/")),
    "report_app_bare": Route("GET", "/m/report", _get("/m/report")),
    "report_manifest": Route("GET", "/m/report/manifest.webmanifest",
                             _get("/m/report/manifest.webmanifest")),
    "report_worker": Route("GET", "/m/report/sw.js", _get("/m/report/sw.js")),
    "report_shell": Route("GET", "/m/report/v/<version>/<path:tail>",
                          _get("/m/report/v/any/shared/outbox.js")),
    "officer_app": Route("GET", "/m/officer/", _get("/m/officer/")),
    "officer_app_bare": Route("GET", "/m/officer", _get("/m/officer")),
    "officer_manifest": Route("GET", "/m/officer/manifest.webmanifest",
                              _get("/m/officer/manifest.webmanifest")),
    "officer_worker": Route("GET", "/m/officer/sw.js", _get("/m/officer/sw.js")),
    "officer_shell": Route("GET", "/m/officer/v/<version>/<path:tail>",
                           _get("/m/officer/v/any/shared/trail.js")),
}

# What a call may change: every state change of a case writes an event; the rest write rows.
WRITTEN = (t.incidents, t.events, t.photos, t.sites, t.idempotency_keys, t.officer_positions,
           t.officer_last_positions)


def _counts(ctx: Any) -> tuple[int, ...]:
    """The row counts of WRITTEN, in one round trip."""
    counts = [select(func.count()).select_from(tab).scalar_subquery() for tab in WRITTEN]
    with ctx.engine.connect() as conn:
        return tuple(conn.execute(select(*counts)).one())


def _set_active(env: Env, username: str, active: bool) -> None:
    with env.ctx.engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.username == username).values(active=active))
    if active:  # tokens issued before the account was disabled may stay revoked: sign in anew
        env.cache.pop((env.backend, username), None)


@pytest.fixture
def env(client, ctx, clock, backend) -> Env:  # type: ignore[no-untyped-def]
    return Env(client, ctx, clock, backend, _TOKENS)


CELLS = [pytest.param(name, subject, expected, id=f"{name}-{subject}")
         for name, row in MATRIX.items() for subject, expected in zip(COLUMNS, row, strict=True)]


@pytest.mark.parametrize(("scenario", "subject", "expected"), CELLS)
def test_cell(env: Env, scenario: str, subject: str, expected: int | str) -> None:
    route = SCENARIOS[scenario]
    call = route.prepare(env, subject)
    assert call.method == route.method
    headers = env.headers(subject)  # signed in while the account is still active
    before = _counts(env.ctx)
    if subject == DISABLED:
        _set_active(env, SUBJECTS[DISABLED] or "", False)
    try:
        kw: dict[str, Any] = {"json": call.json} if call.data is None else {
            "data": call.data, "content_type": "multipart/form-data"}
        r = env.client.open(call.url, method=call.method, headers={**headers, **call.headers},
                            **kw)
    finally:
        if subject == DISABLED:
            _set_active(env, SUBJECTS[DISABLED] or "", True)
    body = r.get_json(silent=True)
    got: int | str = r.status_code
    if call.listed is not None and r.status_code == 200:
        items = body["features"] if "features" in body else body["items"]
        got = SEE if call.listed in [item["id"] for item in items] else HID
    assert got == expected, f"{scenario} as {subject}: expected {expected}, got {got}: {body}"
    if r.status_code >= 400:  # Open311 answers errors in the standard's own form
        assert r.mimetype == ("application/json" if call.url.startswith("/open311/")
                              else "application/problem+json"), r.mimetype
        assert _counts(env.ctx) == before, f"{scenario} as {subject} was refused but wrote"
    else:
        assert call.effect is None or call.effect(body), f"{scenario} as {subject}: {body}"
        wrote = _counts(env.ctx) != before
        assert wrote is call.writes, f"{scenario} as {subject} answered {got}; wrote: {wrote}"
        if call.revokes:
            env.cache.pop((env.backend, SUBJECTS[subject] or ""), None)
            after = env.client.get("/api/v1/units", headers=headers)
            assert after.status_code == 401, f"{scenario} as {subject}: the token still works"


def test_every_route_is_in_the_matrix(app) -> None:  # type: ignore[no-untyped-def]
    """A route without a row, or a row for a route that is gone, fails here."""
    served = {(method, rule.rule) for rule in app.url_map.iter_rules()
              for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    described = {(route.method, route.rule) for route in SCENARIOS.values()}
    assert served - described == set(), "routes with no row in the authorization matrix"
    assert described - served == set(), "matrix rows for routes the app does not serve"
    assert set(MATRIX) == set(SCENARIOS)


@pytest.mark.parametrize("subject", list(TIMELINE))
def test_timeline_holds_only_the_events_of_the_readers_rooms(env: Env, subject: str) -> None:
    inc = _case(env)
    env.post("officer_town", f"/api/v1/incidents/{inc['id']}/accept")
    r = env.client.get(f"/api/v1/incidents/{inc['id']}", headers=env.headers(subject))
    assert r.status_code == 200, r.get_json()
    got = [(e["type"], e["data"].get("unit") if e["type"] == "offered" else None)
           for e in r.get_json()["timeline"]]
    assert got == TIMELINE[subject]
