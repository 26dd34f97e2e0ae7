"""One name for one thing, on every surface (issue 15, item 3), on both databases: every word a
surface shows for a category, a status, a milestone, a clock's state, a role or an assessment
column is the label catalogue's word for that code (`dispatch/labels.py`).

Each surface is rendered as a client gets it: the catalogue's route, the command center's page
(zh-CN and English) and its embedded messages, the public disclosure's JSON and page, Open311's
services and public requests in JSON and XML, and the assessment's CSV and XLSX in both
languages. From each, the test reads *claims* (this code is shown as that word, where a surface
pairs them: the page's row of a case, a service's name, a column's header) and checks them
against the catalogue; and it looks for the words the catalogue replaced (the command center's old
堵门, 停水, 停电, 已上报, 已恢复, 已重开) anywhere. The planted cases below replace one surface's
word by monkeypatching it, and show the check names that surface.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook

from dispatch import labels
from dispatch.assessment import COLUMNS
from tests.helpers import ZHICHENG, location, report, seat

WEEK = "2026-W48"  # the tests' clock: Friday 2026-11-27, 10:00 in Jiyuan
STATS = "/api/v1/stats/units?from=2026-11-01&to=2026-11-30"
# Words that once named a category or a status on some surface, and are no one's word now.
REPLACED = re.compile(r"堵门|停水|停电|已上报|已恢复(?!秩序)|已重开|其它")
# The columns that name a milestone, by the start of their code (resolution_rate is 解决率, the
# share of closed cases resolved, not the milestone's).
COLUMN_MILESTONES = {"arrival_": "arrival", "arrivals_": "arrival", "restore_": "restore",
                     "restores_": "restore", "resolve_": "resolve", "resolutions_": "resolve"}
OPEN = "进行中"  # the page's word for a milestone not yet decided (not a state of a clock)


@dataclass
class Shown:
    """What the surfaces showed: claims (surface, kind, code, lang, word) and their texts."""

    claims: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    def claim(self, surface: str, kind: str, code: str, lang: str, word: str) -> None:
        self.claims.append((surface, kind, code, lang, word))


def problems(shown: Shown) -> list[str]:
    """Every word shown for a code that is not the catalogue's word for it, and every replaced
    word found in a surface's text."""
    wrong = [f"{surface}: {kind}.{code} ({lang}) shown as {word!r}, the catalogue says "
             f"{labels.name(kind, code, lang)!r}"
             for surface, kind, code, lang, word in shown.claims
             if word != labels.name(kind, code, lang)]
    replaced = [f"{surface}: {found!r}" for surface, text in shown.texts.items()
                for found in REPLACED.findall(text)]
    return wrong + replaced


# -- the cases: every category, the statuses a case goes through ---------------------------------
def _seed(client: Any, login: Any, clock: Any) -> None:
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    here = {"location": location(*seat())}

    def work(category: str, steps: tuple[str, ...], feedback: bool | None = None) -> None:
        r = report(client, reporter, category, description="厂门口有车辆")
        assert r.status_code == 201, r.get_json()
        rid = r.get_json()["id"]
        for step in steps:
            body = here if step == "check-in" else {"note": "已处理"}
            r = client.post(f"/api/v1/incidents/{rid}/{step}", headers=officer, json=body)
            assert r.status_code == 200, (step, r.get_json())
        if feedback is not None:
            r = client.post(f"/api/v1/incidents/{rid}/feedback", headers=reporter,
                            json={"satisfied": feedback, "rating": 5 if feedback else 1})
            assert r.status_code == 200, r.get_json()

    done = ("check-in", "restore", "resolve")
    work("other", ())                                          # dispatched
    work("water_cut", ("check-in",))                           # on site
    work("road_blocked", ("check-in", "restore"))              # order restored
    work("water_cut", done)                                    # solved
    work("power_cut", done, feedback=True)                     # closed
    work("gate_blocked", done, feedback=False)                 # sent back for redo
    clock.advance(hours=2)  # the departments never came, two cases' order not restored: late


# -- reading each surface ------------------------------------------------------------------------
class _PublicPage(HTMLParser):
    """The page's column heads, and per row its cells by label and its verdicts."""

    def __init__(self) -> None:
        super().__init__()
        self.heads: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self._in: str | None = None
        self._label = ""
        self._verdict: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "th":
            self._in = "th"
            self.heads.append("")
        elif tag == "tr" and self.heads:
            self.rows.append({"cells": {}, "verdicts": []})
        elif tag == "td":
            self._in, self._label = "td", a.get("data-label") or ""
            self.rows[-1]["cells"][self._label] = ""
        elif tag == "span" and "verdict" in (a.get("class") or "").split():
            self._verdict = (a.get("class") or "").split()[-1]
            self.rows[-1]["verdicts"].append([self._verdict, ""])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td"):
            self._in = None
        if tag == "span":
            self._verdict = None

    def handle_data(self, data: str) -> None:
        if self._in == "th":
            self.heads[-1] += data.strip()
        elif self._in == "td":
            self.rows[-1]["cells"][self._label] += data.strip()
            if self._verdict is not None:
                self.rows[-1]["verdicts"][-1][1] += data.strip()


def _public(client: Any, shown: Shown) -> dict[str, str]:
    """The JSON and the page; returns each case's status code by id (Open311 has none)."""
    body = client.get("/api/v1/public/cases", query_string={"week": WEEK}).get_json()
    assert body["count"] == 6
    shown.texts["public JSON"] = json.dumps(body, ensure_ascii=False)
    for c in body["cases"]:
        shown.claim("public JSON", "categories", c["category"], "zh-CN", c["category_name"])
        shown.claim("public JSON", "categories", c["category"], "zh-CN", c["problem"])
        shown.claim("public JSON", "statuses", c["result"]["status"], "zh-CN",
                    c["result"]["status_name"])
    html = client.get("/public/cases", query_string={"week": WEEK}).get_data(as_text=True)
    shown.texts["public page"] = html
    page = _PublicPage()
    page.feed(html)
    assert len(page.rows) == len(body["cases"]) == 6
    for milestone, head in zip(("arrival", "restore", "resolve"), page.heads[-3:], strict=True):
        shown.claim("public page", "milestones", milestone, "zh-CN", head)
    verdicts = 0
    for c, row in zip(body["cases"], page.rows, strict=True):  # the same order: oldest first
        shown.claim("public page", "categories", c["category"], "zh-CN", row["cells"]["类别"])
        shown.claim("public page", "statuses", c["result"]["status"], "zh-CN",
                    row["cells"]["办理结果"])
        for state, word in row["verdicts"]:
            verdicts += 1
            if state != "open":
                shown.claim("public page", "states", state, "zh-CN", word)
            else:
                assert word == OPEN
    assert verdicts >= 6 * 3
    return {c["id"]: c["result"]["status"] for c in body["cases"]}


def _open311(client: Any, shown: Shown, statuses: dict[str, str]) -> None:
    services = json.loads(client.get("/open311/v2/services.json").data)
    xml = ET.fromstring(client.get("/open311/v2/services.xml").data)
    as_xml = [{e.tag: e.text or "" for e in s} for s in xml.iter("service")]
    assert len(services) == len(as_xml) == 5
    for surface, listed in (("Open311 services JSON", services),
                            ("Open311 services XML", as_xml)):
        shown.texts[surface] = json.dumps(listed, ensure_ascii=False)
        for s in listed:
            code = s["service_code"]
            for kind, text in (("categories", s["service_name"]),
                               ("descriptions", s["description"])):
                zh, en = text.split(" ", 1)  # the catalogue's Chinese, then its English
                shown.claim(surface, kind, code, "zh-CN", zh)
                shown.claim(surface, kind, code, "en", en)
            shown.claim(surface, "categories", code, "zh-CN", s["keywords"].split(", ")[-1])
    requests = json.loads(client.get("/open311/v2/requests.json").data)
    xml = ET.fromstring(client.get("/open311/v2/requests.xml").data)
    as_xml = [{e.tag: e.text or "" for e in r} for r in xml.iter("request")]
    assert len(requests) == len(as_xml) == 6
    for surface, listed in (("Open311 requests JSON", requests),
                            ("Open311 requests XML", as_xml)):
        shown.texts[surface] = json.dumps(listed, ensure_ascii=False)
        for r in listed:
            code = r["service_code"]
            zh, en = r["service_name"].split(" ", 1)
            shown.claim(surface, "categories", code, "zh-CN", zh)
            shown.claim(surface, "categories", code, "en", en)
            shown.claim(surface, "categories", code, "zh-CN", r["description"])  # unreviewed
            shown.claim(surface, "statuses", statuses[r["service_request_id"]], "zh-CN",
                        r["status_notes"])


def _exports(client: Any, login: Any, shown: Shown) -> None:
    head = login("demo-commander")
    for lang in labels.LANGUAGES:
        r = client.get(f"{STATS}&format=csv&lang={lang}", headers=head)
        assert r.status_code == 200, r.get_json()
        csv_head = next(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
        x = client.get(f"{STATS}&format=xlsx&lang={lang}", headers=head)
        xlsx_head = [c.value for c in next(load_workbook(io.BytesIO(x.data)).active.iter_rows())]
        for surface, header in ((f"CSV header ({lang})", csv_head),
                                (f"XLSX header ({lang})", xlsx_head)):
            assert len(header) == len(COLUMNS)
            shown.texts[surface] = ",".join(str(h) for h in header)
            unit = f" ({labels.SECONDS.en if lang == 'en' else labels.SECONDS.zh})"
            for code, title in zip(COLUMNS, header, strict=True):
                title = str(title).removesuffix(unit) if code.endswith("_s") else str(title)
                shown.claim(surface, "columns", code, lang, title)
                milestone = COLUMN_MILESTONES.get(code.split("_")[0] + "_")
                if milestone:  # a column naming a milestone starts with the milestone's name
                    name = labels.name("milestones", milestone, lang)
                    shown.claim(surface, "milestones", milestone, lang, title[:len(name)])


def _command(client: Any, shown: Shown) -> None:
    page = client.get("/command/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    client.post("/command/sign-in", data={"username": "demo-commander", "password": "demo",
                                          "csrf_token": token.group(1)})
    for lang in labels.LANGUAGES:
        html = client.get(f"/command/?lang={lang}").text
        boot = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S)
        assert boot is not None
        messages = json.loads(boot.group(1))["messages"]
        shown.texts[f"command page ({lang})"] = html
        shown.texts[f"command messages ({lang})"] = json.dumps(messages, ensure_ascii=False)
        who = re.search(r'<span class="who"[^>]*>(.*?) ·', html)
        assert who is not None
        shown.claim(f"command page ({lang})", "roles", "commander", lang, who.group(1))


def _catalogue_route(client: Any, shown: Shown) -> None:
    doc = client.get("/api/v1/labels").get_json()
    shown.texts["GET /api/v1/labels"] = json.dumps(doc, ensure_ascii=False)
    for lang, kinds in doc["labels"].items():
        for kind, names in kinds.items():
            for code, word in names.items():
                shown.claim("GET /api/v1/labels", kind, code, lang, word)


def every_surface(client: Any, login: Any, clock: Any) -> Shown:
    shown = Shown()
    _seed(client, login, clock)
    statuses = _public(client, shown)
    _open311(client, shown, statuses)
    _exports(client, login, shown)
    _command(client, shown)
    _catalogue_route(client, shown)
    return shown


# -- the tests -----------------------------------------------------------------------------------
def test_every_surface_names_every_thing_as_the_catalogue_does(client, login, clock):
    shown = every_surface(client, login, clock)
    assert problems(shown) == []
    kinds = {(surface, kind) for surface, kind, *_ in shown.claims}
    # Each surface was read, and each of its kinds of word held to the catalogue.
    assert {s for s, _ in kinds} >= {
        "public JSON", "public page", "Open311 services JSON", "Open311 services XML",
        "Open311 requests JSON", "Open311 requests XML", "CSV header (zh-CN)",
        "XLSX header (en)", "command page (zh-CN)", "command page (en)", "GET /api/v1/labels"}
    assert {k for _, k, _, _, _ in shown.claims} == set(labels.TABLES)
    statuses = {code for surface, kind, code, _, _ in shown.claims
                if kind == "statuses" and not surface.startswith("GET")}
    assert statuses >= {"dispatched", "on_site", "restored", "resolved", "closed", "reopened"}
    verdicts = {code for surface, kind, code, _, _ in shown.claims
                if (surface, kind) == ("public page", "states")}
    assert verdicts == {"on_time", "overdue"}


def _rename(code: str, word: str, kind: str = "categories") -> Any:
    """A surface's own lookup that names `code` `word` (the catalogue for every other code)."""
    return lambda c, *lang: word if c == code else labels.name(kind, c, *lang)


def _drifted_headers(columns: Any, lang: str = labels.DEFAULT) -> list[str]:
    return [h.replace("恢复秩序", "恢复") for h in labels.headers(columns, lang)]


@pytest.mark.parametrize(("target", "value", "caught"), [
    # The disclosure names power cuts in its own words: the JSON, the page, Open311's reads.
    ("dispatch.disclosure.category_name", _rename("power_cut", "停电"),
     ["public JSON: categories.power_cut", "public page: categories.power_cut",
      "Open311 requests XML: categories.power_cut"]),
    # ...or a status.
    ("dispatch.disclosure.status_name", _rename("restored", "已恢复", "statuses"),
     ["public JSON: statuses.restored", "public page: statuses.restored"]),
    # Open311's services typed by hand again.
    ("dispatch.open311.SERVICES", None, ["Open311 services JSON: categories.water_cut (zh-CN)",
                                         "Open311 services XML: categories.water_cut (zh-CN)"]),
    # The exports' header row of its own.
    ("mobile_api.stats.labels", SimpleNamespace(headers=_drifted_headers),
     ["CSV header (zh-CN): columns.restore_rate", "CSV header (zh-CN): milestones.restore",
      "XLSX header (zh-CN): columns.restores_on_time"]),
    # The page's verdicts in words of their own.
    ("pages.public.views.verdict", lambda on_time: ("overdue", "超期") if on_time is False
     else ("on_time", "按时") if on_time else ("open", OPEN),
     ["public page: states.overdue (zh-CN) shown as '超期'"]),
    # The command center's messages naming a status again.
    ("pages.command.messages._ZH", "legend", ["command messages (zh-CN): '已重开'",
                                              "command page (zh-CN): '已重开'"]),
])
def test_a_surface_with_a_word_of_its_own_is_caught(client, login, clock, monkeypatch, target,
                                                     value, caught):
    if target == "dispatch.open311.SERVICES":
        from dataclasses import replace

        from dispatch import open311
        drifted = dict(open311.SERVICES)
        drifted["water_cut"] = replace(drifted["water_cut"], name="停水 Water cut")
        monkeypatch.setattr(open311, "SERVICES", drifted)
    elif target == "pages.command.messages._ZH":
        from pages.command import messages
        monkeypatch.setitem(messages._ZH, "legend.reopened", "已重开")
        monkeypatch.setitem(messages._EN, "legend.reopened", "Reopened")
    else:
        monkeypatch.setattr(target, value)
    found = problems(every_surface(client, login, clock))
    for expected in caught:
        assert any(p.startswith(expected) for p in found), (expected, found)
