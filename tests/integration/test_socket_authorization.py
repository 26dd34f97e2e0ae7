"""Who may use the real-time channel, and who hears what: the `/live` namespace's authorization
matrix, in-process with Flask-SocketIO's test client, on both databases.

Connecting needs a valid token of an active account. Each client request (`task.accept`,
`position`, `resync`) is answered through its acknowledgement, `{ok: true}` or
`{ok: false, error: {status}}`, with the same statuses as the HTTP routes. Every pushed frame and
every resync answer holds only the events of the connection's rooms (API.md: a unit's officers and
dispatchers hear their unit, a reporter its own cases, command everything). As in the HTTP matrix,
each cell is its own test named `event-subject`, built in a state where the request would
otherwise succeed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from sqlalchemy import func, select, update

from dispatch import deadlines
from dispatch.storage import tables as t
from geo.jiyuan import demo_seats
from server.extensions import socketio
from server.realtime import NAMESPACE
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


ANON, BAD, DISABLED = "anonymous", "bad_token", "disabled"
SUBJECTS: dict[str, str | None] = {
    ANON: None,                                # connects with no auth payload
    BAD: None,                                 # connects with a forged token
    DISABLED: f"officer-{ZHICHENG}",           # the town's officer, connected, then disabled
    "reporter": "demo-reporter",               # the case's reporter
    "reporter_2": "demo-reporter-2",
    "officer_town": f"officer-{ZHICHENG}",     # the case is at 轵城镇's seat, a power cut
    "officer_other": f"officer-{KEJING}",
    "officer_dept": "officer-power_supply",    # routed for a power cut
    "officer_unrouted": "officer-water_supply",
    "dispatcher_town": f"dispatcher-{ZHICHENG}",
    "dispatcher_other": f"dispatcher-{KEJING}",
    "dispatcher_dept": "dispatcher-power_supply",
    "dispatcher_unrouted": "dispatcher-water_supply",
    "commander": "demo-commander",
    "admin": "demo-admin",
}
COLUMNS = list(SUBJECTS)
ROLES = COLUMNS[3:]  # the signed-in, active callers

OK = 200  # {ok: true}
REF = "connection refused"  # the caller never gets a socket to emit on

# -- connecting ----------------------------------------------------------------------------------
CONNECT: dict[str, bool] = {ANON: False, BAD: False, DISABLED: False,
                            **{subject: True for subject in ROLES}}
# Auth payloads that are not {token: <valid token>}: all refused.
BAD_AUTH: dict[str, Any] = {
    "none": None, "empty": {}, "empty_token": {"token": ""}, "number": {"token": 123},
    "list": {"token": ["x"]}, "bare_string": "a-token-not-in-an-object",
    "forged": {"token": "eyJ1aWQiOiJ4In0.forged.sig"},
}

# -- client requests -----------------------------------------------------------------------------
# Columns: anonymous, bad token, disabled after connecting, reporter, reporter_2,
#          officer: town, other town, routed dept, unrouted dept,
#          dispatcher: town, other town, routed dept, unrouted dept, commander, admin
# `disabled`: the account is disabled while its socket is open; the next request must be refused
# (an error with status 401, or the server closing the socket), not run as that user.
# fmt: off
EVENTS: dict[str, tuple[int | str, ...]] = {
    #               anon bad  dis  rep  rep2 oT   oX   oD   oU   dT   dX   dD   dU   cmd  adm
    # On a dispatched case: unseen → 404 before the role check, seen in the wrong role → 403.
    "task.accept": (REF, REF, 401, 403, 404, OK,  404, OK,  404, 403, 404, 403, 404, 403, 403),
    # A fix at the site, now: any officer.
    "position":    (REF, REF, 401, 403, 403, OK,  OK,  OK,  OK,  403, 403, 403, 403, 403, 403),
    # A batch of fixes, as over HTTP: any officer.
    "positions":   (REF, REF, 401, 403, 403, OK,  OK,  OK,  OK,  403, 403, 403, 403, 403, 403),
    # Everyone may resync; what comes back is checked in test_each_subject_hears_its_rooms.
    "resync":      (REF, REF, 401, OK,  OK,  OK,  OK,  OK,  OK,  OK,  OK,  OK,  OK,  OK,  OK),
}
# fmt: on

# -- what each connection hears ------------------------------------------------------------------
# One case lived through every kind of frame: demo-reporter reports the power cut at 轵城镇, and
# 轵城镇's officer accepts it at once; at 5 min power_supply has not answered, so its offer is
# repeated and its dispatcher told; power_supply accepts; at 20 min both units are warned of the
# arrival deadline; 轵城镇's officer checks in; at 30 min power_supply is overdue. Frames as
# (socket event, event type, unit); the live frames and a resync from just before must both be
# exactly this, in order.
Frame = tuple[str, str, str | None]
T, D = ZHICHENG, "power_supply"
REPORTED: Frame = ("incident.updated", "reported", None)
DISPATCHED: Frame = ("incident.updated", "dispatched", None)
OFFER_T: Frame = ("task.offered", "offered", T)
OFFER_D: Frame = ("task.offered", "offered", D)
ACCEPT_T: Frame = ("incident.updated", "accepted", T)
ACCEPT_D: Frame = ("incident.updated", "accepted", D)
UNANSWERED_D: Frame = ("task.unanswered", "offer_unanswered", D)
NEAR_T: Frame = ("incident.deadline_near", "deadline_near", T)
NEAR_D: Frame = ("incident.deadline_near", "deadline_near", D)
ARRIVED_T: Frame = ("incident.updated", "arrived", T)
OVERDUE_D: Frame = ("incident.overdue", "overdue", D)
TOWN = [OFFER_T, ACCEPT_T, ACCEPT_D, NEAR_T, ARRIVED_T]
DEPT = [OFFER_D, ACCEPT_T, OFFER_D, ACCEPT_D, NEAR_D, ARRIVED_T, OVERDUE_D]
# Command hears everything but the warnings, which are for the unit (API.md).
COMMAND = [REPORTED, DISPATCHED, OFFER_T, OFFER_D, ACCEPT_T, OFFER_D, UNANSWERED_D, ACCEPT_D,
           ARRIVED_T, OVERDUE_D]
HEARD: dict[str, list[Frame]] = {
    "reporter": [REPORTED, DISPATCHED, ACCEPT_T, ACCEPT_D, ARRIVED_T],
    "reporter_2": [],
    "officer_town": TOWN,
    "officer_other": [],
    "officer_dept": DEPT,
    "officer_unrouted": [],
    "dispatcher_town": TOWN,
    "dispatcher_other": [],
    # A unit's dispatcher also hears that its unit left an offer unanswered.
    "dispatcher_dept": [OFFER_D, ACCEPT_T, OFFER_D, UNANSWERED_D, ACCEPT_D, NEAR_D, ARRIVED_T,
                        OVERDUE_D],
    "dispatcher_unrouted": [],
    "commander": COMMAND,
    "admin": COMMAND,  # administrators are in the command room (dispatch.access.rooms_for)
}
# An officer's position goes to command only.
HEARS_POSITIONS: dict[str, bool] = {subject: subject in ("commander", "admin") for subject in ROLES}


# -- plumbing ------------------------------------------------------------------------------------
_TOKENS: dict[tuple[str, str], str] = {}  # (backend, username) → token: one sign-in each


class Live:
    def __init__(self, app: Any, client: Any, ctx: Any, clock: Any, backend: str) -> None:
        self.app, self.client, self.ctx, self.clock, self.backend = (
            app, client, ctx, clock, backend)
        self.sockets: list[Any] = []

    def token(self, username: str) -> str:
        key = (self.backend, username)
        if key not in _TOKENS:
            r = self.client.post("/api/v1/auth/token",
                                 json={"username": username, "password": "demo"})
            assert r.status_code == 200, (username, r.get_json())
            _TOKENS[key] = r.get_json()["access_token"]
        return _TOKENS[key]

    def headers(self, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(SUBJECTS[subject] or '')}"}

    def auth(self, subject: str) -> Any:
        if subject == ANON:
            return None
        if subject == BAD:
            return {"token": "not-a-token.forged.by-hand"}
        return {"token": self.token(SUBJECTS[subject] or "")}

    def connect(self, auth: Any) -> Any | None:
        """A connected test client, or None when the server refused the connection."""
        try:
            sc = socketio.test_client(self.app, namespace=NAMESPACE, auth=auth)
        except RuntimeError:  # the test client's word for a refused connection
            return None
        if not sc.is_connected(NAMESPACE):
            return None
        self.sockets.append(sc)
        return sc

    def set_active(self, subject: str, active: bool) -> None:
        username = SUBJECTS[subject] or ""
        with self.ctx.engine.begin() as conn:
            conn.execute(update(t.users).where(t.users.c.username == username)
                         .values(active=active))
        if active:  # tokens issued before the account was disabled may stay revoked
            _TOKENS.pop((self.backend, username), None)

    def case(self) -> str:
        r = report(self.client, self.headers("reporter"))
        assert r.status_code == 201, r.get_json()
        return str(r.get_json()["id"])

    def act(self, subject: str, url: str, **kw: Any) -> None:
        r = self.client.post(url, headers=self.headers(subject), **kw)
        assert r.status_code == 200, (url, r.get_json())

    def last_seq(self) -> int:
        with self.ctx.uow() as uow:
            return int(uow.events.last_seq())

    def counts(self) -> tuple[int, ...]:
        counts = [select(func.count()).select_from(tab).scalar_subquery()
                  for tab in (t.events, t.officer_positions, t.officer_last_positions)]
        with self.ctx.engine.connect() as conn:
            return tuple(conn.execute(select(*counts)).one())


@pytest.fixture
def live(app, client, ctx, clock, backend) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    """The process's relay started (as a serving web process has it), so commits are pushed to
    the connected test clients; stopped again afterwards."""
    ctx.relay.start()
    env = Live(app, client, ctx, clock, backend)
    try:
        yield env
    finally:
        for sc in env.sockets:
            if sc.is_connected(NAMESPACE):
                sc.disconnect(namespace=NAMESPACE)
        ctx.relay.watermark = None


def _frame(name: str, data: dict[str, Any]) -> Frame:
    return (name, data["type"], data["data"].get("unit"))


# -- the cells -----------------------------------------------------------------------------------
@pytest.mark.parametrize("subject", COLUMNS)
def test_connect(live: Live, subject: str) -> None:
    if subject == DISABLED:
        live.token(SUBJECTS[DISABLED] or "")  # a token issued while the account was active
        live.set_active(DISABLED, False)
    try:
        sc = live.connect(live.auth(subject))
    finally:
        if subject == DISABLED:
            live.set_active(DISABLED, True)
    assert (sc is not None) is CONNECT[subject], f"connect as {subject}"


@pytest.mark.parametrize("shape", list(BAD_AUTH))
def test_connect_refuses_an_auth_payload_without_a_valid_token(live: Live, shape: str) -> None:
    assert live.connect(BAD_AUTH[shape]) is None


def _request(live: Live, event: str) -> dict[str, Any]:
    """The payload of an event, in a state where it would be accepted."""
    if event == "task.accept":
        return {"incident_id": live.case()}
    if event in ("position", "positions"):
        lon, lat = seat()
        fix = {"lat": lat, "lon": lon, "accuracy_m": 8, "recorded_at": live.clock.now.isoformat()}
        return fix if event == "position" else {"positions": [fix]}
    live.case()
    return {"since_seq": 0}


CELLS = [pytest.param(event, subject, expected, id=f"{event}-{subject}")
         for event, row in EVENTS.items() for subject, expected in zip(COLUMNS, row, strict=True)]


@pytest.mark.parametrize(("event", "subject", "expected"), CELLS)
def test_event(live: Live, event: str, subject: str, expected: int | str) -> None:
    payload = _request(live, event)
    sc = live.connect(live.auth(subject))
    if expected == REF:
        assert sc is None, f"{subject} got a socket"
        return
    assert sc is not None, f"{subject} could not connect"
    before = live.counts()
    if subject == DISABLED:
        live.set_active(DISABLED, False)
    try:
        ack = sc.emit(event, payload, namespace=NAMESPACE, callback=True)
    finally:
        if subject == DISABLED:
            live.set_active(DISABLED, True)
    if isinstance(ack, dict) and ack.get("ok") is True:
        got: int | str = OK
    elif isinstance(ack, dict) and isinstance(ack.get("error"), dict):
        got = ack["error"].get("status")
    elif not sc.is_connected(NAMESPACE):
        got = 401  # the server closed the socket instead of answering
    else:
        got = f"no answer: {ack!r}"
    assert got == expected, f"{event} as {subject}: expected {expected}, got {got}: {ack}"
    if got == OK and event != "resync":
        assert live.counts() != before, f"{event} as {subject} answered ok but wrote nothing"
    else:
        assert live.counts() == before, f"{event} as {subject} answered {got} but wrote"


@pytest.mark.parametrize("subject", ROLES)
def test_each_subject_hears_its_rooms(live: Live, subject: str) -> None:
    sc = live.connect(live.auth(subject))
    assert sc is not None
    since = live.last_seq()
    case = live.case()
    live.act("officer_town", f"/api/v1/incidents/{case}/accept")
    live.clock.advance(minutes=5, seconds=1)
    deadlines.fire_due_timers(live.ctx)
    live.act("officer_dept", f"/api/v1/incidents/{case}/accept")
    live.clock.advance(minutes=15)
    deadlines.fire_due_timers(live.ctx)
    lon, lat = seat()
    live.act("officer_town", f"/api/v1/incidents/{case}/check-in",
             json={"location": {"lat": lat, "lon": lon, "accuracy_m": 5}})
    live.clock.advance(minutes=10)
    deadlines.fire_due_timers(live.ctx)

    pushed = [_frame(m["name"], m["args"][0]) for m in sc.get_received(NAMESPACE)]
    assert pushed == HEARD[subject], f"live frames to {subject}"
    ack = sc.emit("resync", {"since_seq": since}, namespace=NAMESPACE, callback=True)
    assert ack["ok"] is True and ack["more"] is False
    replayed = [_frame(e["event"], e["data"]) for e in ack["events"]]
    assert replayed == HEARD[subject], f"resync of {subject}"
    assert all(e["data"]["incident_id"] == case for e in ack["events"])


# Officers whose positions no other test sends: the server pushes an officer's position to
# command at most once a second, so each cell uses its own sender.
_SENDERS = sorted(code for code in demo_seats() if code not in (ZHICHENG, KEJING))


@pytest.mark.parametrize("subject", ROLES)
def test_positions_reach_command_only(live: Live, subject: str) -> None:
    sender = f"officer-{_SENDERS[ROLES.index(subject)]}"
    sc = live.connect(live.auth(subject))
    assert sc is not None
    lon, lat = seat()
    fix = {"lat": lat, "lon": lon, "accuracy_m": 8, "recorded_at": live.clock.now.isoformat()}
    r = live.client.post("/api/v1/officers/me/positions", json=[fix],
                         headers={"Authorization": f"Bearer {live.token(sender)}"})
    assert r.status_code == 202, r.get_json()
    heard = [m["args"][0] for m in sc.get_received(NAMESPACE) if m["name"] == "officer.position"]
    assert bool(heard) is HEARS_POSITIONS[subject], f"officer.position to {subject}: {heard}"
    if heard:
        assert heard[0]["lat"] == pytest.approx(lat) and heard[0]["unit"] == sender[8:]
    assert all(m["name"] == "officer.position" for m in sc.get_received(NAMESPACE))
