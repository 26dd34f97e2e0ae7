"""GET /api/v1/labels on both databases: the catalogue for anyone (no token), cached and
conditional; and the command center's page, which carries no clock settings any more (the
clocks come as instants with each case) and names its user's role from the catalogue."""

from __future__ import annotations

import json
import re

from dispatch import labels
from mobile_api.schemas import LabelsOut


def test_the_catalogue_for_anyone_cached_and_conditional(client):
    r = client.get("/api/v1/labels")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Cache-Control"] == "public, max-age=300"
    body = r.get_json()
    LabelsOut.model_validate(body)
    assert body == labels.document()
    assert body["labels"]["zh-CN"]["categories"]["gate_blocked"] == "围门"
    again = client.get("/api/v1/labels", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "public, max-age=300"


def test_the_catalogue_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/labels"]["get"]
    assert "security" not in op and "401" not in op["responses"]  # public
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LabelsOut"}


def _page(client, lang: str = "zh-CN") -> str:  # type: ignore[no-untyped-def]
    page = client.get("/command/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/command/sign-in", data={"username": "demo-commander", "password": "demo",
                                          "csrf_token": token})
    return client.get(f"/command/?lang={lang}").text


def test_the_page_holds_no_clock_rule_and_names_the_role_from_the_catalogue(client):
    html = _page(client)
    boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>',
                                html, re.S).group(1))  # type: ignore[union-attr]
    assert "warnings_s" not in boot and "warning" not in json.dumps(boot)
    assert not any(k.startswith(("cat.", "status.", "state.", "role.")) for k in boot["messages"])
    assert re.search(r'<span class="who"[^>]*>指挥中心 ·', html)
    assert re.search(r'<span class="who"[^>]*>Command center ·', _page(client, "en"))
    assert '<script type="module" src="/command/static/main.js"></script>' in html


def test_the_shared_modules_are_served_as_javascript(client):
    for path in ("/static/shared/time.js", "/static/shared/live.js", "/command/static/main.js",
                 "/command/static/clocks.js"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.mimetype in ("text/javascript", "application/javascript"), (path, r.mimetype)
