"""The served OpenAPI document: valid, complete, and true to what the server answers.

tests/contract/ fuzzes it; these tests name the promises one by one, and walk the whole life of a
case checking every answer against the document, which fuzzing alone rarely reaches.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from tests.helpers import ZHICHENG, location, seat

INCIDENT = "/api/v1/incidents/{incident_id}"
EDGE = {413, 414, 422}  # any request: body over the route's limit, URL too long, NUL in a header
PROTECTED = {401, 503} | EDGE
WITH_BODY = {400} | EDGE

# Every status each operation can answer, beyond which nothing may be sent (the fuzzer checks
# that side). 401: no valid token; 403: not the role; 404: an id unknown or not yours; 409: the
# case's state refuses it; 429: sign-in throttled; 503: database lost.
DECLARED = {
    ("post", "/api/v1/auth/token"): {200, 401, 429, 503} | WITH_BODY,
    ("post", "/api/v1/auth/sign-out"): {204} | PROTECTED,  # comes with the sign-in branch
    ("get", "/api/v1/incidents"): {200} | PROTECTED,
    ("post", "/api/v1/incidents"): {200, 201, 403} | WITH_BODY | PROTECTED,
    ("get", INCIDENT): {200, 404} | PROTECTED,
    ("get", INCIDENT + "/photos/{photo_id}"): {200, 404} | PROTECTED,
    ("post", INCIDENT + "/photos"): {200, 201, 403, 404} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/accept"): {200, 403, 404, 409} | PROTECTED,
    ("post", INCIDENT + "/check-in"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/restore"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/resolve"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/feedback"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/extend"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/complaints"): {201, 403, 404} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/complaints/{number}/reply"): {200, 403, 404, 409} | WITH_BODY
    | PROTECTED,
    ("post", INCIDENT + "/assign"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/remind"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("get", "/api/v1/stats/units"): {200, 403} | PROTECTED,
    ("post", "/api/v1/officers/me/positions"): {202, 403} | WITH_BODY | PROTECTED,
    ("get", "/api/v1/officers"): {200, 403} | PROTECTED,
    ("get", "/api/v1/officers/{officer_id}/trail"): {200, 403, 404, 422} | PROTECTED,
    ("get", "/api/v1/sites"): {200, 403} | PROTECTED,
    ("post", "/api/v1/sites"): {201, 403} | WITH_BODY | PROTECTED,
    ("get", "/api/v1/units"): {200} | PROTECTED,
    ("get", "/api/v1/units/boundaries"): {200} | PROTECTED,
    ("get", "/api/v1/map/incidents"): {200} | PROTECTED,
    ("get", "/api/v1/openapi.json"): {200} | EDGE,
    ("get", "/api/v1/labels"): {200} | EDGE,
    # Anyone, no sign-in; 422 for a bad week or month; 503 when the database is lost.
    ("get", "/api/v1/public/cases"): {200, 503} | EDGE,
    ("post", INCIDENT + "/withhold"): {200, 403, 404, 409} | WITH_BODY | PROTECTED,
    ("post", INCIDENT + "/public-text"): {200, 403, 404} | WITH_BODY | PROTECTED,
    ("get", "/healthz"): {200} | EDGE,
    ("get", "/readyz"): {200, 503} | EDGE,
}

@pytest.fixture
def spec(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()  # type: ignore[no-any-return]


def test_the_document_validates_and_every_ref_resolves(spec):  # type: ignore[no-untyped-def]
    validate(spec)  # openapi-spec-validator, OpenAPI 3.1
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(spec)))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref


def test_every_operation_declares_every_status_it_can_answer(spec):  # type: ignore[no-untyped-def]
    operations = {(m, p): op for p, ops in spec["paths"].items() for m, op in ops.items()}
    assert len(operations) >= 17 and set(operations) <= set(DECLARED), set(operations) - set(
        DECLARED)
    for key, op in operations.items():
        declared = {int(code) for code in op["responses"]}
        assert declared == DECLARED[key], (key, sorted(declared))
        for code, response in op["responses"].items():
            if int(code) >= 400 and (key, code) != (("get", "/readyz"), "503"):
                assert response["content"] == {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}, (key, code)
        if "security" in op:  # a wrong password is a 401 too, on the public sign-in
            assert {401, 503} <= declared, key
    throttled = operations["post", "/api/v1/auth/token"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]


def test_idempotent_writes_declare_the_key_and_the_replay(spec):  # type: ignore[no-untyped-def]
    for path in ("/api/v1/incidents", INCIDENT + "/check-in"):
        op = spec["paths"][path]["post"]
        header = [p for p in op["parameters"] if p["in"] == "header"]
        assert [p["name"] for p in header] == ["Idempotency-Key"], path
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/IncidentOut"}
    create = spec["paths"]["/api/v1/incidents"]["post"]["responses"]
    assert create["200"]["content"] == create["201"]["content"]
    assert "replay" in create["200"]["description"]


def test_restore_is_for_officers_in_the_document_and_in_the_code(spec, client, login):  # type: ignore[no-untyped-def]
    assert spec["paths"][INCIDENT + "/restore"]["post"]["x-roles"] == ["officer"]
    assert spec["paths"][INCIDENT + "/resolve"]["post"]["x-roles"] == ["officer", "dispatcher"]
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    dispatcher = login(f"dispatcher-{ZHICHENG}")
    inc = _report(client, reporter)
    lon, lat = seat()
    assert client.post(f"/api/v1/incidents/{inc['id']}/check-in", headers=officer,
                       json={"location": location(lon, lat)}).status_code == 200
    r = client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=dispatcher, json={})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/incidents/{inc['id']}",
                      headers=reporter).get_json()["status"] == "on_site"  # nothing written
    assert client.post(f"/api/v1/incidents/{inc['id']}/restore", headers=officer,
                       json={"note": "通了"}).status_code == 200
    assert client.post(f"/api/v1/incidents/{inc['id']}/resolve", headers=dispatcher,
                       json={}).status_code == 200


def test_list_parameters_are_declared_as_the_server_reads_them(spec, client, login):  # type: ignore[no-untyped-def]
    params = {p["name"]: p for p in spec["paths"]["/api/v1/incidents"]["get"]["parameters"]}
    for name, value in (("status", "dispatched,on_site"), ("bbox", "112.4,34.9,112.8,35.3")):
        schema = params[name]["schema"]
        assert schema["type"] == "string", name  # one comma-separated value, not an array
        assert re.search(schema["pattern"], value), (name, value)
    assert not re.search(params["status"]["schema"]["pattern"], "dispatched,nonsense")
    assert not re.search(params["bbox"]["schema"]["pattern"], "112.4,34.9,112.8")
    for param in params.values():
        assert "anyOf" not in param["schema"], param  # absent, never null, in a query string
    headers = login("demo-commander")
    inc = _report(client, login("demo-reporter"))
    lon, lat = seat()
    bbox = f"{lon - 0.01:.4f},{lat - 0.01:.4f},{lon + 0.01:.4f},{lat + 0.01:.4f}"
    assert re.search(params["bbox"]["schema"]["pattern"], bbox)
    r = client.get("/api/v1/incidents", headers=headers,
                   query_string={"status": "reported,dispatched", "bbox": bbox})
    assert r.status_code == 200 and [i["id"] for i in r.get_json()["items"]] == [inc["id"]]
    r = client.get("/api/v1/incidents", headers=headers,
                   query_string={"status": "on_site,resolved", "bbox": bbox})
    assert r.status_code == 200 and r.get_json()["items"] == []


def test_every_answer_of_a_case_s_life_matches_the_document(spec, client, login):  # type: ignore[no-untyped-def]
    check = Answers(spec)
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    dispatcher, commander = login(f"dispatcher-{ZHICHENG}"), login("demo-commander")
    admin = login("demo-admin")
    check(client.post("/api/v1/auth/token", json={"username": "demo-reporter",
                                                  "password": "demo"}), 200)
    check(client.post("/api/v1/auth/token", json={"username": "demo-reporter",
                                                  "password": "wrong"}), 401)
    check(client.post("/api/v1/auth/token", data="{", content_type="application/json"), 400)
    key = {"Idempotency-Key": "contract-1"}
    inc = check(_report_with_photo(client, {**reporter, **key}), 201, "post", "/api/v1/incidents")
    check(_report_with_photo(client, {**reporter, **key}), 200, "post", "/api/v1/incidents")
    lon, lat = seat()
    check(client.post("/api/v1/incidents", headers=commander, json={
        "category": "other", "description": "x", "location": location(lon, lat)}), 403)
    check(client.post("/api/v1/incidents", headers=reporter, json={"category": "x"}), 422)
    one = f"/api/v1/incidents/{inc['id']}"
    photo = f"{one}/photos/{inc['photos'][0]['id']}"
    check(client.get(photo, headers=reporter), 200, "get", INCIDENT + "/photos/{photo_id}")
    check(client.get(f"{one}/photos/nope", headers=reporter), 404,
          "get", INCIDENT + "/photos/{photo_id}")
    for who in (reporter, officer, dispatcher, commander, admin):
        check(client.get("/api/v1/incidents", headers=who), 200)
        check(client.get(one, headers=who), 200, "get", INCIDENT)
    check(client.get("/api/v1/incidents", headers=commander, query_string={"page": 0}), 422)
    check(client.get("/api/v1/incidents/nope", headers=commander), 404, "get", INCIDENT)
    check(client.get(one), 401, "get", INCIDENT)
    check(client.post(f"{one}/restore", headers=officer, json={}), 409,
          "post", INCIDENT + "/restore")
    check(client.post(f"{one}/accept", headers=reporter), 403, "post", INCIDENT + "/accept")
    check(client.post(f"{one}/accept", headers=officer), 200, "post", INCIDENT + "/accept")
    lon, lat = seat()
    check(client.post(f"{one}/check-in", headers=officer,
                      json={"location": location(lon + 0.05, lat)}), 422,
          "post", INCIDENT + "/check-in")
    check(client.post(f"{one}/check-in", headers={**officer, "Idempotency-Key": "c-1"},
                      json={"location": location(lon, lat)}), 200, "post", INCIDENT + "/check-in")
    check(client.post(f"{one}/check-in", headers={**officer, "Idempotency-Key": "c-1"},
                      json={"location": location(lon, lat)}), 200, "post", INCIDENT + "/check-in")
    check(client.post(f"{one}/restore", headers=officer, json={"note": "ok"}), 200,
          "post", INCIDENT + "/restore")
    check(client.post(f"{one}/resolve", headers=dispatcher, json={}), 200,
          "post", INCIDENT + "/resolve")
    check(client.get(one, headers=reporter), 200, "get", INCIDENT)
    fix = {"lat": lat, "lon": lon, "accuracy_m": 5.0, "recorded_at": "2026-11-27T02:00:00Z"}
    check(client.post("/api/v1/officers/me/positions", headers=officer, json=[fix]), 202)
    check(client.post("/api/v1/officers/me/positions", headers=officer,
                      json={"positions": [fix]}), 202)
    check(client.post("/api/v1/officers/me/positions", headers=reporter, json=[fix]), 403)
    site = {"name": "济源钢铁", "location": location(lon, lat)}
    check(client.post("/api/v1/sites", headers=reporter, json=site), 201)
    check(client.post("/api/v1/sites", headers=reporter,
                      json={**site, "green_channel": True}), 403)
    for who in (reporter, admin, commander):
        check(client.get("/api/v1/sites", headers=who), 200)
    check(client.get("/api/v1/sites", headers=officer), 403)
    check(client.get("/api/v1/units", headers=officer), 200)
    check(client.get("/api/v1/units/boundaries", headers=officer), 200)
    for who in (reporter, officer, dispatcher, commander, admin):
        check(client.get("/api/v1/map/incidents", headers=who), 200)
    check(client.get("/api/v1/map/incidents", headers=commander,
                     query_string={"bbox": "1,2,3"}), 422)
    check(client.get("/healthz"), 200)
    check(client.get("/readyz"), 200)
    check(client.get("/api/v1/openapi.json"), 200)
    assert len(check.seen) >= 40


class Answers:
    """Checks an answer's status, Content-Type and body against the document."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.seen: list[tuple[str, str, int]] = []

    def __call__(self, r: Any, status: int, method: str | None = None,
                 path: str | None = None) -> Any:
        method = method or r.request.method.lower()
        path = path or r.request.path
        assert r.status_code == status, (method, path, r.status_code, r.get_data(as_text=True))
        response = self.spec["paths"][path][method]["responses"][str(status)]
        media = response["content"][r.mimetype]
        if r.mimetype.startswith("image/"):
            assert r.data[:8] == b"\x89PNG\r\n\x1a\n"
            self.seen.append((method, path, status))
            return None
        body = json.loads(r.get_data(as_text=True))
        root = {**media["schema"], "components": self.spec["components"]}
        errors = sorted(Draft202012Validator(root, format_checker=FormatChecker())
                        .iter_errors(body), key=str)
        assert not errors, (method, path, status, [e.message for e in errors[:5]])
        self.seen.append((method, path, status))
        return body


def _report(client, headers, **kw):  # type: ignore[no-untyped-def]
    lon, lat = seat()
    r = client.post("/api/v1/incidents", headers=headers, json={
        "category": "power_cut", "description": "停电", "location": location(lon, lat), **kw})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _report_with_photo(client, headers):  # type: ignore[no-untyped-def]
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(png, "PNG")
    lon, lat = seat()
    payload = json.dumps({"category": "road_blocked", "description": "路被堵",
                          "location": location(lon, lat)})
    return client.post("/api/v1/incidents", headers=headers, content_type="multipart/form-data",
                       data={"payload": payload, "photos": (io.BytesIO(png.getvalue()), "p.png")})
