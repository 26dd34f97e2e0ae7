"""The phone a browser test and the `phones` bench row both emulate, written once: DevTools'
"Fast 3G", the phone's screen and settings (390x844, touch, zh-CN, Asia/Shanghai, a position,
service workers allowed), and a throttled page load measured as DevTools counts it. Here, in
bench/, because the benchmarks may not import tests/; tests/e2e/phone.py imports it (a module
with Playwright's objects passed in, nothing started at import)."""

from __future__ import annotations

import time
from typing import Any

VIEWPORT = {"width": 390, "height": 844}
# DevTools' "Fast 3G": 1.44 Mbps down, 675 kbps up, 562.5 ms of latency (bytes per second).
FAST_3G = {"offline": False, "latency": 562.5, "downloadThroughput": 1.44e6 / 8,
           "uploadThroughput": 675e3 / 8}


def context_options(lat: float, lon: float, **more: Any) -> dict[str, Any]:
    """A browser context's options for a phone at (lat, lon), 12 m of accuracy."""
    return dict(viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True,
                locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow",
                geolocation={"latitude": lat, "longitude": lon, "accuracy": 12},
                permissions=["geolocation"], **more)


def slow_worker_requests(route: Any) -> None:
    """DevTools' throttling applies to the page's own requests, not to those its service worker
    makes (the page itself, network first): those wait Fast 3G's latency and transfer here."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        if route.request.service_worker is not None:
            answer = route.fetch()
            time.sleep(FAST_3G["latency"] / 1000 + len(answer.body()) /
                       FAST_3G["downloadThroughput"])
            route.fulfill(response=answer)
        else:
            route.fallback()
    except PlaywrightError as exc:  # unrouted meanwhile (the worker's precache at install)
        if "already handled" not in str(exc):
            raise


def measured_load(context: Any, page: Any, url: str, ready: str, mark: str | None = None,
                  state: str = "attached") -> tuple[float, float | None, int]:
    """Loads `url` on Fast 3G: seconds from the navigation command until `ready` (a selector in
    `state`), seconds from the page's navigation start to its own performance mark
    `<mark>:ready` (else `<mark>:session`) when `mark` is given (else None), and the bytes the
    network carried (compressed, headers included, as DevTools counts them)."""
    app = url.rstrip("/").rsplit("/", 1)[-1]
    context.route(f"**/m/{app}/", slow_worker_requests)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    start = time.monotonic()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(ready, state=state, timeout=30_000)
    took = time.monotonic() - start
    in_page = None
    if mark:
        in_page = page.evaluate(f"(performance.getEntriesByName('{mark}:ready')[0] || "
                                f"performance.getEntriesByName('{mark}:session')[0]).startTime"
                                ) / 1000
    page.wait_for_load_state("networkidle")
    cdp.detach()
    context.unroute(f"**/m/{app}/", slow_worker_requests)
    return took, in_page, int(sum(sizes.values()))
