"""The reporter's phone app (`/m/report/`) in headless Debian Chromium at 390x844, against
gunicorn on PostGIS and Redis: issue 16's reporter lines of "Done when" and each "must never"
with its own named test. The server's state is what is asserted, never only the page's word.
Screenshots of every screen land in tests/e2e/screenshots/report-*.png."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from PIL import Image
from playwright.sync_api import Playwright, sync_playwright

from tests.e2e.phone import (Phone, api_token, assert_the_kill_switch_unregisters,
                             assert_the_new_release_is_taken, cases_of, version, wait_cases)
from tests.e2e.procs import free_port
from tests.helpers import ZHICHENG, seat

LON, LAT = seat(ZHICHENG)  # 轵城镇's seat, inside territory 419001102


@pytest.fixture
def pw() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


def _camera_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A camera-sized photo that does not compress well (noise over a gradient): several MB."""
    rnd = random.Random(16)
    small = Image.new("RGB", (width // 8, height // 8))
    small.putdata([(rnd.randrange(256), (x * 7) % 256, rnd.randrange(256))
                   for x in range((width // 8) * (height // 8))])
    big = small.resize((width, height), Image.NEAREST)
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=95)
    return buf.getvalue()


def _report(phone: Phone, category: str, description: str = "", photo: bytes | None = None,
            shots: str | None = None) -> None:
    """The three taps (category, my location, send), with an optional description and photo."""
    page = phone.page
    page.click(f"#categories button[data-category={category}]")
    page.wait_for_selector("#screen-where:not([hidden])")
    if shots:
        phone.shot(f"{shots}-where")
    page.click("#locate")
    page.wait_for_selector("#details:not([hidden])", timeout=15_000)
    if description:
        page.fill("#description", description)
    if photo is not None:
        page.set_input_files("#photo", files=[{"name": "camera.jpg", "mimeType": "image/jpeg",
                                               "buffer": photo}])
        phone.wait("document.querySelectorAll('#thumbs img').length > 0", timeout_ms=20_000)
    if shots:
        phone.shot(f"{shots}-where-located")
    page.click("#send")
    page.wait_for_selector("#screen-done:not([hidden])", timeout=15_000)


def test_a_power_cut_reported_in_three_taps_from_zhicheng_is_the_servers_case(stack, pw):
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Phone(pw, base, "report", LAT + 0.0004, LON + 0.0003)
    try:
        phone.goto()
        phone.shot("report-signin")
        assert phone.text("#signin-submit") == "登录"
        phone.sign_in("demo-reporter")
        phone.shot("report-home")
        # The catalogue's words, the rule's four first, "other" last; never a location prompt
        # on load: the page asked for no position before the clerk's tap.
        names = phone.js("[...document.querySelectorAll('#categories button')]"
                         ".map(b => b.textContent)")
        assert names == ["围门", "堵路", "断水", "断电", "其他"]
        _report(phone, "power_cut", "生产线停了", shots="report")
        phone.page.wait_for_selector("#done-title[data-state=sent]", timeout=10_000)
        phone.shot("report-sent")
        mine = cases_of(base, api_token(base, "demo-reporter"))
        assert len(mine) == 1
        case = mine[0]
        assert case["category"] == "power_cut" and case["description"] == "生产线停了"
        assert case["territory"]["code"] == ZHICHENG
        assert abs(case["location"]["lat"] - (LAT + 0.0004)) < 1e-6
        assert abs(case["location"]["lon"] - (LON + 0.0003)) < 1e-6
        assert {u["code"] for u in case["units"]} == {ZHICHENG, "power_supply"}
        number = case.get("case_number") or case["id"][:8]
        assert number in phone.text("#done-lead")

        # My cases, and the case's detail with its number and units.
        phone.page.click("#done-cases")
        phone.page.wait_for_selector(f"#case-list li[data-id='{case['id']}']")
        phone.shot("report-cases")
        phone.page.click(f"#case-list li[data-id='{case['id']}'] a")
        phone.page.wait_for_selector("#case-number")
        assert phone.text("#case-number") == number
        phone.shot("report-case")

        # Live: an officer accepts and arrives; the reporter's screen says so without a reload.
        officer = api_token(base, f"officer-{ZHICHENG}")
        r = requests.post(f"{base}/api/v1/incidents/{case['id']}/accept", headers=officer,
                          timeout=10)
        assert r.status_code == 200, r.text
        phone.wait("document.querySelector('#case-units li[data-state=accepted]')")
        r = requests.post(f"{base}/api/v1/incidents/{case['id']}/check-in", headers=officer,
                          timeout=10, json={"location": {"lat": LAT + 0.0004, "lon": LON + 0.0003,
                                                         "accuracy_m": 10.0}})
        assert r.status_code == 200, r.text
        phone.wait("document.querySelector('#case-units li[data-state=arrived]')")
        phone.shot("report-case-arrived")

        # A second power cut at the same place: the open case within 50 m is offered first.
        phone.page.click("#tab-report")
        phone.page.click("#categories button[data-category=power_cut]")
        phone.page.click("#locate")
        phone.page.wait_for_selector(f"#dup-list button[data-follow='{case['id']}']",
                                     timeout=10_000)
        phone.shot("report-duplicate")
        phone.page.click(f"#dup-list button[data-follow='{case['id']}']")
        phone.page.wait_for_selector("#case-number")
        assert len(cases_of(base, api_token(base, "demo-reporter"))) == 1
        assert phone.problems == []
    finally:
        phone.close()


def test_must_never_lose_a_report_offline_with_a_photo_it_survives_reload_and_a_closed_browser_and_is_sent_once_in_order(  # noqa: E501
        stack, pw, tmp_path):
    procs = stack()
    base = procs.web("web1", free_port())
    profile = tmp_path / "profile"
    phone = Phone(pw, base, "report", LAT, LON, profile=profile)
    headers = api_token(base, "demo-reporter")
    try:
        phone.goto()
        phone.sign_in("demo-reporter")
        phone.controlled()
        phone.offline(True)
        photo = _camera_jpeg()
        assert len(photo) > 1_000_000
        _report(phone, "power_cut", "一号车间断电", photo=photo, shots="report-offline")
        # Written before the page said anything, and said as queued: never as sent.
        assert phone.js("document.querySelector('#done-title').dataset.state") == "queued"
        assert "已保存在手机上" in phone.text("#done-title")
        assert "已送达" not in phone.text("#screen-done")
        phone.shot("report-queued")
        phone.page.click("#done-home")
        _report(phone, "water_cut", "二号车间断水")
        phone.page.click("#done-home")
        queued = phone.outbox()
        assert [(x["kind"], x["state"]) for x in queued] == [
            ("report", "queued"), ("photo", "queued"), ("report", "queued")]
        keys = [x["key"] for x in queued]
        phone.shot("report-outbox")
        assert cases_of(base, headers) == []

        phone.page.reload()  # offline: the app comes from the service worker's cache
        phone.ready()
        assert [x["key"] for x in phone.outbox()] == keys
        assert phone.js("document.querySelectorAll('#outbox-items li').length") == 3
        assert "已送达" not in phone.text("#screen-home")

        phone.close()  # the browser is closed (the app killed) and opened again, still offline
        phone.open()
        phone.goto()
        assert [x["key"] for x in phone.outbox()] == keys
        assert cases_of(base, headers) == []

        phone.offline(False)  # the network is back, the app open
        took = wait_cases(base, headers, 2, timeout=10)
        print(f"\nqueued reports reached the server {took:.2f} s after the network returned")
        assert took <= 5.0
        phone.wait("window.reporterApp.outbox.list().then(l => l.length === 0)", timeout_ms=15_000)
        time.sleep(1.0)  # any duplicate would arrive now
        mine = sorted(cases_of(base, headers), key=lambda c: c["received_at"])
        assert [c["category"] for c in mine] == ["power_cut", "water_cut"]  # in order, once each
        assert len(mine[0]["photos"]) == 1 and mine[1]["photos"] == []
        got = requests.get(base + mine[0]["photos"][0]["url"], headers=headers, timeout=10)
        img = Image.open(io.BytesIO(got.content))
        assert img.format == "JPEG" and max(img.size) <= 1600 and len(got.content) <= 400_000
        print(f"the photo: {len(photo)} bytes at 4000x3000 on the phone, "
              f"sent as {len(got.content)} bytes at {img.size[0]}x{img.size[1]}")
        # Offline, the browser logs every refused load and socket attempt; nothing else may show.
        offline = ("Failed to load", "ERR_INTERNET", "net::ERR_", "WebSocket", "websocket",
                   "xhr poll error", "transport", "Failed to fetch")
        other = [p for p in phone.problems if not any(mark in p for mark in offline)]
        assert other == [], other
    finally:
        phone.close()


def test_must_never_file_twice_the_answer_lost_after_the_commit_is_retried_with_its_key(
        stack, pw):
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Phone(pw, base, "report", LAT, LON)
    seen: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        seen.append(route.request.headers.get("idempotency-key", ""))
        if len(seen) == 1:
            answer = route.fetch()  # the server commits the case...
            assert answer.status == 201
            route.abort("connectionreset")  # ...and the phone never hears it
        else:
            route.fallback()

    try:
        phone.goto()
        phone.sign_in("demo-reporter")
        phone.page.route("**/api/v1/incidents", lose_the_first_answer)
        _report(phone, "road_blocked", "门口被堵")
        assert phone.js("document.querySelector('#done-title').dataset.state") == "queued"
        phone.page.wait_for_selector("#done-title[data-state=sent]", timeout=15_000)
        assert len(seen) == 2 and seen[0] == seen[1] and seen[0]
        assert len(cases_of(base, api_token(base, "demo-reporter"))) == 1
    finally:
        phone.close()


def test_must_never_show_one_enterprises_cases_to_another_sign_out_wipes_the_phone(stack, pw):
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Phone(pw, base, "report", LAT, LON)
    try:
        phone.goto()
        phone.sign_in("demo-reporter")
        _report(phone, "gate_blocked", "大门被围")
        phone.page.wait_for_selector("#done-title[data-state=sent]", timeout=10_000)
        first = cases_of(base, api_token(base, "demo-reporter"))[0]
        # A report waiting in the queue (the server answers 503 for now), and a draft half made.
        phone.page.route("**/api/v1/incidents", lambda route: route.fulfill(
            status=503, headers={"Retry-After": "600"}, body="")
            if route.request.method == "POST" else route.fallback())
        phone.page.click("#done-home")
        _report(phone, "water_cut", "断水了")
        phone.page.click("#done-home")
        assert [x["state"] for x in phone.outbox()] == ["queued"]
        phone.page.click("#categories button[data-category=road_blocked]")
        phone.page.click("#locate")
        phone.page.wait_for_selector("#details:not([hidden])")
        phone.page.fill("#description", "草稿：路口被堵")
        phone.page.goto(phone.url + "#/where")  # a reload keeps the draft
        phone.ready()
        phone.page.wait_for_selector("#screen-where:not([hidden])")
        assert phone.page.input_value("#description") == "草稿：路口被堵"
        phone.page.unroute("**/api/v1/incidents")
        user = phone.js("window.reporterApp.user")
        token = phone.js("""new Promise(ok => { const r = indexedDB.open('jy311-report');
            r.onsuccess = () => {
              const g = r.result.transaction('kv').objectStore('kv').get('session');
              g.onsuccess = () => ok(g.result.token); }; })""")
        assert f"jy311-report-u-{user}" in phone.databases()

        phone.page.goto(phone.url + "#/")  # home, the draft kept
        phone.ready()
        phone.page.once("dialog", lambda d: d.accept())  # "1 item not sent; sign out?"
        phone.page.click("#signout")
        phone.page.wait_for_selector("#screen-signin:not([hidden])")
        phone.shot("report-signed-out")
        assert f"jy311-report-u-{user}" not in phone.databases()
        assert all(name.startswith("jy311-shell-report-") for name in phone.js("caches.keys()"))
        revoked = requests.get(f"{base}/api/v1/incidents", timeout=10,
                               headers={"Authorization": "Bearer " + token})
        assert revoked.status_code == 401

        phone.sign_in("demo-reporter-2")
        phone.page.click("#tab-cases")
        phone.page.wait_for_selector("#case-list li")
        assert phone.js("document.querySelectorAll('#case-list li[data-id]').length") == 0
        assert first["id"] not in phone.page.content()
        assert phone.outbox() == []
        second = phone.js("window.reporterApp.user")
        assert phone.databases() == ["jy311-report", f"jy311-report-u-{second}"]
        phone.page.goto(phone.url + "#/where")  # no draft to resume: home
        phone.ready()
        phone.page.wait_for_selector("#screen-home:not([hidden])")
        assert cases_of(base, api_token(base, "demo-reporter-2")) == []
        # The report still queued at sign-out was deleted with the phone's data, as the clerk
        # was asked to confirm; it never reached the server.
        assert len(cases_of(base, api_token(base, "demo-reporter"))) == 1
    finally:
        phone.close()


def test_must_never_serve_a_stale_app_a_new_version_is_taken_at_the_next_load(stack, pw):
    procs = stack()
    port = free_port()
    base = procs.web("web1", port)
    phone = Phone(pw, base, "report", LAT, LON)
    try:
        phone.goto()
        phone.sign_in("demo-reporter")
        phone.controlled()
        old = version(phone)
        phone.page.reload()
        phone.ready()
        assert version(phone) == old
        # A deploy: the same files under another release (files changing do the same:
        # tests/unit/test_phone_shell.py); then the kill switch.
        assert_the_new_release_is_taken(phone, procs, port)
        assert_the_kill_switch_unregisters(phone, procs, port)
        # The app opened again (a new tab, as after the browser was closed) comes from the
        # network, with no shell worker behind it: nothing is cached again, and the page asks for
        # no worker. (Chromium may keep the unregistered kill worker alive while it is being
        # uninstalled; it has no fetch handler, so it serves nothing.)
        phone.page.close()
        phone.page = phone.context.new_page()
        phone.goto()
        time.sleep(2.0)
        assert phone.js("caches.keys()") == []
        assert phone.js("JSON.parse(document.getElementById('boot').textContent).worker_off")
        assert phone.js("performance.getEntriesByType('navigation')[0].transferSize") > 0
    finally:
        phone.close()


def _measured_load(phone: Phone) -> tuple[float, int]:
    """Seconds from navigation to a usable screen, and the bytes the network carried for it."""
    took, _, size = phone.measured_load("body[data-ready='1']")
    return took, size


def test_budgets_first_load_on_fast_3g_and_the_repeat_load_from_the_cache(stack, pw):
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Phone(pw, base, "report", LAT, LON)
    try:
        took, size = _measured_load(phone)
        print(f"\nreporter first load on Fast 3G: usable in {took:.2f} s, {size / 1000:.1f} KB")
        assert size <= 150_000 and took <= 6.0
        phone.sign_in("demo-reporter")
        phone.controlled()
        phone.page.wait_for_load_state("networkidle")
        took, size = _measured_load(phone)
        print(f"reporter repeat load on Fast 3G (service worker's cache): usable in {took:.2f} s, "
              f"{size / 1000:.1f} KB over the network")
        assert took <= 2.0
        files, total = phone.precached_shell()
        print(f"the whole shell precached (Leaflet included, loaded when the map opens): "
              f"{files} files, {total / 1000:.1f} KB compressed")
    finally:
        phone.close()


def _post(base: str, headers: dict[str, str], path: str, **body: Any) -> dict[str, Any]:
    r = requests.post(f"{base}/api/v1/incidents/{path}", headers=headers, json=body, timeout=10)
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def _my_case_shown(phone: Phone, base: str) -> dict[str, Any]:
    """Signed in as the demo reporter, a power cut reported and its case shown on the phone."""
    phone.goto()
    phone.sign_in("demo-reporter")
    _report(phone, "power_cut", "整片停电")
    phone.page.wait_for_selector("#done-title[data-state=sent]", timeout=10_000)
    case = cases_of(base, api_token(base, "demo-reporter"))[0]
    phone.page.goto(f"{phone.url}#/case/{case['id']}")
    phone.ready()
    phone.page.wait_for_selector("#case-number")
    return case


def test_my_case_follows_live_through_extension_restore_resolve_feedback_redo_and_a_complaint(
        stack, pw):
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Phone(pw, base, "report", LAT, LON)
    try:
        case = _my_case_shown(phone, base)
        officer, dispatcher = (api_token(base, f"officer-{ZHICHENG}"),
                               api_token(base, "dispatcher-power_supply"))
        until = requests.get(f"{base}/api/v1/incidents/{case['id']}", headers=officer,
                             timeout=10).json()["deadlines"]["resolve"]
        later = (datetime.fromisoformat(until.replace("Z", "+00:00")) + timedelta(days=3))
        _post(base, dispatcher, f"{case['id']}/extend", reason="等待变压器备件",
              until=later.isoformat())
        phone.wait("document.querySelector('#case-extension') && "
                   "document.querySelector('#case-extension').textContent.includes('等待变压器备件')")
        _post(base, officer, f"{case['id']}/accept")
        _post(base, officer, f"{case['id']}/check-in",
              location={"lat": LAT, "lon": LON, "accuracy_m": 8.0})
        _post(base, officer, f"{case['id']}/restore", note="临时线路已通电")
        _post(base, officer, f"{case['id']}/resolve", note="变压器已更换")
        phone.page.wait_for_selector("#feedback-no", timeout=10_000)
        phone.shot("report-case-feedback")
        phone.page.click("#feedback-no")
        phone.page.click("#feedback [data-rating='2']")
        phone.page.click("#feedback-send")
        phone.wait("document.querySelector('#feedback p') && "
                   "document.querySelector('#feedback p').textContent.includes('不满意')")
        after = requests.get(f"{base}/api/v1/incidents/{case['id']}",
                             headers=api_token(base, "demo-reporter"), timeout=10).json()
        assert after["status"] == "reopened" and after["feedback"]["satisfied"] is False
        assert after["feedback"]["rating"] == 2

        phone.page.click("#complaints summary")
        phone.page.fill("#complaints textarea", "处理太慢，已经停了一整天")
        phone.page.click("#complaints button")
        phone.wait("document.querySelector('#complaints').textContent.includes('投诉 1')")
        phone.shot("report-case-complaint")
        after = requests.get(f"{base}/api/v1/incidents/{case['id']}",
                             headers=api_token(base, "demo-reporter"), timeout=10).json()
        assert [c["text"] for c in after["complaints"]] == ["处理太慢，已经停了一整天"]

        phone.page.click("#lang")  # the same screen in English, after a reload
        phone.ready()
        phone.page.wait_for_selector("#case-number")
        assert phone.text("#tab-cases") == "My cases"
        phone.shot("report-case-en")
        assert phone.problems == []
    finally:
        phone.close()


def test_a_live_update_keeps_the_complaint_being_written(stack, pw):
    """The case is drawn again on every live event: the complaint the clerk is typing stays open,
    with its text and the keyboard (it was closed and emptied, and a test's click lost it)."""
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Phone(pw, base, "report", LAT, LON)
    try:
        case = _my_case_shown(phone, base)
        phone.page.click("#complaints summary")
        phone.page.fill("#complaints textarea", "还没有人来")
        _post(base, api_token(base, f"officer-{ZHICHENG}"), f"{case['id']}/accept")
        phone.wait("document.querySelector('#case-units [data-state=accepted]') !== null")
        assert phone.page.evaluate("document.querySelector('#complaints').open") is True
        assert phone.page.input_value("#complaints textarea") == "还没有人来"
        assert phone.page.evaluate("document.activeElement === "
                                   "document.querySelector('#complaints textarea')") is True
        phone.page.click("#complaints button")
        phone.wait("document.querySelector('#complaints').textContent.includes('投诉 1')")
        assert phone.page.input_value("#complaints textarea") == ""  # sent: no longer a draft
        assert phone.problems == []
    finally:
        phone.close()


def test_inside_wechat_without_offline_storage_the_app_runs_as_plain_h5_with_gcj02(stack, pw):
    """WeChat's browser: its user agent, no service worker, no IndexedDB, and `wx.getLocation`
    giving GCJ-02. The app says what it cannot do, and the report carries the datum."""
    from geo.crs import wgs84_to_gcj02

    procs = stack()
    base = procs.web("web1", free_port())
    glon, glat = wgs84_to_gcj02(LON, LAT)
    stub = f"""
        delete Navigator.prototype.serviceWorker;
        Object.defineProperty(window, 'indexedDB', {{ value: undefined }});
        window.wx = {{ getLocation: (o) => setTimeout(() => o.success(
            {{ latitude: {glat}, longitude: {glon}, accuracy: 30 }}), 50) }};"""
    phone = Phone(pw, base, "report", 0.0, 0.0, user_agent=(
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47"))
    phone.context.add_init_script(stub)
    try:
        phone.goto()
        assert "微信" in phone.text("#banner")
        phone.sign_in("demo-reporter")
        _report(phone, "road_blocked", "路口被堵")
        phone.page.wait_for_selector("#done-title[data-state=sent]", timeout=10_000)
        phone.shot("report-h5-wechat")
        case = cases_of(base, api_token(base, "demo-reporter"))[0]
        # The server converted it: the stored WGS-84 point is where the phone really was.
        assert abs(case["location"]["lat"] - LAT) < 2e-5
        assert abs(case["location"]["lon"] - LON) < 2e-5
        assert case["territory"]["code"] == ZHICHENG
    finally:
        phone.close()


def test_background_sync_sends_the_queue_with_the_app_closed(stack, pw):
    """Chromium's Background Sync: the service worker itself sends what was queued, with no page
    of the app open (the sync event dispatched through DevTools, as going online fires none)."""
    procs = stack()
    base = procs.web("web1", free_port())
    phone = Phone(pw, base, "report", LAT, LON)
    headers = api_token(base, "demo-reporter")
    try:
        phone.goto()
        phone.sign_in("demo-reporter")
        phone.controlled()
        # The page's own requests are refused for now (the worker's are not routed here).
        phone.page.route("**/api/v1/incidents", lambda route: route.fulfill(
            status=503, headers={"Retry-After": "600"}, body="")
            if route.request.method == "POST" else route.fallback())
        _report(phone, "power_cut", "夜间停电")
        assert [x["state"] for x in phone.outbox()] == ["queued"]
        phone.page.close()  # the app is closed
        blank = phone.context.new_page()
        cdp = phone.context.new_cdp_session(blank)
        registrations: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        deadline = time.monotonic() + 10
        while not registrations and time.monotonic() < deadline:
            blank.wait_for_timeout(100)
        reg = next(r for r in registrations if r["scopeURL"].endswith("/m/report/"))
        assert cases_of(base, headers) == []
        cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": base, "registrationId":
                                                     reg["registrationId"], "tag": "outbox",
                                                     "lastChance": False})
        wait_cases(base, headers, 1, timeout=15)
        assert [c["description"] for c in cases_of(base, headers)] == ["夜间停电"]
    finally:
        phone.close()
