"""The `phones` row: the phone apps' budgets (issue 16) in Debian's Chromium (Playwright) at
390x844, throttled to DevTools' "Fast 3G" (1.44 Mbps down, 675 kbps up, 562.5 ms of latency,
through CDP's Network.emulateNetworkConditions) on a copy of the template: the reporter's and the
officer's first load (the bytes the network carried, compressed, headers included, and the time
until the screen is usable), their repeat load from the service worker's cache, and a task pushed
to the officer: from the POST of a report to its line on the officer's screen. Not in --quick
(about a minute of throttled loads). The e2e tests tests/e2e/test_phone_*.py measure the same
with the same phone and load (bench/phonenet.py, which they import: bench does not import
tests/)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.measure import Ctx, Row, judge
from bench.phonenet import FAST_3G, context_options, measured_load
from bench.processes import http_request
from bench.rows.command_page import CHROMIUM
from bench.seeding import token
from bench.stack import POINT, REPORTS

OFFICER = "officer-419001102"  # 轵城镇's officer: POINT's reports are its unit's tasks


def _phone(browser: Any) -> Any:
    context = browser.new_context(**context_options(POINT["lat"], POINT["lon"]))
    return context, context.new_page()


def _load(context: Any, page: Any, url: str, ready: str, mark: str | None) -> tuple[float, int]:
    """Seconds until `ready` (a selector) -- from the page's navigation start to its own
    performance mark `mark` when given, else from the navigation command -- and the bytes the
    network carried (bench/phonenet.py)."""
    took, in_page, size = measured_load(context, page, url, ready, mark)
    return (in_page if in_page is not None else took), size


def _controlled(page: Any) -> None:
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller",
                           timeout=20_000)
    page.wait_for_load_state("networkidle")


def _reporter(browser: Any, base: str) -> dict[str, float]:
    context, page = _phone(browser)
    url = f"{base}/m/report/"
    first, first_bytes = _load(context, page, url, "body[data-ready='1']", None)
    page.fill("#username", "demo-reporter")
    page.fill("#password", "demo")
    page.click("#signin-submit")
    page.wait_for_selector("#categories button", timeout=20_000)
    _controlled(page)
    repeat, repeat_bytes = _load(context, page, url, "body[data-ready='1']", None)
    context.close()
    return {"first_s": first, "first_bytes": first_bytes, "repeat_s": repeat,
            "repeat_bytes": repeat_bytes}


def _officer(browser: Any, base: str, port: int) -> dict[str, float]:
    context, page = _phone(browser)
    url = f"{base}/m/officer/"
    first, first_bytes = _load(context, page, url, "#screen-signin:not([hidden])", "officer")
    page.fill("#username", OFFICER)
    page.fill("#password", "demo")
    page.click("#signin-submit")
    page.wait_for_selector("#screen-tasks:not([hidden])", timeout=20_000)
    _controlled(page)
    repeat, repeat_bytes = _load(context, page, url, "#screen-tasks:not([hidden])", "officer")
    # A task pushed while the phone is on Fast 3G: from the report's POST to its line.
    page.wait_for_function("() => window.officerApp.live && window.officerApp.live.resyncs > 0",
                           timeout=20_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    reporter = token(port, "demo-reporter")
    start = time.monotonic()
    status, body = http_request(port, "POST", "/api/v1/incidents", REPORTS[0], token=reporter)
    if status != 201:
        raise RuntimeError(f"the report was refused: {status} {body[:300]!r}")
    case = json.loads(body)["id"]
    page.wait_for_selector(f"#task-list li[data-id='{case}']", timeout=10_000)
    pushed = time.monotonic() - start
    cdp.detach()
    context.close()
    return {"first_s": first, "first_bytes": first_bytes, "repeat_s": repeat,
            "repeat_bytes": repeat_bytes, "pushed_s": pushed}


def row_phones(c: Ctx) -> Row:
    row = Row("phones", "the phone apps on Fast 3G (DevTools): first load, repeat load from the "
              "service worker's cache, a pushed task",
              "reporter ≤ 150 KB and ≤ 6 s, officer ≤ 250 KB, repeat ≤ 2 s, pushed task ≤ 2 s")
    if c.stack.args.quick:
        row.note = "not in --quick (about a minute of throttled page loads)"
        return row
    if not Path(CHROMIUM).exists():
        row.note = f"{CHROMIUM} is missing (scripts/ensure-tools.sh installs it)"
        c.stack.problems.append(row.note)
        return row
    from playwright.sync_api import sync_playwright

    db = c.stack.create_db("phones", template=c.template)
    server = c.stack.product(db)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox"])
            try:
                rep = _reporter(browser, server.url)
                off = _officer(browser, server.url, server.port)
            finally:
                browser.close()
    finally:
        c.stack.stop(server)
    row.product = (f"reporter {rep['first_bytes'] / 1000:.0f} KB in {rep['first_s']:.2f} s, "
                   f"repeat {rep['repeat_s']:.2f} s; officer {off['first_bytes'] / 1000:.0f} KB "
                   f"in {off['first_s']:.2f} s, repeat {off['repeat_s']:.2f} s; pushed task "
                   f"{off['pushed_s']:.2f} s")
    row.note = ("Chromium headless at 390x844, Fast 3G through CDP (the service worker's own "
                "requests delayed alike); the officer's times from the page's navigation start "
                "to its own mark (the sign-in usable, the task list shown), the reporter's from "
                "the navigation command to data-ready")
    judge(c.stack, row, rep["first_bytes"] <= 150_000 and rep["first_s"] <= 6.0
          and off["first_bytes"] <= 250_000 and rep["repeat_s"] <= 2.0
          and off["repeat_s"] <= 2.0 and off["pushed_s"] <= 2.0)
    row.data = {"reporter": rep, "officer": off}
    return row
