"""`dispatch.notify.notices` and its senders at the rule's depth, on hand-made events: the
officers are read only for a first offer, a unit without an active officer tells nobody, a
case without a number is skipped without hiding the next one, and the log lines read exactly."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from dispatch.model import Event
from dispatch.notify import LogNotifier, Notice, NoticeKind, deliver, notices
from tests.unit.fakes import T0

N1, N2 = "JY311-20261127-0001", "JY311-20261127-0002"


def _event(kind: str, number: str, data: dict[str, object] | None = None,
           audience: Sequence[str] = ("user:r1", "unit:w", "command")) -> Event:
    return Event(kind, T0, None, data or {"unit": "w"}, list(audience), "c1",
                 snapshot={"case_number": number})


def _no_read(codes: Sequence[str]) -> dict[str, list[str]]:
    raise AssertionError(f"the officers of {codes} were read with no offer to tell")


def test_the_officers_are_read_only_when_a_case_is_offered() -> None:
    assert notices([_event("arrived", N1)], _no_read) == [Notice("r1", NoticeKind.ARRIVED, N1)]
    assert notices([_event("offered", N1, {"unit": "w", "repeat": True})], _no_read) == []
    read: list[list[str]] = []

    def officers_of(codes: Sequence[str]) -> dict[str, list[str]]:
        read.append(list(codes))
        return {"w": ["o1", "o2"], "p": ["o3"]}

    offers = [_event("offered", N1, {"unit": "w"}), _event("offered", N1, {"unit": "p"}),
              _event("offered", N1, {"unit": "w"})]
    assert [(n.user_id, n.kind) for n in notices(offers, officers_of)] == [
        ("o1", "task_offered"), ("o2", "task_offered"), ("o3", "task_offered"),
        ("o1", "task_offered"), ("o2", "task_offered")]
    assert read == [["p", "w"]]  # once, each unit once, sorted


def test_a_unit_with_no_active_officer_tells_nobody_and_the_others_still_go() -> None:
    offers = [_event("offered", N1, {"unit": "empty"}), _event("offered", N1, {"unit": "w"})]
    assert notices(offers, lambda codes: {"w": ["o1"]}) == [
        Notice("o1", NoticeKind.TASK_OFFERED, N1)]


def test_an_event_without_a_number_is_skipped_and_the_next_one_still_told() -> None:
    events = [_event("arrived", ""), _event("resolved", N2, audience=["user:r2", "command"])]
    assert notices(events, _no_read) == [Notice("r2", NoticeKind.RESOLVED, N2)]


def test_the_log_lines_read_exactly(caplog: pytest.LogCaptureFixture) -> None:
    class Down:
        def notify(self, user_id: str, kind: str, case_number: str) -> None:
            raise ConnectionError("SMS gateway down")

    with caplog.at_level(logging.INFO, logger="dispatch.notify"):
        LogNotifier().notify("u1", "arrived", N1)
        deliver(Down(), [Notice("u1", NoticeKind.RESOLVED, N2)])
    assert [r.getMessage() for r in caplog.records] == [
        f"notice arrived to user u1 about case {N1}",
        f"could not send the resolved notice about case {N2}"]
