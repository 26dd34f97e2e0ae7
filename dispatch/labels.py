"""The one catalogue of the names a person reads for the product's things: incident categories,
case statuses, milestones, roles and the clocks' states, in zh-CN and English.

Why one: each surface used to name them itself, and they drifted (the command center said 堵门,
停水, 停电 where the public page and Open311 said 围门, 断水, 断电; three statuses differed too).
The words are the source document's where it has them (济政〔2008〕25号, 7.2: "围门堵路、断水
断电", "赶到现场", "恢复正常秩序", "解决问题"), and the public disclosure's and the 12345
practice's elsewhere (受理, 办结, 退回重办). One word per thing: the state `restored` is the
status `restored`, and both read 已恢复秩序.

Plain data and lookups; the pages get it as JSON (`GET /api/v1/labels`, `catalogue()`), the
templates through `name()`. The module refuses to load incomplete: every member of every
vocabulary is named in both languages, so a new status cannot reach a page unnamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import NamedTuple

from dispatch.board import ClockState
from dispatch.model import Category, Milestone, Role, Status

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"


class Name(NamedTuple):
    zh: str
    en: str


CATEGORIES: Mapping[str, Name] = {
    Category.GATE_BLOCKED: Name("围门", "Gate blocked"),
    Category.ROAD_BLOCKED: Name("堵路", "Road blocked"),
    Category.WATER_CUT: Name("断水", "Water cut"),
    Category.POWER_CUT: Name("断电", "Power cut"),
    Category.OTHER: Name("其他", "Other disruption"),
}

STATUSES: Mapping[str, Name] = {
    Status.REPORTED: Name("已受理", "Received"),
    Status.DISPATCHED: Name("已派发", "Dispatched"),
    Status.ON_SITE: Name("已到场", "On site"),
    Status.RESTORED: Name("已恢复秩序", "Order restored"),
    Status.RESOLVED: Name("已解决", "Problem solved"),
    Status.CLOSED: Name("已办结", "Closed"),
    Status.REOPENED: Name("退回重办", "Sent back for redo"),
}

MILESTONES: Mapping[str, Name] = {
    Milestone.ARRIVAL: Name("到场", "Arrival"),
    Milestone.RESTORE: Name("恢复秩序", "Restore order"),
    Milestone.RESOLVE: Name("解决问题", "Solve the problem"),
}

ROLES: Mapping[str, Name] = {
    Role.REPORTER: Name("报告人", "Reporter"),
    Role.OFFICER: Name("执勤人员", "Field officer"),
    Role.DISPATCHER: Name("调度员", "Dispatcher"),
    Role.COMMANDER: Name("指挥中心", "Command center"),
    Role.ADMIN: Name("管理员", "Administrator"),
}

STATES: Mapping[str, Name] = {
    ClockState.ON_TIME: Name("按时", "On time"),
    ClockState.NEAR: Name("临近时限", "Deadline near"),
    ClockState.OVERDUE: Name("超时", "Overdue"),
    ClockState.RESTORED: STATUSES[Status.RESTORED],
    ClockState.RESOLVED: STATUSES[Status.RESOLVED],
}

# Each table with the vocabulary it names, under the key the JSON and `name()` use.
TABLES: Mapping[str, tuple[Mapping[str, Name], type[StrEnum]]] = {
    "categories": (CATEGORIES, Category),
    "statuses": (STATUSES, Status),
    "milestones": (MILESTONES, Milestone),
    "roles": (ROLES, Role),
    "states": (STATES, ClockState),
}


def _complete(tables: Mapping[str, tuple[Mapping[str, Name], type[StrEnum]]]) -> None:
    for kind, (table, vocabulary) in tables.items():
        wanted = {str(m) for m in vocabulary}
        if set(table) != wanted:
            raise RuntimeError(f"labels: {kind} must name exactly {sorted(wanted)}; "
                               f"missing {sorted(wanted - set(table))}, "
                               f"unknown {sorted(set(table) - wanted)}")
        blank = [str(key) for key, n in table.items() if not (n.zh.strip() and n.en.strip())]
        if blank:
            raise RuntimeError(f"labels: {kind} {blank} need a name in both languages")


_complete(TABLES)


def language(lang: str | None) -> str:
    """The catalogue's language for `lang`: itself when known, else the default (zh-CN)."""
    return lang if lang in LANGUAGES else DEFAULT


def _pick(n: Name, lang: str) -> str:
    return n.en if language(lang) == "en" else n.zh


def name(kind: str, key: str, lang: str = DEFAULT) -> str:
    """The name of `key` (a category's, a status's... code) in `lang`. An unknown kind is a
    programming error (KeyError); an unknown key reads as itself, never as a blank."""
    table, _ = TABLES[kind]
    found = table.get(key)
    return key if found is None else _pick(found, lang)


def catalogue(lang: str) -> dict[str, dict[str, str]]:
    """Every name in `lang`, as {kind: {code: name}} in the vocabularies' own order."""
    return {kind: {str(m): _pick(table[m], lang) for m in vocabulary}
            for kind, (table, vocabulary) in TABLES.items()}


def document(languages: Iterable[str] = LANGUAGES) -> dict[str, object]:
    """What `GET /api/v1/labels` serves: the same for everyone, so it is cached."""
    return {"default": DEFAULT, "languages": list(languages),
            "labels": {lang: catalogue(lang) for lang in languages}}
