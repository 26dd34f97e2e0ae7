"""The app the contract is fuzzed against: the real one (make_test_app) on each backend, with
sign-in limits high enough that the fuzzer's own sign-ins are not what it measures, and one live
incident (with a photo) per test, so generated requests reach real cases and not only 404s."""

from __future__ import annotations

import io
import json

import pytest

from tests.conftest import START, _reset, make_test_app
from tests.helpers import ZHICHENG, location, seat

# The fuzzer signs in hundreds of times from one address, mostly with wrong passwords: keep the
# throttle on (its wrapper is part of the route) but far above that, and answer a 429 at once.
# The 429 itself is declared and checked like every other answer.
HIGH_SIGNIN_LIMITS = {
    "SIGNIN_LIMIT_PER_USER": "100000/minute",
    "SIGNIN_LIMIT_PER_ADDRESS": "100000/minute",
    "SIGNIN_REFUSAL_DELAY_SECONDS": 0.0,
}

USERS = {
    "anonymous": None,
    "reporter": "demo-reporter",
    "officer": f"officer-{ZHICHENG}",
    "dispatcher": f"dispatcher-{ZHICHENG}",
    "commander": "demo-commander",
    "admin": "demo-admin",
}

@pytest.fixture(scope="session")
def _contract_apps(clock):  # type: ignore[no-untyped-def]
    apps: dict[str, object] = {}
    yield apps
    for app in apps.values():
        app.extensions["dispatch"].engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def contract_app(backend, _contract_apps, tmp_path_factory, clock, request):  # type: ignore[no-untyped-def]
    if backend not in _contract_apps:
        instance = tmp_path_factory.mktemp(f"contract-{backend}")
        url = request.getfixturevalue("postgis_url") if backend == "postgis" else None
        _contract_apps[backend] = make_test_app(url, instance, clock, **HIGH_SIGNIN_LIMITS)
    app = _contract_apps[backend]
    clock.set(START)
    yield app
    _reset(app)


@pytest.fixture
def sign_in(contract_app):  # type: ignore[no-untyped-def]
    """sign_in(role) -> a fresh token through the public route, or None for anonymous. Fresh
    each time: the fuzzer itself signs out, which revokes every earlier token of the user."""
    client = contract_app.test_client()

    def _sign_in(role: str) -> str | None:
        username = USERS[role]
        if username is None:
            return None
        r = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
        assert r.status_code == 200, r.get_data(as_text=True)
        return str(r.get_json()["access_token"])
    return _sign_in


@pytest.fixture
def live_case(contract_app, sign_in):  # type: ignore[no-untyped-def]
    """A dispatched power cut in 轵城镇 with one photo, reported by demo-reporter."""
    from PIL import Image

    client = contract_app.test_client()
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    lon, lat = seat(ZHICHENG)
    payload = json.dumps({"category": "power_cut", "description": "停电",
                          "location": location(lon, lat)})
    r = client.post("/api/v1/incidents", headers={"Authorization": f"Bearer {sign_in('reporter')}"},
                    data={"payload": payload, "photos": (io.BytesIO(png.getvalue()), "a.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.get_data(as_text=True)
    incident = r.get_json()
    return incident["id"], incident["photos"][0]["id"]
