"""A phone for the phone apps' end-to-end tests: Debian's Chromium (through tests/e2e/browser.py's
launcher settings) at 390x844, touch, zh-CN, Asia/Shanghai, a geolocation, service workers
allowed (bench/phonenet.py); a persistent profile when a test closes the browser and opens it
again. It records the
console's errors, and it cuts the network with `offline(True)`, which Playwright applies to the
page and to its service worker (routes abort every request meanwhile, the worker's too)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import requests
from playwright.sync_api import BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

# The phone's settings and Fast 3G are the bench's `phones` row's too (one module, in bench/:
# the benchmarks may not import tests/).
from bench.phonenet import FAST_3G, VIEWPORT, context_options, measured_load
from tests.e2e.browser import CHROMIUM, SHOTS
from tests.e2e.procs import Processes

__all__ = ["FAST_3G", "VIEWPORT", "Phone", "api_token", "assert_the_kill_switch_unregisters",
           "assert_the_new_release_is_taken", "cases_of", "context_options", "redeploy",
           "until", "version", "wait_cases"]


class Phone:
    """One phone (a browser context) on an app's url."""

    def __init__(self, pw: Playwright, base: str, app: str, lat: float, lon: float,
                 profile: Path | None = None, **more: Any) -> None:
        self.pw, self.base, self.app, self.profile = pw, base, app, profile
        self.url = f"{base}/m/{app}/"
        self.where = (lat, lon)
        self.more = more
        self.problems: list[str] = []
        self._offline = False
        self.open()

    def open(self) -> None:
        options = context_options(*self.where, **self.more)
        if self.profile is not None:
            self.context: BrowserContext = self.pw.chromium.launch_persistent_context(
                str(self.profile), executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox"], **options)
            self.browser = None
        else:
            self.browser = self.pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                   args=["--no-sandbox"])
            self.context = self.browser.new_context(**options)
        if self._offline:
            self.context.route("**/*", self._route)
        self.context.set_offline(self._offline)
        self.page: Page = (self.context.pages[0] if self.context.pages
                           else self.context.new_page())
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if m.type == "error" else None)
        # An uncaught error with its stack: the one that failed a loaded CI run once ("Failed
        # to fetch", an unhandled rejection) did not come back on demand.
        self.page.on("pageerror", lambda e: self.problems.append(f"{e}\n{e.stack}"))

    def _route(self, route: Any) -> None:
        if self._offline:
            route.abort("internetdisconnected")
        else:
            route.fallback()

    def offline(self, yes: bool) -> None:
        """Cuts (or gives back) the network. Routing only while offline: Playwright's routing
        of a request whose body is a Blob kept in IndexedDB never completes (seen with 1.65)."""
        if yes and not self._offline:
            self.context.route("**/*", self._route)
        if not yes and self._offline:
            self.context.unroute("**/*", self._route)
        self._offline = yes
        self.context.set_offline(yes)

    def close(self) -> None:
        self.context.close()
        if self.browser is not None:
            self.browser.close()

    # -- the app ----------------------------------------------------------------------------------
    def goto(self, fragment: str = "") -> None:
        self.page.goto(self.url + fragment)
        self.ready()

    def ready(self, timeout_ms: float = 20_000) -> None:
        self.page.wait_for_selector("body[data-ready='1']", state="attached", timeout=timeout_ms)

    def sign_in(self, username: str, password: str = "demo") -> None:
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#signin-submit")
        self.page.wait_for_selector("#categories button", timeout=20_000)

    def controlled(self, timeout_ms: float = 20_000) -> None:
        """Waits until a service worker is active and controls the page."""
        self.wait("navigator.serviceWorker && navigator.serviceWorker.controller",
                  timeout_ms=timeout_ms)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def wait(self, expression: str, arg: Any = None, timeout_ms: float = 10_000) -> Any:
        """Waits until `expression` (which may use `arg`) is truthy; a function, not a string to
        evaluate, since the page's CSP forbids eval."""
        return self.page.wait_for_function(f"(arg) => ({expression})", arg=arg,
                                           timeout=timeout_ms)

    def text(self, selector: str) -> str:
        return self.page.text_content(selector) or ""

    def databases(self) -> list[str]:
        return sorted(d["name"] for d in self.js("indexedDB.databases()"))

    def outbox(self) -> list[dict[str, Any]]:
        return list(self.js("window.phoneApp.outbox.list()"))

    def measured_load(self, ready: str, mark: str | None = None,
                      state: str = "attached") -> tuple[float, float | None, int]:
        """The app's page loaded on Fast 3G (bench/phonenet.py's `measured_load`): seconds to
        `ready`, seconds to the page's own mark `mark` (or None), the bytes carried."""
        return measured_load(self.context, self.page, self.url, ready, mark, state)

    def precached_shell(self) -> tuple[int, int]:
        """How many files the service worker precached, and their bytes as the server sends
        them compressed (zstd, br or gzip, as a browser asks)."""
        shell = self.js("caches.keys().then(k => caches.open(k[0])).then(c => c.keys())"
                        ".then(r => r.map(x => x.url))")
        total = 0
        for url in shell:
            r = requests.get(url, headers={"Accept-Encoding": "zstd, br, gzip"}, stream=True,
                             timeout=10)
            total += len(r.raw.read())
        return len(shell), total

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def version(phone: Phone) -> str:
    """The shell's version the page was served with (its boot data)."""
    return str(phone.js("JSON.parse(document.getElementById('boot').textContent).version"))


def redeploy(phone: Phone, procs: Processes, port: int,
             wait_until: Literal["commit", "domcontentloaded", "load"] = "load",
             **env: str) -> None:
    """Restarts the web process `web1` on `port` with `env` added (a deploy) and reloads the
    phone's page (waiting for its `wait_until` event)."""
    procs.stop("web1")
    procs.env.update(env)
    procs.web("web1", port)
    phone.page.reload(wait_until=wait_until)


def assert_the_new_release_is_taken(phone: Phone, procs: Processes, port: int) -> str:
    """A deploy (the same files under another release): the reloaded page and every shell file
    it loads carry the new version, and the new worker drops the old version's cache. Returns
    the new version."""
    old = version(phone)
    redeploy(phone, procs, port, DISPATCH_PHONE_RELEASE="second")
    phone.ready()
    new = version(phone)
    assert new != old
    scripts = phone.js("performance.getEntriesByType('resource').map(e => e.name)"
                       ".filter(n => n.includes('/v/'))")
    assert scripts and all(f"/v/{new}/" in s for s in scripts), scripts
    phone.wait("caches.keys().then(k => k.length === 1 && k[0].endsWith(arg))", new,
               timeout_ms=30_000)
    return new


def assert_the_kill_switch_unregisters(phone: Phone, procs: Processes, port: int) -> None:
    """The kill switch deployed: the worker unregisters itself and its caches go. The kill
    worker reloads the page itself once it is active, which can replace the test's own reload
    before its load event: only the reload's start is waited for, and each check is polled
    across that second navigation."""
    redeploy(phone, procs, port, wait_until="commit", DISPATCH_PHONE_SW_KILL="true")
    until(phone, "navigator.serviceWorker.getRegistrations().then(r => r.length === 0)", 30)
    until(phone, "caches.keys().then(k => k.length === 0)", 30)


def until(phone: Phone, expression: str, timeout_s: float) -> None:
    """Polls `expression` (it may be a promise, which `evaluate` awaits) until it is truthy. An
    evaluation cut short by a navigation (the kill worker reloads the page itself) counts as
    not yet; any other error of the page is raised."""
    deadline = time.monotonic() + timeout_s
    while not _holds(phone, expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression} is still false after {timeout_s} s")
        phone.page.wait_for_timeout(100)


def _holds(phone: Phone, expression: str) -> bool:
    try:
        return bool(phone.js(expression))
    except PlaywrightError as exc:
        if "navigation" in str(exc) or "context" in str(exc):
            return False
        raise


def api_token(base: str, username: str) -> dict[str, str]:
    r = requests.post(f"{base}/api/v1/auth/token", json={"username": username, "password": "demo"},
                      timeout=10)
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def cases_of(base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = requests.get(f"{base}/api/v1/incidents?per_page=100", headers=headers, timeout=10)
    r.raise_for_status()
    return list(r.json()["items"])


def wait_cases(base: str, headers: dict[str, str], n: int, timeout: float) -> float:
    """Seconds until the user has at least `n` cases on the server."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if len(cases_of(base, headers)) >= n:
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"{n} cases did not reach the server within {timeout} s")
