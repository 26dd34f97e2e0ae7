"""The officer's phone app (`/m/officer/`) in headless Debian Chromium at 390x844, against
gunicorn on PostGIS and Redis: issue 16's officer lines of "Done when" and the officer's share of
each "must never" with its own named test, and the officer's budgets measured through DevTools
and printed. The server's state is what is asserted, never only the page's word. Screenshots of
every screen land in tests/e2e/screenshots/officer-*.png."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import Playwright, sync_playwright

from tests.e2e.phone import FAST_3G, Phone, api_token, cases_of
from tests.e2e.procs import free_port
from tests.helpers import KEJING, ZHICHENG, seat

LON, LAT = seat(ZHICHENG)  # 轵城镇's seat, inside territory 419001102
OFFICER = f"officer-{ZHICHENG}"


def north(lat: float, metres: float) -> float:
    """The latitude `metres` north of `lat` (on the mean sphere: 111,195 m a degree)."""
    return lat + metres / 111_195


@pytest.fixture
def pw() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


def sign_in(phone: Phone, username: str = OFFICER) -> None:
    phone.page.fill("#username", username)
    phone.page.fill("#password", "demo")
    phone.page.click("#signin-submit")
    phone.page.wait_for_selector("#screen-tasks:not([hidden])", timeout=20_000)


def report(base: str, lat: float = LAT, lon: float = LON, category: str = "power_cut",
           username: str = "demo-reporter", description: str = "断电") -> dict[str, Any]:
    r = requests.post(f"{base}/api/v1/incidents", headers=api_token(base, username), timeout=10,
                      json={"category": category, "description": description,
                            "location": {"lat": lat, "lon": lon, "accuracy_m": 10.0}})
    assert r.status_code == 201, r.text
    return dict(r.json())


def case(base: str, case_id: str, username: str = OFFICER) -> dict[str, Any]:
    r = requests.get(f"{base}/api/v1/incidents/{case_id}", headers=api_token(base, username),
                     timeout=10)
    r.raise_for_status()
    return dict(r.json())


def mine(c: dict[str, Any], code: str = ZHICHENG) -> dict[str, Any]:
    return next(u for u in c["units"] if u["code"] == code)


def open_task(phone: Phone, case_id: str) -> None:
    phone.page.click(f"#task-list li[data-id='{case_id}'] a")
    phone.page.wait_for_selector(f"#task-head .detail[data-id='{case_id}']")


def locate(phone: Phone, lat: float, lon: float, accuracy: float = 12) -> str:
    """The officer stands at (lat, lon) and asks for the check-in fix; the page's verdict."""
    phone.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": accuracy})
    phone.page.click("#checkin-locate")
    phone.wait("document.querySelector('#checkin-verdict').dataset.ok === '1' || "
               "document.querySelector('#checkin-verdict').dataset.ok === '0'")
    return str(phone.js("document.querySelector('#checkin-verdict').dataset.ok"))


def test_a_power_cut_in_zhicheng_reaches_the_officer_live_who_accepts_and_checks_in_seen_by_the_reporter(  # noqa: E501
        stack, pw):
    procs = stack()
    base = procs.web("web1", free_port())
    site_lat, site_lon = LAT + 0.0004, LON + 0.0003
    reporter = Phone(pw, base, "report", site_lat, site_lon)
    officer = Phone(pw, base, "officer", north(site_lat, 100), site_lon)
    try:
        officer.goto()
        officer.shot("officer-signin")
        assert officer.text("#signin-submit") == "登录"
        sign_in(officer)
        officer.wait("window.officerApp.live && window.officerApp.live.resyncs > 0")
        officer.shot("officer-tasks-empty")
        assert officer.js("document.querySelectorAll('#task-list li[data-id]').length") == 0

        # The reporter reports a power cut in three taps from 轵城镇, in the reporter's app.
        reporter.goto()
        reporter.sign_in("demo-reporter")
        reporter.page.click("#categories button[data-category=power_cut]")
        reporter.page.click("#locate")
        reporter.page.wait_for_selector("#details:not([hidden])", timeout=15_000)
        reporter.page.fill("#description", "厂区整体停电")
        sent = time.monotonic()
        reporter.page.click("#send")
        officer.page.wait_for_selector("#task-list li[data-id]", timeout=5_000)
        pushed = time.monotonic() - sent
        print(f"\nthe pushed task was on the officer's screen {pushed:.2f} s after the reporter's "
              f"tap on send")
        assert pushed <= 2.0
        the_case = cases_of(base, api_token(base, "demo-reporter"))[0]
        cid = the_case["id"]
        assert officer.js("document.querySelector('#task-list li').dataset.id") == cid
        officer.wait("document.querySelector('#task-list li .num').textContent.includes(arg)",
                     the_case["case_number"])
        assert officer.js("document.querySelector('#task-list li').dataset.stage") == "offered"
        officer.shot("officer-tasks")

        # The reporter follows the case.
        reporter.page.wait_for_selector("#done-title[data-state=sent]", timeout=10_000)
        reporter.page.goto(f"{reporter.url}#/case/{cid}")
        reporter.ready()
        reporter.page.wait_for_selector("#case-units li")

        # The task: its number, and the way there in the phone's map apps, AMap's in GCJ-02.
        open_task(officer, cid)
        assert officer.text("#task-number") == the_case["case_number"]
        officer.shot("officer-task")
        geo = officer.js("document.querySelector('#nav-geo').href")
        assert geo.startswith(f"geo:{round(site_lat, 6)},{round(site_lon, 6)}?q=")
        from geo.crs import wgs84_to_gcj02

        amap = urlparse(officer.js("document.querySelector('#nav-amap').href"))
        assert amap.netloc == "uri.amap.com"
        glon, glat = (float(x) for x in parse_qs(amap.query)["position"][0].split(","))
        want_lon, want_lat = wgs84_to_gcj02(site_lon, site_lat)
        assert abs(glon - want_lon) < 2e-6 and abs(glat - want_lat) < 2e-6
        assert parse_qs(amap.query)["coordinate"] == ["gaode"]

        # Accept.
        assert officer.js("document.querySelector('#act').dataset.action") == "accept"
        officer.page.click("#act")
        officer.wait("document.querySelector('#act').dataset.action === 'check-in'",
                     timeout_ms=10_000)
        assert mine(case(base, cid))["accepted_at"] is not None
        reporter.wait("document.querySelector('#case-units li[data-state=accepted]')")
        officer.page.wait_for_selector("#track:not([hidden])")  # tracking while the task is on

        # From 1 km away: refused on the page, with the distance; nothing is sent.
        officer.page.click("#act")
        officer.page.wait_for_selector("#checkin:not([hidden])")
        officer.shot("officer-checkin")
        assert locate(officer, north(site_lat, 1000), site_lon) == "0"
        verdict = officer.text("#checkin-verdict")
        assert "1000 米" in verdict and "不能签到" in verdict, verdict
        assert officer.text("#checkin-distance") == "1000 米"
        assert officer.text("#checkin-radius") == "212 米（200 米 + 定位精度）"
        assert officer.js("document.querySelector('#checkin-send').hidden")
        officer.shot("officer-checkin-far")
        assert mine(case(base, cid))["arrived_at"] is None

        # From 100 m: distance, accuracy and radius shown first, then the server's answer.
        assert locate(officer, north(site_lat, 100), site_lon, accuracy=12) == "1"
        assert officer.text("#checkin-distance") == "100 米"
        assert officer.text("#checkin-accuracy") == "± 12 米"
        officer.shot("officer-checkin-near")
        officer.page.click("#checkin-send")
        officer.page.wait_for_selector("#checkin-answer[data-state=arrived]", timeout=10_000)
        officer.shot("officer-checkin-arrived")
        unit = mine(case(base, cid))
        assert unit["arrived_at"] is not None and 95 <= unit["arrival_distance_m"] <= 105
        assert unit["arrival_sent_late"] is False
        # The reporter's app shows the arrival live.
        reporter.wait("document.querySelector('#case-units li[data-state=arrived]')")
        reporter.shot("officer-flow-reporter-sees-arrival")
        assert officer.js("document.querySelector('#act').dataset.action") == "restore"
        assert officer.problems == [] and reporter.problems == []
    finally:
        officer.close()
        reporter.close()
