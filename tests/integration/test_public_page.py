"""The public disclosure page (`pages/public/`) on both databases: its stylesheet served by the
product and allowed by its CSP (styles from this origin, still no script), every cell labelled
for the phone's cards, every time in China Standard Time, the catalogue's words for milestones
and verdicts. (What it publishes, and what it never does: test_public_disclosure.py; its layout
in a browser at 390 and 1280 px: tests/e2e/test_public_page.py.)"""

from __future__ import annotations

import re

from tests.helpers import ZHICHENG, location, report, seat

WEEK = "2026-W48"  # the tests' clock: Friday 2026-11-27, 10:00 in Jiyuan (02:00 UTC)


def _directives(policy: str) -> dict[str, str]:
    found = {}
    for directive in policy.split(";"):
        name, _, value = directive.strip().partition(" ")
        found[name] = value
    return found


def test_the_page_links_its_stylesheet_and_its_policy_allows_styles_and_no_script(client):
    page = client.get("/public/cases", query_string={"week": WEEK})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/public/static/public.css">' in html
    assert "<script" not in html and " style=" not in html  # no inline style either
    policy = _directives(page.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'none'" and policy["style-src"] == "'self'"
    assert "script-src" not in policy and "img-src" not in policy
    assert policy["frame-ancestors"] == "'none'" and page.headers["X-Frame-Options"] == "DENY"
    css = client.get("/public/static/public.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "@media (max-width: 47.99rem)" in text  # the phone's cards
    assert "overflow-wrap: anywhere" in text  # a long word never widens the page
    assert client.get("/public/static/nothing.css").status_code == 404


def test_a_refused_period_is_styled_too(client):
    page = client.get("/public/cases", query_string={"week": "2026-W99"})
    assert page.status_code == 422
    assert "/public/static/public.css" in page.get_data(as_text=True)
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]


def test_every_cell_is_labelled_times_are_china_standard_time_and_words_the_catalogues(
        client, login, clock):
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    rid = report(client, reporter, "road_blocked").get_json()["id"]
    clock.advance(minutes=20)
    assert client.post(f"/api/v1/incidents/{rid}/check-in", headers=officer,
                       json={"location": location(*seat())}).status_code == 200
    clock.advance(hours=2)  # restore missed; the department never came
    html = client.get("/public/cases", query_string={"week": WEEK}).get_data(as_text=True)
    heads = re.findall(r'<th scope="col">([^<]*)</th>', html)
    assert heads == ["案件编号", "受理时间", "类别", "所属镇（街道）", "反映问题", "办理结果",
                     "到场", "恢复秩序", "解决问题"]
    [row] = re.findall(r"<tr>\n(<td.*?)</tr>", html, re.S)
    labels = re.findall(r'<td data-label="([^"]*)"', row)
    assert labels == heads  # the card's label of each cell is its column's head
    # Received at 10:00 in Jiyuan (02:00 UTC), shown as Jiyuan reads it, the instant kept.
    assert '<time datetime="2026-11-27T02:00:00Z">2026-11-27 10:00</time>' in row
    assert "<td data-label=\"类别\">堵路</td>" in row
    assert '<span class="verdict on_time">按时</span>' in row  # the town, at 20 minutes
    assert '<span class="verdict overdue">超时</span>' in row  # the department; the restore
    assert '<span class="verdict open">进行中</span>' in row  # resolve: a week to go
    assert "2026 年第 48 周 <span class=\"span\">2026-11-23 至 2026-11-29，北京时间" in html
    month = client.get("/public/cases", query_string={"month": "2026-11"}).get_data(as_text=True)
    assert "<h2 id=\"period\">2026 年 11 月 <span" in month
