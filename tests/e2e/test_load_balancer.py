"""deploy/nginx.conf in front of two real web processes (gunicorn + gevent websocket, PostGIS,
Redis): Socket.IO clients on the polling transport keep their session on one process while the
clients as a whole use both, websockets are upgraded through it, REST is spread over both, and a
report made through one process reaches officers connected to either."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import requests
import socketio

from tests import lb
from tests.e2e.procs import Processes, free_port, token, wait_for
from tests.helpers import ZHICHENG, location, seat

OFFICER = f"officer-{ZHICHENG}"
LOG_LINE = re.compile(r'"(?P<method>\w+) (?P<uri>\S+) HTTP/[\d.]+" (?P<status>\d+) .* '
                      r"upstream=(?P<upstream>\S+) key=(?P<key>\S*)")


class Client:
    """A Socket.IO client on /live that keeps what it hears, with its own cookie jar."""

    def __init__(self, base: str, tok: str, transports: list[str] | None,
                 sticky: str | None = None) -> None:
        self.session = requests.Session()
        if sticky is not None:
            self.session.cookies.set("jy_lb", sticky)
        self.sio = socketio.Client(reconnection=False, http_session=self.session)
        self.heard: list[tuple[str, Any]] = []
        self.sio.on("*", namespace="/live")(lambda event, data=None: self.heard.append(
            (event, data)))
        self.sio.connect(base, namespaces=["/live"], auth={"token": tok},
                         transports=transports, wait_timeout=10)
        self.sid = str(self.sio.eio.sid)  # Engine.IO's session: the `sid` of every request

    def resync(self) -> dict[str, Any]:
        answer = self.sio.call("resync", {"since_seq": 0}, namespace="/live", timeout=10)
        assert answer["ok"] is True, answer
        return answer  # type: ignore[no-any-return]

    def offered(self, incident_id: int) -> bool:
        return any(e == "task.offered" and (d.get("incident") or {}).get("id") == incident_id
                   for e, d in list(self.heard))


def start_lb(procs: Processes, tmp_path: Path, webs: list[int]) -> str:
    port = free_port()
    conf = tmp_path / "lb" / "nginx.conf"
    conf.parent.mkdir()
    conf.write_text(lb.render(port, webs))
    checked = lb.check(conf)
    assert checked.returncode == 0, checked.stderr
    procs.start("lb", lb.args(conf))
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(up, 30, "nginx to answer")
    return base


def access_log(procs: Processes) -> list[dict[str, str]]:
    return [m.groupdict() for m in map(LOG_LINE.search, procs.log("lb").splitlines()) if m]


def test_socketio_and_rest_through_nginx_in_front_of_two_web_processes(stack, tmp_path):  # type: ignore[no-untyped-def]
    procs = stack()
    webs = [free_port(), free_port()]
    for i, port in enumerate(webs):
        procs.web(f"web{i + 1}", port)
    base = start_lb(procs, tmp_path, webs)
    upstreams = {f"127.0.0.1:{p}" for p in webs}

    officer = token(base, OFFICER)
    # Clients that keep cookies, as browsers do: each sticky key picks a process.
    polling = [Client(base, officer, ["polling"], sticky=f"phone-{i}") for i in range(8)]
    # A client whose first request carries no cookie: nginx keys it by address and hands it the
    # cookie, and every later request must still reach the same process.
    polling.append(Client(base, officer, ["polling"]))
    assert polling[-1].session.cookies.get("jy_lb") == "127.0.0.1"
    websocket = Client(base, officer, ["websocket"])
    upgraded = Client(base, officer, None)  # the default: polling, then upgraded to a websocket
    clients = [*polling, websocket, upgraded]
    for client in clients:
        for _ in range(3):  # several round trips each, every one on the client's own session
            client.resync()
    wait_for(lambda: upgraded.sio.transport() == "websocket", 10, "the upgrade to websocket")

    reporter = {"Authorization": f"Bearer {token(base, 'demo-reporter')}"}
    lon, lat = seat()
    for _ in range(4):
        r = requests.post(f"{base}/api/v1/incidents", headers=reporter, timeout=10, json={
            "category": "power_cut", "description": "停电", "location": location(lon, lat)})
        assert r.status_code == 201, r.text
    incident = r.json()["id"]
    for client in clients:
        wait_for(lambda c=client: c.offered(incident), 15, f"task.offered on {client.sid}")

    for client in clients:  # nginx logs a websocket when it closes
        client.sio.disconnect()
    wait_for(lambda: "transport=websocket" in procs.log("lb"), 10, "nginx to log the websockets")
    log = access_log(procs)
    served_by: dict[str, set[str]] = defaultdict(set)
    for line in log:
        sid = re.search(r"[?&]sid=([^&]+)", line["uri"])
        if line["uri"].startswith("/socket.io/") and sid:
            served_by[sid.group(1)].add(line["upstream"])
    for client in [*polling, upgraded]:  # (a websocket-only client makes no request with a sid)
        lines = [x for x in procs.log("lb").splitlines() if client.sid in x]
        assert len(served_by[client.sid]) == 1, lines
    assert set().union(*served_by.values()) == upstreams, "all clients landed on one process"
    failed = [x for x in log if x["uri"].startswith("/socket.io/") and x["status"] >= "400"]
    assert failed == []
    api = {x["upstream"] for x in log if x["uri"].startswith("/api/")}
    assert api == upstreams, "REST went to one process only"
