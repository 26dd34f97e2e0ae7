"""The command center offers each role the actions its API routes declare for it (issue 17):
the boot data's `may`, read from the routes' own roles, so the page and the API cannot disagree
on who may act (the server still checks every request)."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.test_command_pages import _sign_in


def _boot(client) -> dict:  # type: ignore[no-untyped-def,type-arg]
    page = client.get("/command/")
    assert page.status_code == 200
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', page.text, re.S)
    assert found
    return json.loads(found.group(1))  # type: ignore[no-any-return]


@pytest.mark.parametrize(("username", "may"), [
    ("demo-commander", {"assign": True, "extend": False, "withhold": True, "reply": True,
                        "remind": True}),
    ("dispatcher-419001102", {"assign": False, "extend": True, "withhold": False,
                              "reply": False, "remind": False}),
])
def test_the_page_offers_the_actions_the_api_lets_the_role_take(client, username, may):
    assert _sign_in(client, username).status_code == 303
    assert _boot(client)["may"] == may
