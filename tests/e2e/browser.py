"""Headless Chromium from Debian's package (/usr/bin/chromium), driven by Playwright, for the
command center's end-to-end tests: a signed-in page that records what the console says."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "screenshots"


@contextmanager
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise AssertionError(f"{CHROMIUM} is missing: run scripts/ensure-tools.sh")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            # The overdue alert beeps without a click first (autoplay would wait for one).
            args=["--autoplay-policy=no-user-gesture-required", "--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


class CommandPage:
    """A browser context signed in to /command as one user; `problems` collects console errors
    and CSP violations, which a test asserts empty."""

    def __init__(self, browser: Browser, base: str, username: str | None,
                 **context: Any) -> None:
        self.base = base
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1500, "height": 900}, locale="zh-CN",
            timezone_id="Asia/Shanghai", **context)
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"{e}\n{e.stack}"))
        self.failed: list[str] = []
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}")
                     if r.status >= 400 else None)
        if username:
            self.sign_in(username)

    def sign_in(self, username: str, password: str = "demo", fragment: str = "") -> None:
        self.page.goto(f"{self.base}/command{fragment}")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("#signin-submit")
        try:
            self.page.wait_for_selector("body[data-ready='1']", state="attached", timeout=20_000)
        except PlaywrightTimeout:
            raise AssertionError(f"the page did not get ready: {self.problems}") from None

    def csp_violations(self) -> list[str]:
        return [p for p in self.problems if "Content Security Policy" in p]

    def unexpected(self, *allowed: str) -> list[str]:
        """Console errors and failed requests (but for the `allowed` "status URL" prefixes)."""
        failed = [f for f in self.failed if not f.startswith(allowed or ("\0",))]
        errors = [p for p in self.problems if not p.startswith("Failed to load resource")]
        return failed + errors

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def wait(self, expression: str, arg: Any = None, timeout_ms: float = 5000) -> Any:
        return self.page.wait_for_function(expression, arg=arg, timeout=timeout_ms)

    def shot(self, name: str, selector: str | None = None) -> Path:
        SHOTS.mkdir(exist_ok=True)
        path = SHOTS / f"{name}.png"
        if selector:
            self.page.locator(selector).screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()
