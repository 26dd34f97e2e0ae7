"""Over a real websocket to a real gunicorn gevent web process: a client that sends `connect` or
`disconnect` as ordinary events changes nothing; a deactivated account (by the CLI, another
process) or a signed-out one has its open socket answered 401 and closed at its next request."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime

import requests

from tests.e2e.procs import PY, ROOT, Live, free_port, token, wait_for
from tests.e2e.test_live_dispatch import ZHICHENG_OFFICER
from tests.helpers import seat


def _fix(i: int = 0) -> dict[str, object]:
    lon, lat = seat()
    return {"lat": lat, "lon": lon + i * 1e-4, "accuracy_m": 5,
            "recorded_at": datetime.now(UTC).isoformat()}


def test_client_sent_connect_and_disconnect_are_ignored(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    reporter = Live(base, "demo-reporter").connect()
    command = Live(base, "demo-commander").connect()
    officer = Live(base, ZHICHENG_OFFICER).connect()
    commander_token = token(base, "demo-commander")
    # The shapes a client can give them: none, one, and the two of a real connect.
    reporter.sio.emit("connect", namespace="/live")
    reporter.sio.emit("connect", {"token": commander_token}, namespace="/live")
    reporter.sio.emit("connect", ({}, {"token": commander_token}), namespace="/live")
    reporter.sio.emit("disconnect", namespace="/live")
    reporter.sio.emit("disconnect", "client namespace disconnect", namespace="/live")
    answer = reporter.call("resync", {"since_seq": 0})
    assert answer["ok"] is True, answer  # still connected, still known to the server
    # Still a reporter: command's pushes do not reach it, and officer requests are refused.
    assert officer.call("position", _fix())["ok"] is True
    command.wait("officer.position")
    time.sleep(0.3)
    assert reporter.heard("officer.position") == []
    assert reporter.call("position", _fix(1))["error"]["status"] == 403
    assert reporter.sio.connected
    for c in (reporter, command, officer):
        c.disconnect()


def test_deactivation_by_the_cli_closes_the_open_socket_at_its_next_request(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    officer = Live(base, ZHICHENG_OFFICER).connect()
    assert officer.call("position", _fix())["ok"] is True
    out = subprocess.run([PY, "-m", "server", "deactivate-user", ZHICHENG_OFFICER], cwd=ROOT,
                         env=procs.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    answer = officer.call("position", _fix(1))
    assert answer["ok"] is False and answer["error"]["status"] == 401, answer
    wait_for(lambda: not officer.sio.connected, 5, "the server to close the socket")
    r = requests.post(f"{base}/api/v1/auth/token", timeout=10,
                      json={"username": ZHICHENG_OFFICER, "password": "demo"})
    assert r.status_code == 401


def test_sign_out_closes_the_socket_of_another_token(stack):
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Live(base, "demo-reporter").connect()
    tablet = token(base, "demo-reporter")
    r = requests.post(f"{base}/api/v1/auth/sign-out", timeout=10,
                      headers={"Authorization": f"Bearer {tablet}"})
    assert r.status_code == 204
    answer = phone.call("resync", {"since_seq": 0})
    assert answer["ok"] is False and "revoked" in answer["error"]["detail"], answer
    wait_for(lambda: not phone.sio.connected, 5, "the server to close the socket")


def test_a_deactivation_by_the_cli_is_refused_by_every_web_process_despite_their_token_caches(
        stack):
    """The REST token cache keeps a user for DISPATCH_USER_CACHE_SECONDS; a deactivation made in
    another process reaches every web process's cache through Redis, so with a cache held for
    ten minutes the token is still refused at once, on both processes."""
    procs = stack(DISPATCH_USER_CACHE_SECONDS="600")
    bases = [procs.web("web1", free_port()), procs.web("web2", free_port())]
    bearer = {"Authorization": f"Bearer {token(bases[0], ZHICHENG_OFFICER)}"}
    for base in bases:  # each process now holds the user in its cache
        assert requests.get(f"{base}/api/v1/incidents", headers=bearer, timeout=10).ok
    out = subprocess.run([PY, "-m", "server", "deactivate-user", ZHICHENG_OFFICER], cwd=ROOT,
                         env=procs.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    for base in bases:
        wait_for(lambda b=base: requests.get(f"{b}/api/v1/incidents", headers=bearer,
                                             timeout=10).status_code == 401,
                 5, f"{base} to refuse the deactivated user's token")
