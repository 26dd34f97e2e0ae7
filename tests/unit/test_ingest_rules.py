"""A report is one transaction (the case, its events and its timers), and once it is committed
nothing after the commit can turn its answer into an error."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from dispatch.model import Event
from dispatch.reporting import NewReport, report_incident
from dispatch.timers import Timer
from tests.unit.fakes import IN_WEST, World, new_world

REPORT = NewReport(category="power_cut", description="d", location=IN_WEST)


@pytest.fixture
def w() -> World:
    return new_world()


def test_a_report_commits_once_with_its_timers(w: World) -> None:
    before = w.db.commits
    incident, created = report_incident(w.ctx, w.user("reporter"), REPORT)
    assert created and w.db.commits == before + 1
    stored = w.incident(incident.id)
    assert stored.timers_planned_at == w.clock.now
    assert {t.incident_id for t in w.db.state.timers} == {incident.id}
    assert len(w.rec.scheduled) == len(w.db.state.timers) > 0


def _failing(_items: Sequence[Event] | Sequence[Timer]) -> None:
    raise ConnectionError("redis is gone")


@pytest.mark.parametrize("hook", ["publish", "schedule"])
def test_a_hook_failing_after_the_commit_does_not_fail_the_report(w: World, hook: str) -> None:
    ctx = dataclasses.replace(w.ctx, **{hook: _failing})
    incident, created = report_incident(ctx, w.user("reporter"), REPORT)
    assert created
    assert w.incident(incident.id).timers_planned_at == w.clock.now
    assert [e.type for e in w.events(incident.id)][:2] == ["reported", "dispatched"]
