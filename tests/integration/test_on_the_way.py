"""Who is on the way, over HTTP on both databases (issue 17): `GET /api/v1/officers` gives each
officer working a case the straight-line distance from their latest fix to its site and a rough
time at the configured speed (the page shows these, computing nothing), and
`GET /api/v1/officers/{id}/trail` their fixes of the last minutes, for command or their own
unit's dispatcher only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from geo.distance import offset_point
from mobile_api.schemas import OfficersOut, TrailOut
from tests.helpers import KEJING, ZHICHENG, location, report, seat

OFFICER = f"officer-{ZHICHENG}"


def _fix(metres: float, at: Any) -> dict[str, Any]:
    return {**location(*offset_point(*seat(), 90.0, metres), accuracy_m=5.0),
            "recorded_at": at.isoformat()}


def _send(client: Any, headers: dict[str, str], *fixes: dict[str, Any]) -> None:
    r = client.post("/api/v1/officers/me/positions", headers=headers, json=list(fixes))
    assert r.status_code == 202, r.get_json()


def _me(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    body = client.get("/api/v1/officers", headers=headers).get_json()
    assert OfficersOut.model_validate(body).model_dump(mode="json") == body
    return {o["username"]: o for o in body["items"]}[OFFICER]


def test_an_officer_on_a_case_has_the_distance_and_a_rough_time_to_its_site(client, login,
                                                                            clock):
    officer = login(OFFICER)
    case = report(client, login("demo-reporter")).get_json()
    _send(client, officer, _fix(3000.0, clock.now - timedelta(seconds=30)))
    assert client.post(f"/api/v1/incidents/{case['id']}/accept",
                       headers=officer).status_code == 200
    body = client.get("/api/v1/officers", headers=login("demo-commander")).get_json()
    assert body["speed_kmh"] == 30.0
    me = _me(client, login("demo-commander"))
    # 3 km at 30 km/h: 6 minutes.
    assert me["case"]["id"] == case["id"]
    assert (me["case"]["distance_m"], me["case"]["eta_s"]) == (3000, 360)
    clock.advance(seconds=300)  # 2.5 km in 5 minutes: a plausible drive
    _send(client, officer, _fix(500.0, clock.now))
    me = _me(client, login(f"dispatcher-{ZHICHENG}"))
    assert (me["case"]["distance_m"], me["case"]["eta_s"]) == (500, 60)


def test_an_officer_without_a_fix_or_a_case_has_no_distance(client, login, clock):
    me = _me(client, login("demo-commander"))
    assert me["case"] is None and me["position"] is None
    case = report(client, login("demo-reporter")).get_json()
    client.post(f"/api/v1/incidents/{case['id']}/accept", headers=login(OFFICER))
    me = _me(client, login("demo-commander"))
    assert me["case"]["id"] == case["id"]
    assert (me["case"]["distance_m"], me["case"]["eta_s"]) == (None, None)


def test_the_trail_is_the_last_minutes_oldest_first(client, login, clock):
    officer = login(OFFICER)
    now = clock.now
    _send(client, officer, *[_fix(100.0 * i, now - timedelta(minutes=50 - 5 * i))
                             for i in range(10)])
    who = _me(client, login("demo-commander"))["id"]
    r = client.get(f"/api/v1/officers/{who}/trail", headers=login("demo-commander"))
    body = r.get_json()
    assert r.status_code == 200 and TrailOut.model_validate(body).model_dump(mode="json") == body
    # The default window is 30 minutes: the fixes of 30, 25 ... 5 minutes ago.
    assert body["minutes"] == 30
    assert [p["recorded_at"] for p in body["items"]] == [
        (now - timedelta(minutes=m)).isoformat().replace("+00:00", "Z")
        for m in (30, 25, 20, 15, 10, 5)]
    short = client.get(f"/api/v1/officers/{who}/trail?minutes=12",
                       headers=login(f"dispatcher-{ZHICHENG}")).get_json()
    assert len(short["items"]) == 2 and short["minutes"] == 12
    # Another unit's dispatcher, an officer, a reporter: refused; a bad window: 422 naming it.
    for refused, status in ((f"dispatcher-{KEJING}", 404), (OFFICER, 403),
                            ("demo-reporter", 403)):
        r = client.get(f"/api/v1/officers/{who}/trail", headers=login(refused))
        assert r.status_code == status and r.mimetype == "application/problem+json", refused
    for bad in ("0", "1441", "x"):
        r = client.get(f"/api/v1/officers/{who}/trail?minutes={bad}",
                       headers=login("demo-commander"))
        assert r.status_code == 422 and "minutes" in r.get_data(as_text=True)
    r = client.get("/api/v1/officers/nobody/trail", headers=login("demo-commander"))
    assert r.status_code == 404
