"""The one catalogue of the names a person reads for the product's things: incident categories
(and what each means), case statuses, milestones, roles, the clocks' states and the assessment's
columns, in zh-CN and English.

Why one: each surface used to name them itself, and they drifted (the command center said 堵门,
停水, 停电 where the public page and Open311 said 围门, 断水, 断电; three statuses differed too).
The words are the source document's where it has them (济政〔2008〕25号, 7.2: "围门堵路、断水
断电", "赶到现场", "恢复正常秩序", "解决问题"), and the public disclosure's and the 12345
practice's elsewhere (受理, 办结, 退回重办). One word per thing: the state `restored` is the
status `restored`, and both read 已恢复秩序.

Every surface takes its words from here: the command center (`GET /api/v1/labels`,
`catalogue()`), the public disclosure (JSON and page), Open311's services and requests, and the
assessment's CSV and XLSX headers (`headers()`). A name that is built of others (an assessment
column naming a milestone, a status or a state) is built from them, never retyped. The module
refuses to load incomplete: every member of every vocabulary is named in both languages, so a new
status cannot reach a page unnamed (the assessment checks its columns here as it loads).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
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

# What each category means, in the source document's words (7.2: 企业和项目建设工地发生围门堵路、
# 断水断电等事件): Open311's service descriptions.
DESCRIPTIONS: Mapping[str, Name] = {
    Category.GATE_BLOCKED: Name("企业和项目建设工地被围门",
                                "An enterprise's or a project site's gate is blocked"),
    Category.ROAD_BLOCKED: Name("企业和项目建设工地被堵路",
                                "The road to an enterprise or a project site is blocked"),
    Category.WATER_CUT: Name("企业和项目建设工地被断水",
                             "An enterprise's or a project site's water supply is cut"),
    Category.POWER_CUT: Name("企业和项目建设工地被断电",
                             "An enterprise's or a project site's power supply is cut"),
    Category.OTHER: Name("企业和项目建设工地发生的其他扰乱正常秩序的事件",
                         "Another disruption of an enterprise or a project site"),
}


def _of(first: Name, zh: str, en: str) -> Name:
    """A name built on another: `zh` and `en` put after the other's words."""
    return Name(first.zh + zh, first.en + en)


_ARRIVAL, _RESTORE, _RESOLVE = (MILESTONES[m] for m in Milestone)
# The assessment's columns (`dispatch.assessment.COLUMNS`, in that order): the CSV's and XLSX's
# headers and the command center's table. Unit-free: `headers()` adds the seconds' unit.
COLUMNS: Mapping[str, Name] = {
    "rank": Name("排名", "Rank"),
    "unit": Name("单位代码", "Unit code"),
    "name": Name("单位", "Unit"),
    "kind": Name("单位类型", "Unit kind"),
    "cases": Name("案件数", "Cases"),
    "too_few_cases": Name("案件过少", "Too few cases"),
    "score": Name("综合得分", "Score"),
    "response_rate": Name("响应率", "Response rate"),
    "completion_rate": Name("办结率", "Completion rate"),
    "resolution_rate": Name("解决率", "Resolution rate"),
    "satisfaction_rate": Name("满意率", "Satisfaction rate"),
    "arrivals_decided": _of(_ARRIVAL, "已判定数", ": decided"),
    "arrivals_on_time": _of(_ARRIVAL, "按时数", ": on time"),
    "arrival_median_s": _of(_ARRIVAL, "用时中位数", ": median time"),
    "arrival_p90_s": _of(_ARRIVAL, "用时第90百分位", ": 90th-percentile time"),
    "restores_decided": _of(_RESTORE, "已判定数", ": decided"),
    "restores_on_time": _of(_RESTORE, "按时数", ": on time"),
    "restore_rate": _of(_RESTORE, "按时率", ": on-time rate"),
    "restore_median_s": _of(_RESTORE, "用时中位数", ": median time"),
    "restore_p90_s": _of(_RESTORE, "用时第90百分位", ": 90th-percentile time"),
    "resolutions_decided": _of(_RESOLVE, "已判定数", ": decided"),
    "resolutions_on_time": _of(_RESOLVE, "按时数", ": on time"),
    "resolve_median_s": _of(_RESOLVE, "用时中位数", ": median time"),
    "resolve_p90_s": _of(_RESOLVE, "用时第90百分位", ": 90th-percentile time"),
    "closed": _of(STATUSES[Status.CLOSED], "案件数", " cases"),
    "closed_resolved": _of(STATUSES[Status.CLOSED], "且满意或未投诉",
                           ": satisfied or no complaint"),
    "overdue_records": _of(STATES[ClockState.OVERDUE], "记录", " records"),
    "reopenings": _of(STATUSES[Status.REOPENED], "次数", " (times)"),
    "extensions": Name("延期次数", "Extensions"),
    "complaints": Name("投诉次数", "Complaints"),
    "centrally_assigned": _of(ROLES[Role.COMMANDER], "指派数", ": assigned"),
    "feedback_answered": Name("回访已答数", "Follow-ups answered"),
    "feedback_satisfied": Name("满意数", "Satisfied"),
    "mean_rating": Name("平均评分", "Mean rating"),
}
SECONDS = Name("秒", "s")  # the unit of the columns whose code ends in `_s`

# Each table with the vocabulary it names, under the key the JSON and `name()` use.
TABLES: Mapping[str, tuple[Mapping[str, Name], Collection[str]]] = {
    "categories": (CATEGORIES, tuple(Category)),
    "descriptions": (DESCRIPTIONS, tuple(Category)),
    "statuses": (STATUSES, tuple(Status)),
    "milestones": (MILESTONES, tuple(Milestone)),
    "roles": (ROLES, tuple(Role)),
    "states": (STATES, tuple(ClockState)),
    "columns": (COLUMNS, tuple(COLUMNS)),  # held to the assessment's own list as it loads
}


def _complete(tables: Mapping[str, tuple[Mapping[str, Name], Collection[str]]]) -> None:
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


def require(kind: str, codes: Sequence[str]) -> None:
    """Holds a vocabulary kept elsewhere (the assessment's columns) to its table here: the same
    codes in the same order, or a RuntimeError as the module's own check raises."""
    table, _ = TABLES[kind]
    _complete({kind: (table, codes)})
    if list(table) != list(codes):
        raise RuntimeError(f"labels: {kind} must name {list(codes)} in that order")


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


def headers(columns: Iterable[str], lang: str = DEFAULT) -> list[str]:
    """An export's header row: each column's name, with its unit where it has one."""
    unit = _pick(SECONDS, lang)
    return [f"{name('columns', c, lang)} ({unit})" if c.endswith("_s") else name("columns", c, lang)
            for c in columns]


def document(languages: Iterable[str] = LANGUAGES) -> dict[str, object]:
    """What `GET /api/v1/labels` serves: the same for everyone, so it is cached."""
    return {"default": DEFAULT, "languages": list(languages),
            "labels": {lang: catalogue(lang) for lang in languages}}
