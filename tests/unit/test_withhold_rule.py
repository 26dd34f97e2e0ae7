"""Withholding a case from the disclosure, at the model's depth (`Incident.withhold`): the
decision and its reason on the case and in its log, a repeat with the same reason a no-op, and
a different reason refused with the first decision's time and reason (it stands on record)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.errors import Conflict
from dispatch.events import EventType
from dispatch.publication import withhold
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import IN_WEST, T0, new_world


def test_a_case_is_withheld_once_with_its_reason_and_the_first_decision_stands() -> None:
    w = new_world()
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport("other", "门口堵了", IN_WEST))
    commander = w.user("commander")
    w.clock.advance(hours=1)
    first = w.clock.now
    withhold(w.ctx, commander, case.id, "涉及未成年人")
    stored = w.incident(case.id)
    assert (stored.withheld_at, stored.withheld_by, stored.withheld_reason) == (
        first, commander.id, "涉及未成年人")
    [event] = [e for e in w.events(case.id) if e.type == EventType.WITHHELD]
    assert (event.at, event.actor_id, event.data) == (first, commander.id,
                                                        {"reason": "涉及未成年人"})
    w.clock.advance(minutes=5)
    events = len(w.events(case.id))
    assert withhold(w.ctx, commander, case.id, " 涉及未成年人 ").withheld_at == first  # a repeat
    assert len(w.events(case.id)) == events
    with pytest.raises(Conflict) as refused:
        withhold(w.ctx, commander, case.id, "另一个理由")
    assert str(refused.value) == (
        "the case was withheld already on 2026-11-27T03:00:00Z: 涉及未成年人")
    assert first == T0 + timedelta(hours=1)
    assert w.incident(case.id).withheld_reason == "涉及未成年人"
