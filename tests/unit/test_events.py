"""Every event type, who hears it and what it goes out as: one table, so that a new type cannot be
added without deciding its audience (and a change of audience is a change of this table)."""

from __future__ import annotations

import pytest

from dispatch import events
from dispatch.access import rooms_for
from dispatch.events import EventType
from dispatch.model import Event, Role, User
from dispatch.relay import SOCKET_EVENTS, socket_event
from tests.unit.test_domain import T0, _incident

# For a case of the units "t" (territory) and "power_supply", reported by "r"; events about one
# unit are about "power_supply".
UNITS = ["unit:t", "unit:power_supply"]
EVERYONE = [*UNITS, "user:r", "command"]
TABLE: dict[str, tuple[list[str], str]] = {
    "reported": (EVERYONE, "incident.updated"),
    "dispatched": (["user:r", "command"], "incident.updated"),
    "offered": (["unit:power_supply", "command"], "task.offered"),
    "offer_unanswered": (["dispatch:power_supply", "command"], "task.unanswered"),
    "accepted": (EVERYONE, "incident.updated"),
    "arrived": (EVERYONE, "incident.updated"),
    "restored": (EVERYONE, "incident.updated"),
    "resolved": (EVERYONE, "incident.updated"),
    "reopened": (EVERYONE, "incident.updated"),
    "deadline_near": (["unit:power_supply"], "incident.deadline_near"),
    "overdue": (["unit:power_supply", "dispatch:power_supply", "command"],
                "incident.overdue"),
    "feedback_requested": (["user:r", "command"], "feedback.requested"),
    "feedback_given": (EVERYONE, "incident.updated"),
    "closed": (EVERYONE, "incident.updated"),
    "extended": (EVERYONE, "incident.updated"),
    "complained": (["user:r", "command"], "complaint.filed"),
    "complaint_replied": (["user:r", "command"], "incident.updated"),
    "complaint_overdue": (["command"], "complaint.overdue"),
    "centrally_assigned": (EVERYONE, "incident.updated"),
    "withheld": (["command"], "incident.updated"),
    "public_text_reviewed": (["command"], "incident.updated"),
    "reminded": (["unit:power_supply", "command"], "incident.reminded"),
}


def test_every_event_type_is_in_the_table_with_its_audience_and_socket_event():
    assert {str(t) for t in EventType} == set(TABLE)
    assert set(events.CATALOGUE) == set(EventType)
    inc = _incident()
    for type, (rooms, name) in TABLE.items():
        recorded = inc.record(EventType(type), T0, None, unit="power_supply")
        assert recorded.audience == rooms, type
        assert socket_event(recorded) == name, type
        assert SOCKET_EVENTS[type] == name


def test_an_event_about_one_unit_must_name_it_and_an_unknown_type_is_refused():
    inc = _incident()
    for type in ("offered", "offer_unanswered", "deadline_near", "overdue"):
        with pytest.raises(ValueError, match="must name its unit"):
            inc.record(EventType(type), T0, None)
    with pytest.raises(ValueError):
        inc.record("dispached", T0, None)  # type: ignore[arg-type]
    # A stored row of a type this version does not know still goes out, as an update.
    assert socket_event(Event("from_the_future", T0, None, {}, [])) == "incident.updated"


@pytest.mark.parametrize("role, unit, rooms", [
    (Role.REPORTER, None, ["user:u"]),
    (Role.OFFICER, "t", ["user:u", "unit:t"]),
    (Role.DISPATCHER, "t", ["user:u", "unit:t", "dispatch:t"]),
    (Role.COMMANDER, None, ["user:u", "command"]),
    (Role.ADMIN, None, ["user:u", "command"]),
])
def test_a_user_hears_the_rooms_the_catalogue_speaks_to(role, unit, rooms):
    user = User(username="u", password_hash="x", role=role, unit_code=unit, id="u")
    assert rooms_for(user) == rooms
