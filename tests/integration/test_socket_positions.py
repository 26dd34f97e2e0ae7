"""The socket's `positions` event: a batch of fixes in one message, stored and judged exactly as
`POST /api/v1/officers/me/positions` stores and judges it (one transaction, a bad fix refuses the
whole batch naming `positions.<i>.<field>`, a resent batch is not doubled)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dispatch.storage import tables as t
from geo.distance import offset_point
from tests.helpers import ZHICHENG, count_rows, seat

OFFICER = f"officer-{ZHICHENG}"


def _live(app, client, login, who: str):  # type: ignore[no-untyped-def]
    from server.extensions import socketio

    token = login(who)["Authorization"].split(" ", 1)[1]
    live = socketio.test_client(app, namespace="/live", auth={"token": token},
                                flask_test_client=client)
    assert live.is_connected("/live")
    return live


def _batch(clock, n: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    lon, lat = seat()
    out = []
    for i in range(n):
        x, y = offset_point(lon, lat, 90, 20 * i)
        out.append({"lat": y, "lon": x, "accuracy_m": 6.0,
                    "recorded_at": (clock.now - timedelta(seconds=60 - 5 * i)).isoformat()})
    return out


def test_a_batch_over_the_socket_is_stored_once_like_one_over_http(app, client, login, ctx,
                                                                   clock):
    officer = _live(app, client, login, OFFICER)
    try:
        fixes = _batch(clock, 5)
        answer = officer.emit("positions", {"positions": fixes}, namespace="/live",
                              callback=True)
        assert answer == {"ok": True, "received": 5, "stored": 5}
        assert count_rows(ctx, t.officer_positions) == 5
        assert count_rows(ctx, t.officer_last_positions) == 1
        again = officer.emit("positions", {"positions": fixes}, namespace="/live",
                             callback=True)
        assert again == {"ok": True, "received": 5, "stored": 0}
        # The officer's latest position is the batch's latest fix, as over HTTP.
        r = client.get("/api/v1/officers", headers=login("demo-commander")).get_json()
        me = next(o for o in r["items"] if o["username"] == OFFICER)
        assert me["position"] == {"lat": fixes[-1]["lat"], "lon": fixes[-1]["lon"]}
    finally:
        officer.disconnect("/live")


def test_a_bad_fix_refuses_the_whole_batch_naming_it(app, client, login, ctx, clock):
    officer = _live(app, client, login, OFFICER)
    try:
        fixes = _batch(clock, 3)
        fixes[2]["recorded_at"] = (clock.now + timedelta(hours=1)).isoformat()
        answer = officer.emit("positions", {"positions": fixes}, namespace="/live",
                              callback=True)
        assert answer["ok"] is False
        assert answer["error"]["errors"][0]["field"] == "positions.2.recorded_at", answer
        for payload, field in (({"positions": []}, "positions"),
                               ({"positions": [{**fixes[0], "accuracy_m": -1}]},
                                "positions.0.accuracy_m")):
            answer = officer.emit("positions", payload, namespace="/live", callback=True)
            assert answer["ok"] is False and answer["error"]["errors"][0]["field"] == field, \
                answer
        assert count_rows(ctx, t.officer_positions) == 0
    finally:
        officer.disconnect("/live")


def test_only_officers_send_positions(app, client, login, ctx, clock):
    commander = _live(app, client, login, "demo-commander")
    try:
        answer = commander.emit("positions", {"positions": _batch(clock, 1)},
                                namespace="/live", callback=True)
        assert answer["ok"] is False and answer["error"]["status"] == 403, answer
        assert count_rows(ctx, t.officer_positions) == 0
    finally:
        commander.disconnect("/live")
