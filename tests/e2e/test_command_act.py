"""The command center as a place to act (issue 17), in headless Chromium (Debian's, through
Playwright) against gunicorn on PostGIS and Redis: a case found by its number; an assignment and
an extension made from the page and seen live on a second operator's page; a refused action
showing the server's own message; a new report pinned and chimed among 500 open cases, with
every case reachable page by page; overdue alerts grouped per case with a count and "dismiss
all", a remembered sound switch and the note while the browser blocks sound; the view in the URL
surviving a reload. Screenshots land in tests/e2e/screenshots/ (not committed)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import requests

from bench.seed_cases import seed_open_cases
from tests.e2e.browser import CommandPage
from tests.e2e.procs import auth, free_port
from tests.e2e.test_live_dispatch import post_report
from tests.helpers import KEJING, ZHICHENG, location, seat


def _report(base: str, code: str, description: str, category: str = "power_cut") -> dict:
    lon, lat = seat(code)
    r = requests.post(f"{base}/api/v1/incidents", headers=auth(base, "demo-reporter"), timeout=10,
                      json={"category": category, "description": description,
                            "location": location(lon, lat)})
    assert r.status_code == 201, r.text
    return r.json()


def _on_board(cp: CommandPage, incident_id: str, timeout_ms: float = 5000) -> None:
    cp.wait("id => document.querySelector(`#board-rows tr[data-id='${id}']`) !== null",
            incident_id, timeout_ms=timeout_ms)


def _open(cp: CommandPage, incident_id: str) -> None:
    cp.page.click(f"#board-rows tr[data-id='{incident_id}']")
    cp.wait("id => document.getElementById('detail').dataset.id === id && "
            "document.getElementById('detail-actions') !== null", incident_id)


def _supervision(cp: CommandPage) -> str:
    return cp.page.text_content("#detail-supervision") or ""


def test_a_case_is_found_by_its_number_and_the_view_survives_a_reload(stack, browser):
    procs = stack()
    base = procs.web("web1", free_port())
    cases = [_report(base, ZHICHENG, "轵城镇 停电"), _report(base, KEJING, "克井镇 工厂门口停电"),
             _report(base, ZHICHENG, "又一处停电")]
    wanted = cases[1]
    cp = CommandPage(browser, base, "demo-commander")
    for c in cases:
        _on_board(cp, c["id"])
    # The board names each case by its number.
    numbers = cp.js("Array.from(document.querySelectorAll('#board-rows .case-number'))"
                    ".map(e => e.textContent.trim())")
    assert sorted(numbers) == sorted(c["case_number"] for c in cases)

    # Typed as read out on the phone (lower case, spaces around) and Enter: the case opens.
    cp.page.fill("#search", "  " + wanted["case_number"].lower() + " ")
    cp.page.press("#search", "Enter")
    cp.wait("id => document.getElementById('detail').dataset.id === id", wanted["id"])
    assert cp.page.text_content("#detail-id") == wanted["case_number"]
    cp.wait("() => document.getElementById('board-box').dataset.count === '1'")
    assert cp.page.text_content("#search-results li strong") == wanted["case_number"]
    assert "找到 1 件" in cp.page.text_content("#search-note")
    cp.shot("act-found-by-number")

    # A word of the description finds it too; the town filter narrows, all in the URL.
    cp.page.fill("#search", "工厂门口")
    cp.wait("() => decodeURIComponent(location.hash).includes('q=工厂门口')")
    cp.page.select_option("#f-town", KEJING)
    cp.wait("() => location.hash.includes('town=')")
    hash_before = cp.js("location.hash")
    for part in ("q=", f"town={KEJING}", f"case={wanted['id']}"):
        assert part in hash_before, hash_before
    cp.page.reload()
    cp.page.wait_for_selector("body[data-ready='1']", state="attached")
    cp.wait("id => document.getElementById('detail').dataset.id === id", wanted["id"])
    assert cp.js("document.getElementById('search').value") == "工厂门口"
    assert cp.js("document.getElementById('f-town').value") == KEJING
    cp.wait("() => document.getElementById('board-box').dataset.count === '1'")
    assert cp.js("location.hash") == hash_before
    # Cleared, every case is back.
    cp.page.fill("#search", "")
    cp.page.select_option("#f-town", "")
    cp.wait("() => document.getElementById('board-box').dataset.count === '3'")
    assert cp.unexpected() == []
    cp.close()


def test_an_assignment_and_an_extension_made_on_the_page_are_seen_live_by_another_operator(
        stack, browser):
    procs = stack()
    base = procs.web("web1", free_port())
    inc = post_report(base, auth(base, "demo-reporter"))
    commander = CommandPage(browser, base, "demo-commander")
    watcher = CommandPage(browser, base, "demo-commander")  # a second operator
    dispatcher = CommandPage(browser, base, f"dispatcher-{ZHICHENG}")
    for cp in (commander, watcher, dispatcher):
        _on_board(cp, inc["id"])
        _open(cp, inc["id"])
    # A commander assigns, reminds, withholds and replies; a dispatcher extends: each role sees
    # the forms its API routes allow it.
    forms = lambda cp: cp.js("Array.from(document.querySelectorAll('#detail-actions form'))"  # noqa: E731
                             ".map(f => f.id)")
    assert forms(commander) == ["act-assign", "act-remind", "act-reply", "act-withhold"]
    assert forms(dispatcher) == ["act-extend"]

    # Assign to a named officer with a deadline.
    commander.wait("() => document.querySelectorAll('#act-assign select[name=person] option')"
                   ".length > 0")
    commander.page.select_option("#act-assign select[name=unit]", ZHICHENG)
    commander.wait("() => Array.from(document.querySelectorAll("
                   "'#act-assign select[name=person] option')).some(o => o.textContent)")
    person = commander.js("document.querySelector('#act-assign select[name=person]')"
                          ".selectedOptions[0].textContent")
    commander.page.click("#act-assign button[type=submit]")
    commander.wait("() => document.querySelector('#act-assign .answer').classList.contains('ok')")
    watcher.wait("() => document.querySelector("
                 "'#detail-supervision li[data-what=\"act.assigned\"]') !== null", timeout_ms=5000)
    assert person in _supervision(watcher) and "轵城镇" in _supervision(watcher)

    # The dispatcher extends with a reason; the other operator sees it live.
    dispatcher.page.fill("#act-extend input[name=reason]", "等待变压器到货")
    dispatcher.page.click("#act-extend button[type=submit]")
    dispatcher.wait("() => document.querySelector('#act-extend .answer').classList.contains('ok')")
    watcher.wait("() => document.querySelector("
                 "'#detail-supervision li[data-what=\"act.extended\"]') !== null", timeout_ms=5000)
    assert "等待变压器到货" in _supervision(watcher)
    # A reminder to the unit: the other operator's timeline says so, and the unit's dispatcher
    # gets it as an alert with command's request.
    commander.page.select_option("#act-remind select[name=unit]", ZHICHENG)
    commander.page.fill("#act-remind input[name=note]", "请十分钟内到场")
    commander.page.click("#act-remind button[type=submit]")
    watcher.wait("() => document.getElementById('detail-timeline').textContent.includes('催办')",
                 timeout_ms=5000)
    assert "请十分钟内到场" in _supervision(watcher)
    dispatcher.wait("id => document.querySelector(`#alerts .alert[data-incident='${id}']`) "
                    "!== null", inc["id"], timeout_ms=5000)
    reminder = dispatcher.page.text_content("#alerts .alert")
    assert "指挥中心催办" in reminder and "请十分钟内到场" in reminder
    assert inc["case_number"] in reminder
    dispatcher.shot("act-reminder-to-the-unit")
    dispatcher.page.click("#alerts-dismiss-all")
    # The reporter complains; command replies on the page; the other operator sees the reply.
    requests.post(f"{base}/api/v1/incidents/{inc['id']}/complaints", timeout=10,
                  headers=auth(base, "demo-reporter"), json={"text": "一个小时了还没人来"}
                  ).raise_for_status()
    commander.wait("() => !document.getElementById('act-reply').hidden", timeout_ms=5000)
    commander.page.fill("#act-reply input[name=reply]", "已督促供电所立即到场")
    commander.page.click("#act-reply button[type=submit]")
    watcher.wait("() => document.getElementById('detail-supervision').textContent"
                 ".includes('已督促供电所立即到场')", timeout_ms=5000)
    commander.wait("() => document.getElementById('act-reply').hidden")  # none awaits a reply
    # Withheld from the public disclosure with a reason, seen by the other operator.
    commander.page.fill("#act-withhold input[name=reason]", "涉及企业商业秘密")
    commander.page.click("#act-withhold button[type=submit]")
    watcher.wait("() => document.getElementById('detail-supervision').textContent"
                 ".includes('涉及企业商业秘密')", timeout_ms=5000)
    watcher.shot("act-seen-live")
    commander.shot("act-commander-forms", "#detail")

    # Refused: an extension not later than the deadline in force shows the server's words.
    token = auth(base, f"dispatcher-{ZHICHENG}")
    current = requests.get(f"{base}/api/v1/incidents/{inc['id']}", headers=token,
                           timeout=10).json()["deadlines"]["resolve"]
    early = (datetime.fromisoformat(current) - timedelta(hours=1)).astimezone(
        UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    server = requests.post(f"{base}/api/v1/incidents/{inc['id']}/extend", headers=token,
                           timeout=10, json={"reason": "再等等", "until": early})
    assert server.status_code == 422
    message = server.json()["errors"][0]["message"]
    dispatcher.js("() => { const i = document.querySelector('#act-extend input[name=until]');"
                  " const d = new Date(Date.parse(arguments[0]) - 3600e3 + 8 * 3600e3);"
                  " i.value = d.toISOString().slice(0, 16); }".replace("arguments[0]",
                                                                         json.dumps(current)))
    dispatcher.page.fill("#act-extend input[name=reason]", "再等等")
    dispatcher.page.click("#act-extend button[type=submit]")
    dispatcher.wait("() => document.querySelector('#act-extend .answer')"
                    ".classList.contains('problem')")
    shown = dispatcher.page.text_content("#act-extend .answer")
    assert message in shown and "until" in shown
    # And a withholding without a reason: the server's 422, as it came.
    commander.page.click("#act-withhold button[type=submit]")
    commander.wait("() => document.querySelector('#act-withhold .answer')"
                   ".classList.contains('problem')")
    assert "reason" in commander.page.text_content("#act-withhold .answer")
    dispatcher.shot("act-refused", "#detail")
    # "Waiting on me" is a dispatcher's filter: its unit has not accepted this case yet.
    assert commander.js("document.getElementById('f-mine')") is None
    dispatcher.page.click("#detail-close")
    dispatcher.page.check("#f-mine")
    dispatcher.wait("() => location.hash.includes('mine=1') && "
                    "document.getElementById('board-box').dataset.count === '1'")
    requests.post(f"{base}/api/v1/incidents/{inc['id']}/accept", timeout=10,
                  headers=auth(base, f"officer-{ZHICHENG}")).raise_for_status()
    dispatcher.wait("() => document.getElementById('board-box').dataset.count === '0'")
    for cp in (commander, watcher, dispatcher):
        assert cp.unexpected("422 ") == []
        cp.close()


def test_a_new_report_is_pinned_and_chimed_among_500_open_cases_and_every_case_is_reachable(
        stack, browser):
    procs = stack()
    seed_open_cases(procs.env["DATABASE_URL"], 500, seed=17, now=datetime.now(UTC))
    base = procs.web("web1", free_port())
    started = time.monotonic()
    cp = CommandPage(browser, base, "demo-commander")
    cp.wait("() => document.getElementById('board-box').dataset.count === '500'", timeout_ms=10_000)
    took = time.monotonic() - started
    print(f"\nat 500 open cases: signed in and the board drawn in {took:.2f} s")
    assert cp.js("document.getElementById('board-box').dataset.pages") == "3"
    assert cp.js("document.querySelectorAll('#board-rows > tr').length") == 200
    # What needs attention first: no overdue case below a calm one on the first page.
    order = cp.js("Array.from(document.querySelectorAll('#board-rows > tr'))"
                  ".map(r => r.dataset.attention)")
    ranks = ["pinned", "overdue", "near", "new", "unaccepted", "other"]
    assert [ranks.index(a) for a in order] == sorted(ranks.index(a) for a in order)
    beeps = cp.js("window.commandCenter.state.beeps")

    sent = time.monotonic()
    inc = _report(base, KEJING, "新报：厂区大门被堵")
    _on_board(cp, inc["id"])
    cp.wait("() => document.querySelector('#board-rows > tr').classList.contains('pinned')")
    print(f"\nat 500 open cases: a new report pinned on top {time.monotonic() - sent:.2f} s "
          "after its POST was sent")
    first = cp.js("document.querySelector('#board-rows > tr')")
    assert first is not None
    assert cp.js("document.querySelector('#board-rows > tr').dataset.id") == inc["id"]
    assert cp.js("document.querySelector('#board-rows > tr').classList.contains('pinned')")
    assert cp.js("window.commandCenter.state.chimes") == 1
    assert cp.js("window.commandCenter.state.beeps") == beeps  # a chime, not the overdue beep
    assert cp.js("document.getElementById('board-box').dataset.count") == "501"
    cp.shot("act-new-report-pinned-500")
    # It stays on top (pinned) while other things happen, and only one chime for it.
    _report(base, ZHICHENG, "另一处")
    cp.wait("() => window.commandCenter.state.chimes === 2")
    assert inc["id"] in cp.js("window.commandCenter.pinnedIds()")
    # Opened, it is no longer pinned.
    _open(cp, inc["id"])
    cp.page.click("#detail-close")
    cp.wait("id => !window.commandCenter.pinnedIds().includes(id)", inc["id"])
    # Every case is reachable: page 3 holds the last 102.
    seen = set(cp.js("Array.from(document.querySelectorAll('#board-rows > tr'))"
                     ".map(r => r.dataset.id)"))
    for page in (2, 3):
        cp.page.click("#board-next")
        cp.wait("n => document.getElementById('board-box').dataset.page === String(n)", page)
        seen |= set(cp.js("Array.from(document.querySelectorAll('#board-rows > tr'))"
                          ".map(r => r.dataset.id)"))
    assert len(seen) == 502
    assert "第 401-502 件，共 502 件" in cp.page.text_content("#board-more")
    assert "page=3" in cp.js("location.hash")
    cp.shot("act-board-page-3")
    # A reload shows the same page.
    cp.page.reload()
    cp.page.wait_for_selector("body[data-ready='1']", state="attached")
    cp.wait("() => document.getElementById('board-box').dataset.page === '3' && "
            "document.querySelectorAll('#board-rows > tr').length === 102")
    assert cp.unexpected() == []
    cp.close()


def test_overdue_alerts_are_grouped_per_case_with_a_count_and_dismissed_all_at_once(stack, browser):
    procs = stack(DISPATCH_DEADLINES=json.dumps({"default": {"arrival": 3}}))
    base = procs.web("web1", free_port())
    procs.scheduler()
    cp = CommandPage(browser, base, "demo-commander")
    road = post_report(base, auth(base, "demo-reporter"))         # two units: two misses
    other = post_report(base, auth(base, "demo-reporter"), code=KEJING)
    cp.wait("() => window.commandCenter.alertGroups().length === 2 && "
            "window.commandCenter.alertGroups().every(g => g.count === 2)", timeout_ms=15_000)
    assert cp.js("document.querySelectorAll('#alerts .alert').length") == 2
    group = f"#alerts .alert[data-incident='{road['id']}']"
    assert cp.js(f"document.querySelector(\"{group}\").dataset.count") == "2"
    assert "×2" in cp.page.text_content(group)
    assert road["case_number"] in cp.page.text_content(group)
    assert "4 条告警" in cp.page.text_content("#alerts .alerts-head")
    assert cp.js("window.commandCenter.state.beeps") == 4
    cp.shot("act-alerts-grouped")
    cp.page.click("#alerts-dismiss-all")
    assert cp.js("document.querySelectorAll('#alerts .alert').length") == 0
    assert other["id"]

    # The sound switch is remembered by the browser.
    assert cp.js("document.getElementById('sound-switch').checked") is True
    cp.page.click("#sound-switch")
    cp.page.reload()
    cp.page.wait_for_selector("body[data-ready='1']", state="attached")
    assert cp.js("document.getElementById('sound-switch').checked") is False
    assert cp.js("localStorage.getItem('command.sound')") == "off"
    cp.page.click("#sound-switch")
    assert cp.unexpected() == []
    cp.close()


def test_a_burst_of_overdue_cases_draws_the_latest_twenty_and_counts_the_rest(stack, browser):
    """25 cases overdue at once (a scheduler back from an outage): every notice is counted and
    grouped, the 20 most recent cases are drawn and the rest counted in one line, not 25 alerts
    over the board (drawing every case's alert again for each notice stalled the page for
    minutes at a thousand)."""
    procs = stack(DISPATCH_DEADLINES=json.dumps({"default": {"arrival": 3}}))
    base = procs.web("web1", free_port())
    cp = CommandPage(browser, base, "demo-commander")
    token = auth(base, "demo-reporter")
    reports = [post_report(base, token, code=KEJING) for _ in range(25)]
    procs.scheduler()  # after the last report: their deadlines pass while it is down
    cp.wait("() => window.commandCenter.alertGroups().length === 25", timeout_ms=30_000)
    assert cp.js("document.querySelectorAll('#alerts .alert').length") == 20
    assert "另有 5 个案件的告警" in cp.page.text_content("#alerts .alerts-more")
    notices = cp.js("window.commandCenter.state.alerts")
    assert notices == sum(g["count"] for g in cp.js("window.commandCenter.alertGroups()"))
    assert f"{notices} 条告警" in cp.page.text_content("#alerts .alerts-head")
    drawn = set(cp.js("Array.from(document.querySelectorAll('#alerts .alert'))"
                      ".map(a => a.dataset.incident)"))
    assert drawn <= {r["id"] for r in reports}
    cp.shot("act-alerts-burst")
    cp.page.click("#alerts-dismiss-all")
    assert cp.js("document.querySelector('#alerts').children.length") == 0
    assert cp.unexpected() == []
    cp.close()


# Headless Chromium does not enforce the autoplay policy on Web Audio (checked here with
# --autoplay-policy=user-gesture-required and =document-user-activation-required, old and new
# headless: a new AudioContext is "running" at once), so the page is given an AudioContext that
# starts suspended, as a desktop browser's does before the page's first click, and resumes as
# the browser's would when the page asks after a click.
SUSPENDED_UNTIL_CLICKED = """
(() => {
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor(...args) { super(...args); this.suspend(); }
  };
})();
"""


def test_a_browser_that_blocks_sound_until_a_click_shows_a_note_that_the_click_removes(
        stack, browser):
    procs = stack()
    base = procs.web("web1", free_port())
    cp = CommandPage(browser, base, None)
    cp.context.add_init_script(SUSPENDED_UNTIL_CLICKED)
    cp.sign_in("demo-commander")
    cp.wait("() => !document.getElementById('sound-note').hidden")
    assert "点击" in cp.page.text_content("#sound-note")
    assert cp.js("window.commandCenter.soundBlocked()") is True
    cp.shot("act-sound-blocked")
    cp.page.mouse.click(300, 300)
    cp.wait("() => document.getElementById('sound-note').hidden")
    assert cp.js("window.commandCenter.soundBlocked()") is False
    assert cp.unexpected() == []
    cp.close()
