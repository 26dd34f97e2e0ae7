"""The public disclosure page in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) against gunicorn on PostGIS: read on a phone held upright (390 x 844) and on a desktop
(1280 x 800), with cases in it, one of them with a long reviewed text. Nothing scrolls sideways,
the console stays silent (no CSP violation, no failed request), the product's stylesheet is
applied (cards on the phone, a table on the desktop), no script runs, and the times are China
Standard Time whatever the browser's zone. Screenshots land in tests/e2e/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from playwright.sync_api import Page

from dispatch.utc import CST
from tests.e2e.browser import SHOTS
from tests.e2e.procs import auth, free_port
from tests.helpers import KEJING, ZHICHENG, location, seat

# A reviewed text a commander may publish: long, with a run no line can break at a space.
LONG_PROBLEM = ("企业反映厂区大门被多辆车辆围堵，货车无法进出，生产受到影响，请求尽快处理。" * 3
                + "https://example.org/" + "x" * 120)
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


def _cases(base: str) -> list[dict]:  # type: ignore[type-arg]
    reporter, commander = auth(base, "demo-reporter"), auth(base, "demo-commander")
    made = []
    for category, code in (("gate_blocked", ZHICHENG), ("water_cut", KEJING),
                           ("power_cut", ZHICHENG), ("road_blocked", "419001001")):
        lon, lat = seat(code)
        r = requests.post(f"{base}/api/v1/incidents", headers=reporter, timeout=10, json={
            "category": category, "description": "厂门口有车辆",
            "location": location(lon, lat)})
        assert r.status_code == 201, r.text
        made.append(r.json())
    r = requests.post(f"{base}/api/v1/incidents/{made[0]['id']}/public-text", headers=commander,
                      timeout=10, json={"problem": LONG_PROBLEM, "result": "已派员到场处理"})
    assert r.status_code == 200, r.text
    return made


def _listen(page: Page) -> list[str]:
    """Console errors, uncaught errors (a CSP violation is one) and failed requests."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    return problems


def test_the_public_page_reads_on_a_phone_and_on_a_desktop_with_no_script(stack, browser):
    procs = stack(redis=False)
    base = procs.web("web1", free_port())
    made = _cases(base)
    first = datetime.fromisoformat(made[0]["received_at"].replace("Z", "+00:00"))
    year, week, _ = first.astimezone(CST).isocalendar()  # the week the cases are in
    url = f"{base}/public/cases?week={year:04d}-W{week:02d}"
    published = requests.get(f"{base}/api/v1/public/cases?week={year:04d}-W{week:02d}",
                             timeout=10).json()
    assert published["count"] == len(made)
    received = datetime.fromisoformat(published["cases"][0]["received_at"].replace("Z", "+00:00"))
    shown_time = received.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    assert received.tzinfo is not None and received.astimezone(UTC) == received

    for name, (width, height) in SIZES.items():
        # The browser in another zone than Jiyuan's: the page's times are the server's.
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="zh-CN", timezone_id="Europe/Paris")
        page = context.new_page()
        problems = _listen(page)
        response = page.goto(url)
        assert response is not None and response.status == 200
        page.wait_for_load_state("load")
        assert "style-src 'self'" in response.headers["content-security-policy"]

        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, name
        assert page.evaluate("innerWidth") == width
        assert page.evaluate("document.scripts.length") == 0
        sheets = page.evaluate("Array.from(document.styleSheets).map(s => s.href)")
        assert sheets == [f"{base}/public/static/public.css"], sheets
        # The stylesheet is applied: the page's ground and masthead colours.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
            "rgb(243, 245, 247)"
        assert page.evaluate("getComputedStyle(document.querySelector('.masthead'))"
                             ".backgroundColor") == "rgb(11, 79, 138)"
        rows = page.locator("table.cases tbody tr")
        assert rows.count() == len(made)
        display = page.evaluate("getComputedStyle(document.querySelector('.cases tbody tr'))"
                                ".display")
        head = page.evaluate("document.querySelector('.cases thead').getBoundingClientRect()"
                             ".height")
        # Every case's box (a card, or a row) lies inside the window's width.
        right = page.evaluate("Math.max(...Array.from(document.querySelectorAll("
                              "'.cases tbody tr, .cases td')).map(e => "
                              "e.getBoundingClientRect().right))")
        assert right <= width, (name, right)
        if name == "phone":  # cards, each cell labelled by its column, the heads hidden
            assert display == "block", display
            assert head <= 1
            label = page.evaluate("getComputedStyle(document.querySelector('.cases td'), "
                                  "'::before').content")
            assert label == '"案件编号"'
        else:  # a table with its heads
            assert display == "table-row" and head > 10
        assert shown_time in page.text_content("table.cases")
        assert "https://example.org/xxx" in page.text_content("table.cases")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"public-cases-{width}.png"), full_page=True)
        assert problems == [], (name, problems)
        context.close()
