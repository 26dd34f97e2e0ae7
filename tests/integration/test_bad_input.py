"""Every malformed request is a 400/422 problem naming the field, and writes nothing."""

from __future__ import annotations

import pytest

from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, count_rows, location, report, seat

LON, LAT = seat()
GOOD = {"category": "power_cut", "description": "停电", "location": {"lat": LAT, "lon": LON}}


def _with(**changes):  # type: ignore[no-untyped-def]
    body = {**GOOD, "location": dict(GOOD["location"])}
    for key, value in changes.items():
        if key.startswith("location."):
            body["location"][key.split(".", 1)[1]] = value
        elif value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


BAD_REPORTS = [
    (_with(**{"location.lat": 95.0}), 422, "location.lat"),
    (_with(**{"location.lon": -181}), 422, "location.lon"),
    (_with(**{"location.lat": "35.0"}), 422, "location.lat"),
    (_with(**{"location.lat": "north"}), 422, "location.lat"),
    (_with(**{"location.crs": "etrs89"}), 422, "location.crs"),
    (_with(**{"location.accuracy_m": -5}), 422, "location.accuracy_m"),
    (_with(category="flood"), 422, "category"),
    (_with(description="长" * 2001), 422, "description"),
    (_with(description=""), 422, "description"),
    (_with(category=...), 422, "category"),
    (_with(location=..., site_id=None), 422, "body"),
    (_with(priority="urgent"), 422, "priority"),
    (_with(**{"location.lat": 22.3, "location.lon": 114.1}), 422, "location"),  # Hong Kong
]


@pytest.mark.parametrize("body,status,field", BAD_REPORTS,
                         ids=[f for _, _, f in BAD_REPORTS])
def test_bad_report_is_refused_naming_the_field_and_writes_nothing(client, login, ctx, body,
                                                                   status, field):
    before = [count_rows(ctx, tab) for tab in (t.incidents, t.events, t.incident_units)]
    r = client.post("/api/v1/incidents", json=body, headers=login("demo-reporter"))
    assert r.status_code == status, r.get_json()
    assert r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert [count_rows(ctx, tab) for tab in (t.incidents, t.events, t.incident_units)] == before


def test_nan_and_infinity_are_refused(client, login):
    for raw in ('NaN', 'Infinity'):
        body = ('{"category":"power_cut","description":"x","location":{"lat":' + raw
                + ',"lon":112.6}}')
        r = client.post("/api/v1/incidents", data=body, content_type="application/json",
                        headers=login("demo-reporter"))
        assert r.status_code == 422, r.get_json()
        assert r.get_json()["errors"][0]["field"] == "location.lat"


def test_malformed_json_is_400_naming_the_body(client, login):
    r = client.post("/api/v1/incidents", data='{"category": "power_cut",',
                    content_type="application/json", headers=login("demo-reporter"))
    assert r.status_code == 400
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0]["field"] == "body"


def test_outside_every_territory_says_so(client, login):
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"), json=_with(
        **{"location.lat": 34.75, "location.lon": 113.62}))  # Zhengzhou
    assert r.status_code == 422
    assert "outside every territory" in r.get_json()["detail"]
    assert r.get_json()["errors"][0]["field"] == "location"


def test_site_that_is_not_the_reporters_is_refused(client, login):
    owner = login("demo-reporter")
    site = client.post("/api/v1/sites", headers=owner, json={
        "name": "一号厂区", "location": location(LON, LAT)}).get_json()
    r = client.post("/api/v1/incidents", headers=login("demo-reporter-2"), json={
        "category": "gate_blocked", "description": "堵门", "site_id": site["id"]})
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "site_id"


def test_no_token_bad_token_and_wrong_role(client, login):
    assert client.post("/api/v1/incidents", json=GOOD).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    r = client.get("/api/v1/incidents", headers=bad)
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    r = client.post("/api/v1/incidents", json=GOOD, headers=login(f"officer-{ZHICHENG}"))
    assert r.status_code == 403
    r = client.post("/api/v1/auth/token", json={"username": "demo-reporter", "password": "x"})
    assert r.status_code == 401


def test_bad_list_filters_name_the_field(client, login):
    h = login("demo-commander")
    for query, field in (("status=lost", "status"), ("bbox=1,2,3", "bbox"),
                         ("bbox=113,35,112,36", "bbox"), ("per_page=0", "per_page"),
                         ("since=yesterday", "since"), ("category=flood", "category")):
        r = client.get(f"/api/v1/incidents?{query}", headers=h)
        assert r.status_code == 422, (query, r.get_json())
        assert r.get_json()["errors"][0]["field"].split(".")[0] == field, (query, r.get_json())


def test_bad_check_in_body_and_unknown_incident(client, login):
    officer = login(f"officer-{ZHICHENG}")
    inc = report(client, login("demo-reporter")).get_json()
    r = client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=officer,
                    json={"location": {"lat": LAT}})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "location.lon"
    r = client.post("/api/v1/incidents/nope/check-in", headers=officer,
                    json={"location": location(LON, LAT)})
    assert r.status_code == 404
