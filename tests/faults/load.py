"""The steady stream the faults are injected into, from clients that behave as the phone apps do:
every write carries an Idempotency-Key and is retried with the same key (honouring Retry-After,
with back-off on a dropped connection) until it is answered; a /live client that loses its socket
reconnects and calls `resync` with the last seq it saw.

Figures kept for the report: requests sent, retries, 500s, the longest a write waited for an
answer across the fault (the clients' view of the time to recover)."""

from __future__ import annotations

import functools
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
import socketio

from tests.helpers import location, seat

ZHICHENG = "419001102"
RETRYABLE = {502, 503, 504}
CONNECT_WAIT_S = 20  # socket.io-client's connection `timeout` (live.js keeps its default)


@dataclass
class Figures:
    sent: int = 0  # HTTP requests, retries included
    retried: int = 0  # requests that were a retry of an earlier one
    five_hundreds: int = 0  # 500s (never acceptable)
    unavailable: int = 0  # 502/503/504 answers and dropped connections (retried)
    gave_up: list[str] = field(default_factory=list)  # writes never answered in time
    refused: list[tuple[int, str]] = field(default_factory=list)  # 4xx: a client bug
    longest_wait: float = 0.0  # the longest a write waited for its answer, retries included
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **kw: Any) -> None:
        with self.lock:
            for k, v in kw.items():
                if k == "longest_wait":
                    self.longest_wait = max(self.longest_wait, v)
                else:
                    setattr(self, k, getattr(self, k) + v)


class Client:
    """A phone: signs in once, then writes with keys and retries."""

    def __init__(self, base: str, username: str, figures: Figures, give_up_s: float = 120) -> None:
        self.base, self.figures, self.give_up_s = base, figures, give_up_s
        self.http = requests.Session()
        body = self.write("POST", "/api/v1/auth/token",
                          {"username": username, "password": "demo"}, key=None)
        assert body is not None, f"could not sign in {username}"
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"

    def write(self, method: str, path: str, body: Any, key: str | None = "new"
              ) -> dict[str, Any] | None:
        """The answer's JSON once 2xx; None when refused (4xx) or never answered in time."""
        headers = {}
        if key is not None:
            headers["Idempotency-Key"] = uuid.uuid4().hex if key == "new" else key
        started, pause, first = time.monotonic(), 0.1, True
        while time.monotonic() - started < self.give_up_s:
            self.figures.add(sent=1, retried=0 if first else 1)
            first = False
            try:
                r = self.http.request(method, self.base + path, json=body, headers=headers,
                                      timeout=15)
            except requests.RequestException:
                self.figures.add(unavailable=1)
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            if r.status_code < 300:
                self.figures.add(longest_wait=time.monotonic() - started)
                return r.json() if r.content else {}
            if r.status_code == 500:
                self.figures.add(five_hundreds=1)
            elif r.status_code in RETRYABLE:
                self.figures.add(unavailable=1)
            else:
                with self.figures.lock:
                    self.figures.refused.append((r.status_code, r.text[:200]))
                return None
            wait = float(r.headers.get("Retry-After", pause))
            time.sleep(min(wait, 1.0) * random.uniform(0.5, 1.0))  # honoured, capped for speed
            pause = min(pause * 2, 1.0)
        with self.figures.lock:
            self.figures.gave_up.append(f"{method} {path}")
        return None


class Stream:
    """Reporters sending reports, an officer accepting, checking in and sending positions, all
    at once until `stop()`; what was answered is kept for the checks."""

    def __init__(self, base: str, tag: str, reporters: int = 3, pace: float = 0.3) -> None:
        self.base, self.tag, self.pace = base, tag, pace
        self.figures = Figures()
        self.reported: dict[str, str] = {}  # description (carries the key) -> incident id
        self.checked_in: set[str] = set()
        self.fixes: set[datetime] = set()  # recorded_at of every fix answered 202
        self._todo: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        names = ["demo-reporter", "demo-reporter-2"]
        self.threads = [threading.Thread(target=self._report, args=(names[i % 2],), daemon=True)
                        for i in range(reporters)]
        self.threads.append(threading.Thread(target=self._officer, daemon=True))

    def start(self) -> Stream:
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self.threads:
            t.join(150)

    def _report(self, username: str) -> None:
        client = Client(self.base, username, self.figures)
        lon, lat = seat(ZHICHENG)
        while not self._stop.is_set():
            description = f"fault {self.tag} {uuid.uuid4().hex}"
            out = client.write("POST", "/api/v1/incidents", {
                "category": "other", "description": description,
                "location": location(lon, lat)})
            if out is not None:
                with self._lock:
                    self.reported[description] = out["id"]
                    if len(self.reported) % 3 == 0:
                        self._todo.append(out["id"])
            time.sleep(self.pace)

    def _officer(self) -> None:
        client = Client(self.base, f"officer-{ZHICHENG}", self.figures)
        lon, lat = seat(ZHICHENG)
        while not self._stop.is_set():
            with self._lock:
                incident = self._todo.pop() if self._todo else None
            if incident is not None:
                if client.write("POST", f"/api/v1/incidents/{incident}/accept", {}) is not None:
                    if client.write("POST", f"/api/v1/incidents/{incident}/check-in",
                                    {"location": location(lon, lat)}) is not None:
                        self.checked_in.add(incident)
            at = datetime.now(UTC).replace(microsecond=0)
            if at not in self.fixes:
                fix = {**location(lon, lat), "recorded_at": at.isoformat()}
                if client.write("POST", "/api/v1/officers/me/positions", [fix], key=None):
                    self.fixes.add(at)
            time.sleep(self.pace)


class LiveClient:
    """A /live socket (a commander's: it hears every case) that behaves as live.js: on every
    (re)connection it calls `resync` from the last seq it applied, holding the pushes that arrive
    meanwhile, then applies them in seq order; an event is applied once."""

    def __init__(self, base: str, token: str, since: int) -> None:
        self.base, self.token, self.since = base, token, since  # since: the log's seq at start
        self.applied: list[int] = []  # seqs applied, in the order applied
        self._seen: set[int] = set()
        self.pushed_twice = 0  # one connection pushed the same seq twice (a server bug)
        self.by_resync = 0  # events the pushes missed, recovered by resync
        self.out_of_order = 0  # a push older than what was applied, not seen before
        self.connects = 0
        self._this_connection: set[int] = set()
        self._held: list[int] | None = None  # pushes held while a resync runs
        self._lock = threading.RLock()
        # Reconnecting as live.js's socket.io-client does: 1 s, doubling to 5 s, each +-50 %,
        # and an attempt waits up to 20 s for the server's answer (its `timeout`).
        # python-socketio's own reconnection waits 1 s (`connect`'s wait_timeout), then gives
        # up and tries again: a crowd reconnecting to a busy survivor then never gets in, each
        # attempt abandoned while the server still answers it and the next one piling on.
        # websocket-client checks each text frame's UTF-8 in pure Python (a browser does it in
        # C): with 200 sockets in this one process that check was most of its CPU, a resync's
        # answers fell behind and the survivor buffered them (1.6 GB) for minutes. The server's
        # JSON is not in question here, so it is skipped.
        self.sio = socketio.Client(reconnection=True, reconnection_delay=1,
                                   reconnection_delay_max=5, randomization_factor=0.5,
                                   websocket_extra_options={"skip_utf8_validation": True})
        self.sio.connect = functools.partial(  # type: ignore[method-assign]
            socketio.Client.connect, self.sio, wait_timeout=CONNECT_WAIT_S)
        # python-socketio's client hands each message to a thread of its own (engine.io's
        # run_async): one socket's pushes could then be applied out of order by this client
        # itself. Handled in arrival order, on the reading thread, as a browser does (nothing
        # here blocks there: the resyncs run on a thread of their own).
        trigger = self.sio.eio._trigger_event

        def in_order(event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "message":
                kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)
        self.sio.eio._trigger_event = in_order  # type: ignore[method-assign]
        self.sio.on("*", self._event, namespace="/live")
        self.sio.on("connect", self._connected, namespace="/live")
        self.sio.on("disconnect", self._disconnected, namespace="/live")
        # Up from our own `connect` handler on: python-socketio sets `sio.connected` only later,
        # on the connecting thread, so a quick resync could find it still False and keep its
        # held pushes for ever (a socket never done catching up).
        self._up = False

    def _apply(self, seq: int, pushed: bool) -> None:
        if seq in self._seen:
            return
        if self.applied and seq < self.applied[-1]:
            self.out_of_order += 1
        self._seen.add(seq)
        self.applied.append(seq)
        if not pushed:
            self.by_resync += 1

    def _event(self, event: str, data: Any = None) -> None:
        if event == "officer.position" or not isinstance(data, dict) or "seq" not in data:
            return
        seq = int(data["seq"])
        with self._lock:
            if seq in self._this_connection:
                self.pushed_twice += 1
            self._this_connection.add(seq)
            if self._held is not None:
                self._held.append(seq)
            else:
                self._apply(seq, pushed=True)

    def _disconnected(self, *args: Any) -> None:
        self._up = False

    def _connected(self) -> None:
        with self._lock:
            self._up = True
            self.connects += 1
            self._this_connection = set()
            self._held = []
        threading.Thread(target=self.catch_up, daemon=True).start()

    def connect(self) -> LiveClient:
        """As a phone does: a refused first connection (a process at capacity) is tried again."""
        for attempt in range(20):
            try:
                self.sio.connect(self.base, namespaces=["/live"], auth={"token": self.token},
                                 transports=["websocket"], wait_timeout=CONNECT_WAIT_S,
                                 headers=self.headers)
                return self
            except socketio.exceptions.ConnectionError:
                time.sleep(0.2 + 0.1 * attempt)
        raise AssertionError("a /live client could not connect in 20 tries")

    headers: dict[str, str] = {}

    def catch_up(self) -> None:
        """`resync` from the last seq applied until nothing more, then the held pushes. Only
        the latest connection's catch-up releases them: an older one still running when the
        socket reconnected stops (as live.js's does), or it would release the pushes while the
        new connection's resync is still applying older events."""
        with self._lock:
            connection = self.connects
        done = False  # the log read up to now: the held pushes may follow
        for _ in range(100):
            if self.connects != connection:
                return
            with self._lock:
                since = max(self.applied, default=self.since)
            try:
                out = self.sio.call("resync", {"since_seq": since}, namespace="/live",
                                    timeout=15)  # live.js's
            except Exception:  # noqa: BLE001 - a process at capacity, or the socket went: again
                if not self._up:
                    break  # the next connection resyncs (its pushes are held till then)
                time.sleep(0.5)
                continue
            if not out.get("ok", True):  # refused (at capacity): ask again
                time.sleep(0.5)
                continue
            with self._lock:
                for item in out.get("events", []):
                    seq = int(item["data"]["seq"])
                    if seq not in self._seen:
                        self._apply(seq, pushed=seq in self._this_connection)
            if not out.get("more"):
                done = True
                break
        with self._lock:
            if not done or self.connects != connection:
                return  # still held: the reconnection's resync applies them
            held, self._held = self._held or [], None
            for seq in sorted(held):
                self._apply(seq, pushed=True)

    def close(self) -> None:
        self.sio.disconnect()


def check_live(clients: list[LiveClient], expected: list[int]) -> dict[str, int]:
    """Every client ends with exactly `expected` (the command room's seqs since it connected),
    applied in seq order, none twice, none pushed twice on one connection."""
    want = set(expected)
    low, high = min(want, default=0), max(want, default=0)
    losses = sum(len(want - set(c.applied)) for c in clients)
    # Timers keep firing after the stream stops: events past `high` are later ones, not extra.
    extra = sum(len({s for s in c.applied if low <= s <= high} - want) for c in clients)
    return {"clients": len(clients), "events checked": len(expected) * len(clients),
            "losses": losses, "unexpected": extra,
            "duplicates": sum(c.pushed_twice for c in clients),
            "out of order": sum(c.out_of_order for c in clients),
            "recovered by resync": sum(c.by_resync for c in clients),
            "reconnects": sum(c.connects - 1 for c in clients)}


def check_stream(ha: Any, stream: Stream) -> dict[str, int]:
    """Every report answered 201 is in the database exactly once (its description carries its
    key), no report exists that was not answered; every check-in answered is one arrival; every
    fix answered 202 is stored once."""
    f = stream.figures
    assert f.five_hundreds == 0, "a request was answered 500"
    assert not f.gave_up, f"writes never answered: {f.gave_up[:5]}"
    assert not f.refused, f"writes refused: {f.refused[:5]}"
    rows = dict(ha.sql("SELECT description, count(*) FROM incidents WHERE description LIKE %s "
                       "GROUP BY description", f"fault {stream.tag} %"))
    answered = set(stream.reported)
    lost = answered - set(rows)
    doubled = {d for d, n in rows.items() if n > 1}
    unanswered = set(rows) - answered
    arrivals = dict(ha.sql("SELECT incident_id, count(*) FROM events WHERE type = 'arrived' "
                           "AND incident_id = ANY(%s) GROUP BY incident_id",
                           list(stream.checked_in))) if stream.checked_in else {}
    fixes = dict(ha.sql(
        "SELECT p.recorded_at, count(*) FROM officer_positions p JOIN users u ON "
        "u.id = p.officer_id WHERE u.username = %s AND p.recorded_at = ANY(%s) "
        "GROUP BY p.recorded_at", f"officer-{ZHICHENG}", list(stream.fixes))
    ) if stream.fixes else {}
    out = {"requests sent": f.sent, "retries": f.retried, "503/502/dropped": f.unavailable,
           "500s": f.five_hundreds, "reports answered": len(answered),
           "report losses": len(lost), "report duplicates": len(doubled),
           "unanswered reports stored": len(unanswered),
           "check-ins answered": len(stream.checked_in),
           "check-in losses": len(stream.checked_in - set(arrivals)),
           "check-in duplicates": sum(1 for n in arrivals.values() if n > 1),
           "fixes answered": len(stream.fixes), "fix losses": len(stream.fixes) - len(fixes),
           "fix duplicates": sum(1 for n in fixes.values() if n > 1),
           "longest write wait s": round(f.longest_wait, 1)}
    assert not lost and not doubled and not unanswered, out
    assert out["check-in losses"] == out["check-in duplicates"] == 0, out
    assert out["fix losses"] == out["fix duplicates"] == 0, out
    return out
