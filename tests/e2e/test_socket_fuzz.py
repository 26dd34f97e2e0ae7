"""Hostile frames on `/live`, over real websockets to a real gunicorn gevent web process on PostGIS.

Every client event (the three requests, `connect`/`disconnect` sent as ordinary events and names
the server does not know) is sent at least 20 malformed payloads by a real Socket.IO client; each
must come back as an error acknowledgement naming the field, within a short wait. Frames no
Socket.IO client would write (lone surrogates, 100,000 levels of nesting, packets of no known
type, binary attachments, invalid UTF-8) are written by hand on a raw websocket. Afterwards the
web process's log holds no traceback: nothing a client sends is a server error."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import socketio
import websocket

from tests.e2e.procs import Live, free_port, token, wait_for
from tests.e2e.test_live_dispatch import ZHICHENG_OFFICER
from tests.helpers import seat

ANSWER_WITHIN = 5.0  # seconds; an answer is one database read away
DEEP = 100_000


def _fix(**change: Any) -> dict[str, Any]:
    lon, lat = seat()
    return {"lat": lat, "lon": lon, "accuracy_m": 5.0,
            "recorded_at": datetime.now(UTC).isoformat(), **change}


def _nest_list(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _nest_dict(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = {"a": value}
    return value


# (label, the arguments sent, the fields the error may name; None: any). Sent to every event.
COMMON: list[tuple[str, tuple[Any, ...], set[str] | None]] = [
    ("no argument", (), {"payload"}),
    ("null", (None,), {"payload"}),
    ("empty list", ([],), {"payload"}),
    ("list of an object", ([{"incident_id": "x", "since_seq": 0}],), {"payload"}),
    ("string", ("task",), {"payload"}),
    ("empty string", ("",), {"payload"}),
    ("zero", (0,), {"payload"}),
    ("negative", (-1,), {"payload"}),
    ("float", (1.5,), {"payload"}),
    ("true", (True,), {"payload"}),
    ("NaN", (math.nan,), {"payload"}),
    ("Infinity", (math.inf,), {"payload"}),
    ("huge int", (10**40,), {"payload"}),
    ("huge string", ("x" * 200_000,), {"payload"}),
    ("two arguments", ({"since_seq": 0, "incident_id": "x"}, {"extra": 1}), {"payload"}),
    ("three arguments", ({}, [], None), {"payload"}),
    ("60 nested lists", (_nest_list(60),), {"payload"}),
    ("200 nested lists", (_nest_list(200),), {"payload"}),
    ("200 nested objects", (_nest_dict(200),), {"payload"}),
    ("NUL in a key", ({"\x00": 1},), {"payload"}),
    ("lone surrogate in a key", ({"\ud800": 1},), {"payload"}),
    ("lone surrogate in a value", ({"x": ["\udfff"]},), {"x.0"}),
]

# Per event: payloads that are objects but wrong in a field.
OWN: dict[str, list[tuple[str, tuple[Any, ...], set[str] | None]]] = {
    "task.accept": [(f"incident_id {label}", ({"incident_id": value},), {"incident_id"})
                    for label, value in [
                        ("missing", ...), ("null", None), ("zero", 0), ("true", True),
                        ("float", 1e308), ("list", ["abc"]), ("object", {"id": "abc"}),
                        ("empty", ""), ("blank", "   "), ("NUL", "a\x00b"),
                        ("NUL only", "\x00"), ("LRM", "abc\u200e"), ("RLO", "\u202eabc"),
                        ("LRI..PDI", "\u2066abc\u2069"), ("zero-width space", "ab\u200bc"),
                        ("BOM", "\ufeffabc"), ("lone surrogate", "ab\ud800"),
                        ("emoji", "😀"), ("path", "../../etc/passwd"),
                        ("sql", "1'; DROP TABLE incidents; --"), ("too long", "a" * 65),
                        ("huge", "a" * 100_000), ("newline", "abc\n"), ("full-width", "ａｂｃ")]],
    "resync": [(f"since_seq {label}", ({"since_seq": value},), {"since_seq"})
               for label, value in [
                   ("missing", ...), ("null", None), ("true", True), ("false", False),
                   ("negative", -1), ("huge negative", -10**40), ("float", 1.0),
                   ("NaN", math.nan), ("Infinity", math.inf), ("-Infinity", -math.inf),
                   ("string", "0"), ("NUL", "\x00"), ("RLO", "\u202e1"), ("list", [0]),
                   ("object", {"seq": 0}), ("2**63", 2**63), ("2**64", 2**64),
                   ("10**40", 10**40), ("future", 10**9), ("empty", "")]],
    "position": [
        *[(f"lat {label}", (_fix(lat=value),), {"lat"}) for label, value in [
            ("missing", ...), ("null", None), ("string", "35"), ("true", True),
            ("NaN", math.nan), ("Infinity", math.inf), ("huge", 10**40), ("out of range", 95.0),
            ("list", [35.0]), ("object", {"v": 35.0}), ("RLO", "\u202e35")]],
        *[(f"lon {label}", (_fix(lon=value),), {"lon"}) for label, value in [
            ("missing", ...), ("false", False), ("-Infinity", -math.inf), ("NUL", "\x00")]],
        *[(f"accuracy_m {label}", (_fix(accuracy_m=value),), {"accuracy_m"})
          for label, value in [("negative", -1.0), ("string", "5"), ("NaN", math.nan)]],
        *[(f"crs {label}", (_fix(crs=value),), {"crs"}) for label, value in [
            ("unknown", "utm"), ("number", 4326), ("zero-width", "wgs84\u200b")]],
        *[(f"recorded_at {label}", (_fix(recorded_at=value),), {"recorded_at"})
          for label, value in [
              ("missing", ...), ("null", None), ("number", 0), ("not a date", "yesterday"),
              ("naive", "2026-01-01T00:00:00"), ("year 1", "0001-01-01T00:00:00+14:00"),
              ("year 9999", "9999-12-31T23:59:59-14:00"), ("far past", "2000-01-01T00:00:00Z"),
              ("LRM", "\u200e2026-01-01T00:00:00Z")]],
        ("an unknown field", (_fix(extra=1),), {"extra"}),
    ],
}
for _name, _cases in OWN.items():  # `...` marks the field left out
    for _label, (_payload,), _fields in _cases:
        for _key in [k for k, v in _payload.items() if v is ...]:
            del _payload[_key]

# Event names a client can send that are no request of the server's.
NOT_REQUESTS = ["connect", "disconnect", "officer.teleport", "message", "*", "", "\u202eresync",
                "task.accept\u200b", "x" * 10_000]


def _problems(answer: Any, fields: set[str] | None) -> str | None:
    """Why `answer` is not an error acknowledgement of the /live shape naming one of `fields`."""
    if not isinstance(answer, dict) or answer.get("ok") is not False:
        return f"not an error: {str(answer)[:200]}"
    error = answer.get("error")
    if not isinstance(error, dict) or set(error) != {"status", "title", "detail", "errors"}:
        return f"not the error shape: {str(answer)[:200]}"
    if not (isinstance(error["status"], int) and 400 <= error["status"] < 500):
        return f"status {error['status']!r}: {str(answer)[:200]}"
    if not (isinstance(error["title"], str) and isinstance(error["detail"], str)):
        return f"title or detail not text: {str(answer)[:200]}"
    errors = error["errors"]
    if not (isinstance(errors, list) and errors and all(
            isinstance(e, dict) and isinstance(e.get("field"), str) and e["field"]
            and isinstance(e.get("message"), str) and e["message"] for e in errors)):
        return f"names no field: {str(answer)[:200]}"
    if fields is not None and errors[0]["field"] not in fields:
        return f"names {errors[0]['field']!r}, not {sorted(fields)}: {str(answer)[:200]}"
    return None


def _call(client: Live, event: str, args: tuple[Any, ...]) -> Any:
    try:
        return client.sio.call(event, args, namespace="/live", timeout=ANSWER_WITHIN)
    except socketio.exceptions.TimeoutError:
        return "no answer"


def _no_traceback(log: str) -> None:
    lines = [n for n, line in enumerate(log.splitlines()) if "Traceback" in line]
    assert not lines, "\n".join(log.splitlines()[lines[0]:lines[0] + 40])


def test_every_event_answers_every_malformed_payload_with_an_error_naming_the_field(stack):
    procs = stack(redis=False)
    base = procs.web("web1", free_port())
    officer = Live(base, ZHICHENG_OFFICER).connect()
    failures = []
    sent = 0
    for event, own in OWN.items():
        cases = COMMON + own
        assert len(cases) >= 20 + len(COMMON)
        for label, args, fields in cases:
            problem = _problems(_call(officer, event, args), fields)
            sent += 1
            if problem:
                failures.append(f"{event} / {label}: {problem}")
    for event in NOT_REQUESTS:
        # Unknown names are refused by name; a payload that cannot be decoded is named instead.
        for label, args, fields in COMMON:
            expected = {"event"} | (fields or set())
            problem = _problems(_call(officer, event, args), expected)
            sent += 1
            if problem:
                failures.append(f"{event[:20]!r} / {label}: {problem}")
    assert not failures, f"{len(failures)} of {sent}:\n" + "\n".join(failures)
    # The id's form at its limit: 32 characters is looked up (no such case), 33 is refused.
    assert officer.call("task.accept", {"incident_id": "a" * 32})["error"]["status"] == 404
    assert _problems(officer.call("task.accept", {"incident_id": "a" * 33}), {"incident_id"}) \
        is None
    assert officer.sio.connected
    assert officer.call("position", _fix())["ok"] is True  # still served, still an officer
    assert officer.call("resync", {"since_seq": 0})["ok"] is True
    officer.disconnect()
    _no_traceback(procs.log("web1"))


def test_reporters_and_commanders_get_an_error_for_every_malformed_payload(stack):
    procs = stack(redis=False)
    base = procs.web("web1", free_port())
    failures = []
    for user in ("demo-reporter", "demo-commander"):
        client = Live(base, user).connect()
        for event in ("task.accept", "position", "resync", "connect", "no.such"):
            for label, args, _ in COMMON + OWN.get(event, []):
                # A position from anyone but an officer is a 403 whatever it holds; the rest
                # name the field.
                answer = _call(client, event, args)
                forbidden = (event == "position" and isinstance(answer, dict)
                             and answer.get("error", {}).get("status") == 403)
                problem = None if forbidden else _problems(answer, None)
                if problem:
                    failures.append(f"{user} {event} / {label}: {problem}")
        assert client.call("resync", {"since_seq": 0})["ok"] is True
        client.disconnect()
    assert not failures, "\n".join(failures)
    _no_traceback(procs.log("web1"))


# -- raw frames -----------------------------------------------------------------------------------
class Raw:
    """A websocket speaking Engine.IO 4 / Socket.IO 5 frames written by hand."""

    def __init__(self, base: str) -> None:
        url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=ANSWER_WITHIN)
        opened = self.ws.recv()
        assert opened.startswith("0{"), opened
        self.heard: list[str] = []

    def send(self, frame: str | bytes, binary: bool = False) -> None:
        if binary:
            self.ws.send_binary(frame)
        else:
            self.ws.send(frame)

    def join(self, auth: str) -> str:
        """Sends a CONNECT to /live with `auth` (JSON text); the server's answer frame."""
        self.send(f"40/live,{auth}")
        return self.next(lambda f: f.startswith(("40/live,", "44/live,")))

    def next(self, match: Any, timeout: float = ANSWER_WITHIN) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, frame in enumerate(self.heard):
                if match(frame):
                    return self.heard.pop(i)
            self.ws.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                break
            if frame == "2":
                self.ws.send("3")  # Engine.IO ping
            elif isinstance(frame, str):
                self.heard.append(frame)
        raise AssertionError(f"no frame matched within {timeout} s; heard {self.heard[-5:]}")

    def answer(self, ack_id: int, timeout: float = ANSWER_WITHIN) -> Any:
        prefix = f"43/live,{ack_id}["
        frame = self.next(lambda f: f.startswith(prefix), timeout)
        return json.loads(frame[len(prefix) - 1:])[0]


def _raw_officer(base: str) -> Raw:
    raw = Raw(base)
    joined = raw.join(json.dumps({"token": token(base, ZHICHENG_OFFICER)}))
    assert joined.startswith("40/live,"), joined
    return raw


# (label, the frame after `42/live,<id>`, the fields the error may name)
RAW_EVENTS: list[tuple[str, str, set[str] | None]] = [
    ("lone high surrogate in an id", '["task.accept",{"incident_id":"\\ud800"}]', {"incident_id"}),
    ("lone low surrogate in an id", '["task.accept",{"incident_id":"ab\\udfffc"}]',
     {"incident_id"}),
    ("reversed pair", '["task.accept",{"incident_id":"\\ude00\\ud83d"}]', {"incident_id"}),
    ("a valid pair", '["task.accept",{"incident_id":"\\ud83d\\ude00"}]', {"incident_id"}),
    ("lone surrogate in a key", '["resync",{"\\ud800":0}]', {"payload"}),
    ("lone surrogate in the event", '["\\ud800",{}]', {"event"}),
    ("NUL in the event", '["resync\\u0000",{"since_seq":0}]', {"event"}),
    ("NUL in an id", '["task.accept",{"incident_id":"ab\\u0000"}]', {"incident_id"}),
    ("RLO in an id", '["task.accept",{"incident_id":"\\u202eab"}]', {"incident_id"}),
    ("surrogate in a position", '["position",{"lat":35,"lon":112,"crs":"\\udbff"}]', {"crs"}),
    (f"{DEEP} nested lists", '["resync",' + "[" * DEEP + "]" * DEEP + "]", {"payload"}),
    (f"{DEEP} nested objects", '["task.accept",' + '{"a":' * DEEP + "1" + "}" * DEEP + "]",
     {"payload"}),
    (f"{DEEP} unclosed lists", '["position",' + "[" * DEEP, {"payload"}),
    (f"{DEEP} nested events", "[" * DEEP + "]" * DEEP, {"payload"}),
    ("NaN", '["resync",{"since_seq":NaN}]', {"since_seq"}),
    ("-Infinity", '["position",{"lat":-Infinity,"lon":112,"recorded_at":"x"}]', {"lat"}),
    ("5000 digits", '["resync",{"since_seq":' + "9" * 5000 + "}]", {"payload"}),
    ("not JSON", "not json", {"payload"}),
    ("a trailing comma", '["resync",{"since_seq":0},]', {"payload"}),
    ("an object", '{"event":"resync"}', {"event"}),
    ("an empty list", "[]", {"event"}),
    ("a number for the event", "[1,{}]", {"event"}),
    ("an object for the event", '[{"a":1},{}]', {"event"}),
    ("a list for the event", '[["resync"],{}]', {"event"}),
    ("a string", '"resync"', {"event"}),
    ("null", "null", {"event"}),
    ("nothing", "", {"event"}),
]


def test_raw_frames_with_lone_surrogates_deep_nesting_and_bad_shapes_are_answered(stack):
    procs = stack(redis=False)
    base = procs.web("web1", free_port())
    raw = _raw_officer(base)
    failures = []
    for ack_id, (label, body, fields) in enumerate(RAW_EVENTS, start=1):
        raw.send(f"42/live,{ack_id}{body}")
        try:
            answer = raw.answer(ack_id)
        except AssertionError as exc:
            answer = f"no answer: {exc}"
        if problem := _problems(answer, fields):
            failures.append(f"{label}: {problem}")
    # Packets of a type a client may not send, or of none, answered when they carry an id.
    for ack_id, frame in ((101, "44/live,101\"x\""), (102, "49/live,102[\"resync\",{}]"),
                          (103, '45/live,103["resync",{}]')):
        raw.send(frame)
        try:
            answer = raw.answer(ack_id)
        except AssertionError as exc:
            answer = f"no answer: {exc}"
        if problem := _problems(answer, None):
            failures.append(f"{frame[:20]}: {problem}")
    # A binary attachment is not part of the protocol of /live: refused, attachment ignored.
    raw.send('451-/live,104["task.accept",{"incident_id":{"_placeholder":true,"num":0}}]')
    raw.send(b"\x00\x01abc", binary=True)
    if problem := _problems(raw.answer(104), None):
        failures.append(f"binary event: {problem}")
    raw.send('451-/live,105["task.accept",{"incident_id":{"_placeholder":true,"num":7}}]')
    raw.send(b"abc", binary=True)
    if problem := _problems(raw.answer(105), None):
        failures.append(f"binary event, bad placeholder: {problem}")
    # Socket.IO packets no answer can be addressed to (no id, no namespace, not a packet):
    # dropped without a word in the log.
    for frame in SOCKETIO_GARBAGE:
        raw.send(frame)
    raw.send(b"\xff\xfe", binary=True)
    raw.send("42/live,999[\"resync\",{\"since_seq\":0}]")
    answer = raw.answer(999)
    assert answer["ok"] is True, answer  # the connection outlived all of it
    assert not failures, "\n".join(failures)
    _no_traceback(procs.log("web1"))


def test_requests_before_the_connection_is_authenticated_are_dropped_quietly(stack):
    procs = stack(redis=False)
    base = procs.web("web1", free_port())
    raw = Raw(base)
    # Before any CONNECT: the namespace is not joined, so there is no one to answer.
    raw.send('42/live,1["task.accept",{"incident_id":"\\ud800"}]')
    raw.send('42/live,2["resync",' + "[" * DEEP + "]" * DEEP + "]")
    raw.send('42/live,3["position",{}]')
    # Refused CONNECTs: no token, a hostile one, an undecodable auth.
    for auth in ('{"token":"\\u202eabc"}', '{"token":"\\ud800"}', '{"token":"a\\u0000"}',
                 '{"token":["x"]}', '["token"]', '"token"', "[" * DEEP + "]" * DEEP,
                 '{"token":' + "9" * 5000 + "}", "{not json", "null"):
        refused = raw.join(auth)
        assert refused.startswith("44/live,"), (auth[:30], refused)
    with pytest.raises(AssertionError):
        raw.answer(1, timeout=0.5)  # no stray answers to the requests sent before joining
    joined = raw.join(json.dumps({"token": token(base, "demo-reporter")}))
    assert joined.startswith("40/live,"), joined
    raw.send('42/live,4["task.accept",{"incident_id":"\\ud800"}]')
    assert _problems(raw.answer(4), {"incident_id"}) is None
    raw.send('42/live,5["resync",{"since_seq":0}]')
    assert raw.answer(5)["ok"] is True
    _no_traceback(procs.log("web1"))


SOCKETIO_GARBAGE = [
    '42/live,["task.accept",{"incident_id":"\\ud800"}]', '42/live,["resync",' + "[" * DEEP + "]",
    "42/live", "42", "4x", "4", "4/live,", "4/live", "4-", "41-", "499999999999999999999",
    '42/live,' + "9" * 200 + '["resync",{}]', "4" + "[" * DEEP, '4["\\ud800"]', "4{}", "4null",
    "4[]", '4""', "4true", "4\u202e"]
# Frames that are not Engine.IO at all (no packet type, empty, bad base64, unknown types).
ENGINEIO_GARBAGE = ["x", "\u202e4", " 4", "b!!!", "babc", "b", "9", "6", "7{}", "٤٢/live,1[]"]


def test_frames_that_are_not_engine_io_are_dropped_without_a_traceback(stack):
    procs = stack(redis=False)
    base = procs.web("web1", free_port())
    raw = _raw_officer(base)
    for frame in ENGINEIO_GARBAGE:
        raw.send(frame)
    raw.ws.send_frame(websocket.ABNF.create_frame("", websocket.ABNF.OPCODE_TEXT))  # empty
    assert _problems(raw.answer(1), {"event"}) is None  # int() reads "٤٢" as 42
    raw.send('42/live,100["resync",{"since_seq":0}]')
    assert raw.answer(100)["ok"] is True  # the websocket outlived them

    # The polling transport reads the same frames from a POST body.
    polling = requests.Session()
    url = f"{base}/socket.io/?EIO=4&transport=polling"
    opened = polling.get(url, timeout=10).text
    sid = json.loads(opened[opened.index("{"):])["sid"]
    url += f"&sid={sid}"
    officer_token = token(base, ZHICHENG_OFFICER)
    assert polling.post(url, data=f'40/live,{{"token":"{officer_token}"}}', timeout=10).ok
    assert polling.get(url, timeout=10).text.startswith("40/live,")
    frames = '42/live,1["task.accept",{"incident_id":"\\ud800"}]\x1e42/live,2[[[[]]]]'
    assert polling.post(url, data=frames.encode(), timeout=10).ok
    heard = ""
    for _ in range(4):  # the two are answered concurrently, in either order
        heard += "\x1e" + polling.get(url, timeout=10).text
        if "43/live,1" in heard and "43/live,2" in heard:
            break
    answers = {int(f[8]): json.loads(f[9:])[0] for f in heard.split("\x1e")
               if f.startswith("43/live,")}
    assert _problems(answers.get(1), {"incident_id"}) is None, heard
    assert _problems(answers.get(2), {"event"}) is None, heard
    for frame in ("x", "b!!!", "4\x1e", "\x1e"):
        session = requests.Session()
        opened = session.get(f"{base}/socket.io/?EIO=4&transport=polling", timeout=10).text
        sid = json.loads(opened[opened.index("{"):])["sid"]
        r = session.post(f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}",
                         data=frame.encode(), timeout=10)
        assert r.status_code in (200, 400), (frame, r.status_code)

    # A text frame of invalid UTF-8 (a surrogate encoded as UTF-8) closes that websocket.
    raw.ws.send(b'42/live,2["task.accept",{"incident_id":"\xed\xa0\x80"}]',
                opcode=websocket.ABNF.OPCODE_TEXT)

    def closed() -> bool:
        try:
            raw.next(lambda f: False, timeout=0.2)
        except AssertionError:
            return False
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            return True
        return False
    wait_for(closed, 10, "the server to close the connection")
    officer = Live(base, ZHICHENG_OFFICER).connect()  # the server serves on
    assert officer.call("resync", {"since_seq": 0})["ok"] is True
    officer.disconnect()
    _no_traceback(procs.log("web1"))
