"""The command center from an operator's side, issue 17's "see" half, in Debian's Chromium against
gunicorn on PostGIS and Redis: who is on the way (the officer's name, distance, rough time, last
seen and trail on a case; clicking an officer opens their case), the totals matching the API's
own answers (and their CSV), a dispatcher starting on its own territory, the page at a
projector's 1280x800 and a tablet's 1024x768 with nothing cut off, the base map as one setting
(each provider's tile URL, attribution, datum and CSP, tiles answered locally: no network), and
the Chinese page's words. Screenshots land in tests/e2e/screenshots/."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from PIL import Image

from geo.distance import offset_point
from tests.e2e.browser import CommandPage
from tests.e2e.procs import auth, free_port
from tests.helpers import KEJING, ZHICHENG, location, seat

OFFICER = f"officer-{ZHICHENG}"


def _report(base: str, category: str = "power_cut", code: str = ZHICHENG,
            east_m: float = 0.0) -> dict[str, Any]:
    lon, lat = offset_point(*seat(code), 90.0, east_m) if east_m else seat(code)
    r = requests.post(f"{base}/api/v1/incidents", headers=auth(base, "demo-reporter"),
                      timeout=10, json={"category": category, "description": "停电",
                                        "location": location(lon, lat)})
    assert r.status_code == 201, r.text
    return r.json()


def _fixes(base: str, who: str, *points: tuple[float, datetime]) -> None:
    """Fixes `metres` east of the town's seat, at those instants."""
    body = [{**location(*offset_point(*seat(), 90.0, m), accuracy_m=5.0),
             "recorded_at": at.isoformat()} for m, at in points]
    r = requests.post(f"{base}/api/v1/officers/me/positions", headers=auth(base, who),
                      timeout=10, json={"positions": body})
    assert r.status_code == 202, r.text


def _accept(base: str, who: str, case_id: str) -> None:
    r = requests.post(f"{base}/api/v1/incidents/{case_id}/accept", headers=auth(base, who),
                      timeout=10)
    assert r.status_code == 200, r.text


def _officer_id(base: str, username: str) -> str:
    items = requests.get(f"{base}/api/v1/officers", headers=auth(base, "demo-commander"),
                         timeout=10).json()["items"]
    return next(o["id"] for o in items if o["username"] == username)


def test_a_case_names_its_officer_with_distance_rough_time_last_seen_and_trail(stack, browser):
    procs = stack()
    base = procs.web("web1", free_port())
    cp = CommandPage(browser, base, "demo-commander")
    case = _report(base)
    cp.wait("id => window.commandCenter.hasMarker(id)", case["id"])
    now = datetime.now(UTC)
    # Driving in from 5 km east: three fixes over ten minutes, the last one now at 2 km.
    _fixes(base, OFFICER, (5000.0, now - timedelta(minutes=10)),
           (3500.0, now - timedelta(minutes=5)), (2000.0, now - timedelta(seconds=5)))
    _accept(base, OFFICER, case["id"])
    officer = _officer_id(base, OFFICER)
    # The acceptance's live event makes the page read who is on the way again by itself.
    row = f"#board-rows tr[data-id='{case['id']}'] .otw"
    cp.wait("s => { const e = document.querySelector(s);"
            " return e && e.textContent.includes('公里'); }", row, timeout_ms=5000)
    line = cp.page.text_content(row)
    name = requests.get(f"{base}/api/v1/officers", headers=auth(base, "demo-commander"),
                        timeout=10).json()["items"]
    name = next(o["name"] for o in name if o["id"] == officer)
    assert name in line and "2.0 公里" in line and "约 4 分钟" in line, line
    assert "刚刚" in line  # last seen 5 s ago

    # The detail: the same, in a table, with the rule of the figures said in words; the
    # officer's trail of the last 30 minutes on the map (three fixes).
    cp.page.click(f"#board-rows tr[data-id='{case['id']}']")
    cp.wait("() => document.querySelector('#detail-otw .otw-name') !== null")
    assert cp.page.text_content("#detail-otw .otw-name") == name
    assert cp.page.text_content("#detail-otw .otw-distance") == "2.0 公里"
    assert cp.page.text_content("#detail-otw .otw-eta") == "约 4 分钟"
    assert cp.page.text_content("#detail-otw .otw-seen") == "刚刚"
    assert "30 公里/小时" in cp.page.text_content("#detail-otw .otw-note")
    cp.wait("id => window.commandCenter.trails()[id] === 3", officer)
    assert cp.js("document.querySelectorAll('path.officer-trail').length") == 1
    cp.shot("see-on-the-way-detail")

    # Clicking the officer's marker (it came live with a new fix) opens the case they work.
    cp.page.click("#detail-close")
    _fixes(base, OFFICER, (1900.0, datetime.now(UTC)))
    cp.wait("id => window.commandCenter.officerIds().includes(id)", officer)
    lon, lat = offset_point(*seat(), 90.0, 1900.0)
    cp.js("([lat, lon]) => window.commandCenter.focus(lat, lon, 15)", [lat, lon])
    cp.page.locator(f"#map .officer-marker:has([data-officer='{officer}'])").click()
    cp.wait("id => location.hash.includes(id)", case["id"])
    cp.wait("() => document.querySelector('#detail-otw .otw-name') !== null")
    cp.shot("see-officer-opens-case")
    assert cp.unexpected() == []
    cp.close()


def _api_totals(base: str) -> tuple[dict[str, int], dict[str, dict[str, int]],
                                    dict[str, dict[str, int]]]:
    """The counts from GET /api/v1/map/incidents' own answers: its state, units and status."""
    fc = requests.get(f"{base}/api/v1/map/incidents", headers=auth(base, "demo-commander"),
                      timeout=10).json()
    kinds = ("open", "unaccepted", "near", "overdue", "on_site")

    def counts(p: dict[str, Any]) -> Counter[str]:
        return Counter({"open": 1, "unaccepted": int(any(not u["accepted"] for u in p["units"])),
                        "near": int(p["state"] == "near"), "overdue": int(p["state"] == "overdue"),
                        "on_site": int(p["status"] == "on_site")})

    total: Counter[str] = Counter()
    units: dict[str, Counter[str]] = {}
    towns: dict[str, Counter[str]] = {}
    for f in fc["features"]:
        p = f["properties"]
        c = counts(p)
        total += c
        towns.setdefault(p["territory"], Counter()).update(c)
        for u in p["units"]:
            units.setdefault(u["code"], Counter()).update(c)

    def full(c: Counter[str]) -> dict[str, int]:
        return {k: c[k] for k in kinds}

    return (full(total), {k: full(v) for k, v in units.items()},
            {k: full(v) for k, v in towns.items()})


def test_the_totals_match_the_api_and_export_as_csv(stack, browser):
    # Deadlines 60 times faster: arrival due in 30 s, near 10 s before: some cases near or
    # overdue while the test runs; the totals follow the cases' clocks and still match.
    procs = stack(DISPATCH_TIME_SCALE="60")
    base = procs.web("web1", free_port())
    cp = CommandPage(browser, base, "demo-commander")
    made = [_report(base, category, code, east_m=10.0 * i) for i, (category, code) in enumerate(
        [("power_cut", ZHICHENG), ("water_cut", KEJING), ("road_blocked", ZHICHENG),
         ("gate_blocked", KEJING), ("power_cut", KEJING)])]
    _accept(base, OFFICER, made[0]["id"])
    lon, lat = seat()
    r = requests.post(f"{base}/api/v1/incidents/{made[0]['id']}/check-in",
                      headers=auth(base, OFFICER), timeout=10,
                      json={"location": location(lon, lat, accuracy_m=5.0)})
    assert r.status_code == 200, r.text
    cp.wait("n => window.commandCenter.totals() && window.commandCenter.totals().all.open === n",
            len(made), timeout_ms=5000)
    cp.wait("() => window.commandCenter.totals().all.on_site === 1", timeout_ms=5000)
    # The same moment on both sides: read the API, then the page's totals of that second.
    for _ in range(5):
        want = _api_totals(base)
        got = cp.js("window.commandCenter.totals()")
        if (got["all"], got["units"], got["towns"]) == want:
            break
        cp.page.wait_for_timeout(600)  # a clock crossed a near/overdue instant in between
    assert (got["all"], got["units"], got["towns"]) == want
    strip = {k: int(cp.page.text_content(f"#totals .total-{k} strong"))
             for k in ("open", "unaccepted", "near", "overdue", "on_site")}
    assert strip == got["all"] or _api_totals(base)[0] == strip
    assert strip["open"] == 5 and strip["on_site"] == 1 and strip["unaccepted"] == 5

    # Per unit and per town, with the unit's and town's names, and the CSV of each.
    cp.page.click("#totals-open")
    cp.wait("() => document.querySelectorAll('#totals-towns tr').length === 3")
    towns = cp.js("Array.from(document.querySelectorAll('#totals-towns tr')).slice(1)"
                  ".map(r => Array.from(r.cells).map(c => c.textContent))")
    assert {r[0] for r in towns} == {"轵城镇", "克井镇"}
    assert sum(int(r[1]) for r in towns) == 5
    with cp.page.expect_download() as dl:
        cp.page.click("#totals-units-csv")
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    lines = text.strip().splitlines()
    assert lines[0] == "单位,未办结,未接单,临近超时,已超时,已到场"
    assert len(lines) == 1 + len(got["units"])
    cp.shot("see-totals")
    # A filter narrows the totals to the view.
    cp.page.select_option("#f-category", "water_cut")
    cp.wait("() => window.commandCenter.totals().all.open === 1")
    assert cp.unexpected() == []
    cp.close()


def test_a_dispatcher_starts_on_its_territory_named_and_its_empty_board_says_so(stack,
                                                                                browser):
    procs = stack()
    base = procs.web("web1", free_port())
    cp = CommandPage(browser, base, f"dispatcher-{KEJING}")
    assert cp.page.text_content("#who-unit") == "克井镇"
    assert KEJING not in cp.page.text_content("header.top")
    assert cp.page.inner_text(".who").count("克井镇") == 1  # "克井镇 调度" says it once
    assert cp.js("document.getElementById('map').dataset.focus") == KEJING
    assert cp.js("document.querySelectorAll('path.territory-focus').length") == 1
    cp.page.wait_for_selector("#board-empty", state="visible")
    assert cp.page.text_content("#board-empty") == "克井镇当前没有未办结案件"
    # The territory fills the map: its outline's box is most of the map's.
    box = cp.page.locator("path.territory-focus").bounding_box()
    frame = cp.page.locator("#map").bounding_box()
    assert box and frame
    assert box["width"] > 0.4 * frame["width"] or box["height"] > 0.4 * frame["height"]
    cp.shot("see-dispatcher-territory")
    cp.close()

    # Command: choosing a town outlines and zooms to it; choosing "all" shows the city again.
    cp = CommandPage(browser, base, "demo-commander")
    city = cp.js("window.commandCenter.zoom()")
    cp.page.select_option("#f-unit", ZHICHENG)
    cp.wait("c => document.getElementById('map').dataset.focus === c", ZHICHENG)
    assert cp.js("window.commandCenter.zoom()") > city
    assert cp.js("document.querySelectorAll('path.territory-focus').length") == 1
    cp.page.select_option("#f-unit", "")
    cp.wait("() => document.getElementById('map').dataset.focus === ''")
    assert cp.js("document.querySelectorAll('path.territory-focus').length") == 0
    assert cp.unexpected() == []
    cp.close()


_VISIBLE = ["header.top", "header.top h1", "#tab-ops", "#tab-stats", ".who", "#lang-switch",
            "#sign-out", "#live-status", "#map", "#board-box", "#filters", "#totals",
            "#totals-open", "#map-datum", ".legend"]


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1024, 768)])
def test_the_page_fits_a_projector_and_a_tablet_with_nothing_cut_off(stack, browser, width,
                                                                     height):
    procs = stack()
    base = procs.web("web1", free_port())
    for i, (category, code) in enumerate([("power_cut", ZHICHENG), ("water_cut", KEJING),
                                          ("road_blocked", ZHICHENG)]):
        _report(base, category, code, east_m=20.0 * i)
    cp = CommandPage(browser, base, None)
    cp.page.set_viewport_size({"width": width, "height": height})
    cp.sign_in(f"dispatcher-{ZHICHENG}")  # the longest header: a role, a name and a unit
    cp.wait("() => document.getElementById('board-box').dataset.count === '2'")
    for selector in _VISIBLE:
        box = cp.page.locator(selector).first.bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
        assert box["x"] + box["width"] <= width + 0.5, (selector, box)
        assert box["y"] + box["height"] <= height + 0.5, (selector, box)
    # The header does not overflow; neither does the page (no scrollbar of the window).
    assert cp.js("(() => { const h = document.querySelector('header.top');"
                 " return h.scrollWidth <= h.clientWidth; })()")
    assert cp.js("document.documentElement.scrollWidth <= window.innerWidth")
    assert cp.js("document.documentElement.scrollHeight <= window.innerHeight")
    m = cp.page.locator("#map").bounding_box()
    assert m and m["width"] >= 0.5 * width and m["height"] >= 0.8 * (height - 48)
    # The board's case rows show whole, without scrolling sideways.
    assert cp.js("(() => { const b = document.getElementById('board-box');"
                 " return b.scrollWidth <= b.clientWidth; })()")
    cp.shot(f"see-layout-{width}x{height}")
    first = cp.page.locator("#board-rows > tr").first
    first.click()
    cp.wait("() => !document.getElementById('detail').hidden &&"
            " document.querySelectorAll('#detail-timeline li').length > 0")
    d = cp.page.locator("#detail").bounding_box()
    assert d and d["x"] >= 0 and d["x"] + d["width"] <= width + 0.5
    # Nothing of the totals strip or the legend is under the open detail: each ends left of
    # the panel and is what the browser finds at its own centre.
    cp.wait("() => { const d = document.getElementById('detail').getBoundingClientRect();"
            " return Array.from(document.querySelectorAll('#totals > *, #map .legend'))"
            " .every(e => {"
            " const r = e.getBoundingClientRect();"
            " const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return r.right <= d.left + 0.5 && e.contains(at); }); }")
    cp.shot(f"see-layout-{width}x{height}-detail")
    assert cp.unexpected() == []
    cp.close()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (232, 236, 228)).save(out, "PNG")
    return out.getvalue()


_PROVIDERS = {
    "tianditu": ({"DISPATCH_TILE_KEY": "0123456789abcdef0123456789abcdef"},
                 re.compile(r"^https://t[0-7]\.tianditu\.gov\.cn/(vec|cva)_w/wmts\?SERVICE=WMTS&"
                            r"REQUEST=GetTile&VERSION=1\.0\.0&LAYER=(vec|cva)&STYLE=default&"
                            r"TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX=\d+&TILEROW=\d+&TILECOL=\d+"
                            r"&tk=0123456789abcdef0123456789abcdef$"),
                 "天地图", "wgs84", "CGCS2000",
                 [f"https://t{i}.tianditu.gov.cn" for i in range(8)]),
    "amap": ({}, re.compile(r"^https://webrd0[1-4]\.is\.autonavi\.com/appmaptile\?lang=zh_cn&"
                            r"size=1&scale=1&style=8&x=\d+&y=\d+&z=\d+$"),
             "高德", "gcj02", "GCJ-02",
             [f"https://webrd0{i}.is.autonavi.com" for i in range(1, 5)]),
    "tencent": ({}, re.compile(r"^https://rt[0-3]\.map\.gtimg\.com/tile\?z=\d+&x=\d+&y=\d+&"
                               r"type=vector&styleid=0$"),
                "腾讯", "gcj02", "GCJ-02", [f"https://rt{i}.map.gtimg.com" for i in range(4)]),
}


@pytest.mark.parametrize("provider", list(_PROVIDERS))
def test_each_base_map_setting_draws_its_tiles_attribution_and_datum_under_its_own_csp(
        stack, browser, provider):
    env, url, credit, datum, datum_words, hosts = _PROVIDERS[provider]
    procs = stack(DISPATCH_TILE_PROVIDER=provider, DISPATCH_TILE_ATTRIBUTION="审图号：GS(2099)1号",
                  **env)
    base = procs.web("web1", free_port())
    case = _report(base)
    # The tiles are answered here: nothing leaves the machine.
    asked: list[str] = []
    png = _png()
    cp = CommandPage(browser, base, None)

    def tile(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=png)

    cp.context.route(re.compile(r"^https://(?!127\.0\.0\.1).*"), tile)
    cp.sign_in("demo-commander")
    cp.wait("() => Array.from(document.querySelectorAll('#map img.leaflet-tile'))"
            ".some(t => t.classList.contains('leaflet-tile-loaded'))", timeout_ms=10_000)
    assert asked and all(url.match(a) for a in asked), asked[:3]
    srcs = cp.js("Array.from(document.querySelectorAll('#map img.leaflet-tile')).map(t => t.src)")
    assert srcs and all(url.match(s) for s in srcs)
    if provider == "tianditu":  # the map and its Chinese annotation layer
        assert {"vec", "cva"} == {re.search(r"LAYER=(\w+)", s)[1] for s in srcs}  # type: ignore[index]
    attribution = cp.page.text_content("#map .leaflet-control-attribution")
    assert credit in attribution and "审图号：GS(2099)1号" in attribution
    assert cp.js("document.getElementById('map-datum').dataset.datum") == datum
    assert datum_words in cp.page.text_content("#map-datum")
    # The CSP names exactly the provider's hosts for images, nothing wider.
    csp = requests.get(f"{base}/command/sign-in", timeout=10).headers["Content-Security-Policy"]
    img = next(d for d in csp.split("; ") if d.startswith("img-src"))
    assert img.split()[1:] == ["'self'", "data:", "blob:", *sorted(hosts)]
    assert cp.csp_violations() == []
    # A GCJ-02 map draws the WGS-84 case shifted onto its tiles (hundreds of metres here).
    cp.js("([lat, lon]) => window.commandCenter.focus(lat, lon, 17)",
          [case["location"]["lat"], case["location"]["lon"]])
    drawn = cp.js("id => window.commandCenter.markerPoint(id)", case["id"])
    raw = cp.js("([lat, lon]) => window.commandCenter.rawPoint(lat, lon)",
                [case["location"]["lat"], case["location"]["lon"]])
    apart = abs(drawn["x"] - raw["x"]) + abs(drawn["y"] - raw["y"])
    assert (apart > 20) if datum == "gcj02" else (apart < 1), apart
    cp.shot(f"see-basemap-{provider}")
    assert cp.unexpected() == []
    cp.close()


def test_no_tiles_is_the_demo_said_on_the_map_and_the_zh_page_speaks_chinese(stack, browser):
    procs = stack()
    base = procs.web("web1", free_port())
    cp = CommandPage(browser, base, "demo-commander")
    assert cp.js("document.getElementById('map').dataset.tiles") == "0"
    assert cp.page.text_content("#map-datum") == "无底图（演示） · 坐标系 WGS-84"
    _report(base)
    cp.wait("() => document.getElementById('board-box').dataset.count === '1'")
    board = cp.page.text_content("#board-rows")
    assert re.search(r"\dd ", board) is None and re.search(r"\d天 \d\d:\d\d:\d\d", board), board
    # Chart.js is not loaded for the map: only when the assessment's tab opens.
    assert cp.js("typeof window.Chart") == "undefined"
    assert cp.js("performance.getEntriesByType('resource')"
                 ".filter(e => e.name.includes('chart')).length") == 0
    cp.page.click("#tab-stats")
    cp.wait("() => typeof window.Chart === 'function'", timeout_ms=5000)
    cp.wait("() => document.querySelectorAll('#stats-head th').length > 5")
    stats = cp.page.text_content("#view-stats")
    assert "P90" not in stats and "min" not in stats and "第90百分位" in stats
    cp.shot("see-stats-zh")
    assert cp.unexpected() == []
    cp.close()


def test_the_sites_of_enterprises_and_green_channel_projects_are_a_layer_of_their_own(
        stack, browser):
    procs = stack()
    base = procs.web("web1", free_port())
    owner = None
    for name, east, green in (("济源钢铁厂区", 300.0, False), ("产业园重点项目", 900.0, True)):
        lon, lat = offset_point(*seat(), 90.0, east)
        body: dict[str, Any] = {"name": name, "location": location(lon, lat), "address": "轵城镇"}
        who = "demo-reporter"
        if green:  # an administrator registers a major project, for the reporter
            body.update(green_channel=True, owner_id=owner)
            who = "demo-admin"
        r = requests.post(f"{base}/api/v1/sites", headers=auth(base, who), timeout=10, json=body)
        assert r.status_code == 201, r.text
        owner = r.json()["owner_id"]
    cp = CommandPage(browser, base, "demo-commander")
    assert cp.js("document.querySelectorAll('path.site-green, path.site-enterprise').length") == 0
    cp.page.check("#layer-sites")
    cp.wait("() => window.commandCenter.sites() === 2")
    assert cp.js("document.querySelectorAll('path.site-green').length") == 1
    assert cp.js("document.querySelectorAll('path.site-enterprise').length") == 1
    cp.page.uncheck("#layer-sites")
    cp.wait("() => document.querySelectorAll('path.site-green').length === 0")
    # A dispatcher may not read every site: no switch for it.
    other = CommandPage(browser, base, f"dispatcher-{ZHICHENG}")
    assert other.page.locator("#layer-sites").count() == 0
    assert cp.unexpected() == [] and other.unexpected() == []
    other.close()
    cp.close()
