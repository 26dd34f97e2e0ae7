"""The one label catalogue (`dispatch/labels.py`): complete for every vocabulary in both
languages, in the source document's words, one word per thing, refusing to load incomplete; and
the command center names nothing itself (its messages, templates and scripts hold no label)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dispatch import labels
from dispatch.assessment import COLUMNS
from dispatch.board import ClockState
from dispatch.labels import Name
from dispatch.model import Category, Milestone, Role, Status
from pages.command import messages

ROOT = Path(__file__).resolve().parents[2]


def test_every_member_of_every_vocabulary_is_named_in_both_languages() -> None:
    for lang in labels.LANGUAGES:
        names = labels.catalogue(lang)
        assert list(names["categories"]) == [str(c) for c in Category]
        assert list(names["statuses"]) == [str(s) for s in Status]
        assert list(names["milestones"]) == [str(m) for m in Milestone]
        assert list(names["roles"]) == [str(r) for r in Role]
        assert list(names["states"]) == [str(s) for s in ClockState]
        assert all(v.strip() for table in names.values() for v in table.values())


def test_the_source_documents_words_clause_7_2() -> None:
    """围门堵路、断水断电: gate blocked, road blocked, water cut, power cut."""
    zh = labels.catalogue("zh-CN")["categories"]
    assert [zh[c] for c in ("gate_blocked", "road_blocked", "water_cut", "power_cut")] == [
        "围门", "堵路", "断水", "断电"]
    assert labels.catalogue("zh-CN")["milestones"] == {
        "arrival": "到场", "restore": "恢复秩序", "resolve": "解决问题"}


def test_the_statuses_are_the_public_disclosures_words() -> None:
    zh = labels.catalogue("zh-CN")["statuses"]
    assert (zh["reported"], zh["restored"], zh["closed"], zh["reopened"]) == (
        "已受理", "已恢复秩序", "已办结", "退回重办")


@pytest.mark.parametrize("lang", labels.LANGUAGES)
def test_one_word_per_thing(lang: str) -> None:
    names = labels.catalogue(lang)
    for kind, table in names.items():
        assert len(set(table.values())) == len(table), kind  # no two things share a name
    # ...and one thing has one name: a state that is a status reads as the status.
    assert names["states"]["restored"] == names["statuses"]["restored"]
    assert names["states"]["resolved"] == names["statuses"]["resolved"]


def test_names_are_looked_up_by_kind_code_and_language() -> None:
    assert labels.name("categories", "water_cut") == "断水"
    assert labels.name("categories", "water_cut", "zh-CN") == "断水"
    assert labels.name("categories", "water_cut", "en") == "Water cut"
    assert labels.name("roles", "officer", "en") == "Field officer"
    assert labels.name("states", "near", "fr") == "临近时限"  # an unknown language: the default
    assert labels.name("statuses", "from_a_newer_version", "en") == "from_a_newer_version"
    with pytest.raises(KeyError):
        labels.name("colours", "red")


def test_a_language_is_its_own_when_known_else_the_default() -> None:
    assert labels.language("en") == "en"
    assert labels.language("zh-CN") == "zh-CN"
    assert labels.language("EN") == labels.DEFAULT == "zh-CN"
    assert labels.language(None) == "zh-CN"


def test_the_document_carries_every_language() -> None:
    doc = labels.document()
    assert doc["default"] == "zh-CN" and doc["languages"] == ["zh-CN", "en"]
    assert doc["labels"] == {"zh-CN": labels.catalogue("zh-CN"), "en": labels.catalogue("en")}


@pytest.mark.parametrize(("table", "message"), [
    ({Milestone.ARRIVAL: Name("到场", "Arrival"), Milestone.RESTORE: Name("恢", "R")},
     r"missing \['resolve'\], unknown \[\]"),
    ({**labels.MILESTONES, "lunch": Name("午饭", "Lunch")}, r"missing \[\], unknown \['lunch'\]"),
    ({**labels.MILESTONES, Milestone.RESOLVE: Name("解决", " ")}, r"\['resolve'\] need a name"),
    ({**labels.MILESTONES, Milestone.RESOLVE: Name("", "Solve")}, r"\['resolve'\] need a name"),
])
def test_the_catalogue_refuses_to_load_incomplete(table: dict, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        labels._complete({"milestones": (table, Milestone)})
    labels._complete({"milestones": (labels.MILESTONES, Milestone)})  # the real one loads


def test_the_refusal_says_what_to_name() -> None:
    with pytest.raises(RuntimeError) as missing:
        admin_and_a_guest = {Role.ADMIN: Name("管理员", "Admin"), "guest": Name("访客", "Guest")}
        labels._complete({"roles": (admin_and_a_guest, Role)})
    assert str(missing.value) == (
        "labels: roles must name exactly ['admin', 'commander', 'dispatcher', 'officer', "
        "'reporter']; missing ['commander', 'dispatcher', 'officer', 'reporter'], "
        "unknown ['guest']")
    with pytest.raises(RuntimeError) as blank:
        labels._complete({"milestones": ({**labels.MILESTONES, "arrival": Name("到场", "")},
                                         Milestone)})
    assert str(blank.value) == "labels: milestones ['arrival'] need a name in both languages"


def test_each_category_is_described_in_the_source_documents_words() -> None:
    """7.2: 企业和项目建设工地发生围门堵路、断水断电等事件: Open311's service descriptions."""
    for code in Category:
        zh = labels.name("descriptions", code)
        assert zh.startswith("企业和项目建设工地"), zh
        if code != Category.OTHER:
            assert labels.name("categories", code) in zh
        assert labels.name("descriptions", code, "en").endswith(("blocked", "cut", "site"))


def test_the_columns_are_the_assessments_in_its_order_or_the_catalogue_refuses() -> None:
    labels.require("columns", COLUMNS)  # what dispatch/assessment.py does as it loads
    with pytest.raises(RuntimeError, match="in that order"):
        labels.require("columns", tuple(reversed(COLUMNS)))
    with pytest.raises(RuntimeError, match=r"missing \['lunch_breaks'\]"):
        labels.require("columns", (*COLUMNS, "lunch_breaks"))
    with pytest.raises(RuntimeError, match=r"unknown \['mean_rating'\]"):
        labels.require("columns", COLUMNS[:-1])


@pytest.mark.parametrize("lang", labels.LANGUAGES)
def test_a_column_naming_a_milestone_a_status_or_a_state_is_built_of_its_name(lang: str) -> None:
    names = labels.catalogue(lang)
    milestone = {"arrival": "arrival", "arrivals": "arrival", "restore": "restore",
                 "restores": "restore", "resolve": "resolve", "resolutions": "resolve"}
    for code, title in names["columns"].items():
        first = code.split("_")[0]
        if first in milestone:
            assert title.startswith(names["milestones"][milestone[first]]), code
    assert names["columns"]["overdue_records"].startswith(names["states"]["overdue"])
    assert names["columns"]["reopenings"].startswith(names["statuses"]["reopened"])
    assert names["columns"]["closed"].startswith(names["statuses"]["closed"])
    assert names["columns"]["centrally_assigned"].startswith(names["roles"]["commander"])


def test_an_exports_header_row_gives_the_seconds_their_unit() -> None:
    assert labels.headers(["rank", "arrival_median_s", "restore_rate"]) == [
        "排名", "到场用时中位数 (秒)", "恢复秩序按时率"]
    assert labels.headers(["rank", "resolve_p90_s"], "en") == [
        "Rank", "Solve the problem: 90th-percentile time (s)"]
    for lang in labels.LANGUAGES:  # distinct, and plain CSV cells (no comma, no quote)
        names = labels.headers(COLUMNS, lang)
        assert len(names) == len(set(names)) == len(COLUMNS)
        assert not [n for n in names if "," in n or '"' in n]


# -- the command center names nothing itself ------------------------------------------------------
CJK = re.compile(r"[\u3400-\u9fff]")
LABEL_KEYS = re.compile(r"^(cat|status|state|role)\.|^ms\.(arrival|restore|resolve)$")


def test_the_command_centers_messages_hold_no_label() -> None:
    for lang in messages.LANGUAGES:
        assert [k for k in messages.catalogue(lang) if LABEL_KEYS.match(k)] == []
    # Nor the words the catalogue replaced, nor a column's name of its own.
    words = set(messages.catalogue("zh-CN").values())
    assert not words & {"堵门", "停水", "停电", "已上报", "已恢复", "已重开", "重开"}
    assert not [k for k in messages.catalogue("en") if k.startswith("stats.") and k[6:] in (
        "rank", "unit", "cases", "arrival", "restore", "resolve", "resolution", "satisfaction",
        "median", "p90", "overdue", "score")]


def test_the_pages_scripts_and_templates_write_no_word_of_their_own() -> None:
    """Every word a person reads comes from the messages or the label catalogue: no Chinese in
    the scripts or the command center's templates (comments aside)."""
    files = [*sorted((ROOT / "pages/static/shared").glob("*.js")),
             *sorted((ROOT / "pages/command/static").glob("*.js")),
             *sorted((ROOT / "pages/command/templates").glob("*.html"))]
    assert len(files) >= 14
    for path in files:
        text = re.sub(r"/\*.*?\*/|//[^\n]*|\{#.*?#\}", "", path.read_text(encoding="utf-8"),
                      flags=re.S)
        assert not CJK.findall(text), path.name
