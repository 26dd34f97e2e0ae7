"""The supervision cycle's methods of the incident, one by one (DOMAIN 3.2, 6.2, 7.1, 7.3, 7.4):
the follow-up, feedback, extension, complaint and reply, central assignment. For each: the fields
it sets, the event it records (type, time, actor, data, audience, as the clients read them), the
states it is allowed from, each refusal's field and message at its boundary, and that a refusal
changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from shapely.geometry import Point

from dispatch.clock import Policy, deadlines
from dispatch.errors import Conflict, NotFound, ValidationFailed
from dispatch.model import Incident, Role, Status, Unit, User

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))
SITE = Point(112.61, 35.02)
US = timedelta(microseconds=1)
TERRITORY = Unit("t", "Territory T", "territory")
POWER = Unit("power_supply", "Power", "department")
EVERYONE = ["unit:t", "unit:power_supply", "user:r", "command"]
REPORTER_AND_COMMAND = ["user:r", "command"]
SOLVED_AT = T0 + timedelta(hours=2)
WEEK = timedelta(days=7)


def _dispatched() -> Incident:
    due = deadlines(T0, Policy())
    inc = Incident(category="power_cut", description="no power", location=SITE,
                   reporter_id="r", territory_code="t", territory_name="Territory T",
                   boundary_set_id=1, received_at=T0, arrival_due=due.arrival,
                   restore_due=due.restore, resolve_due=due.resolve, id="case-1")
    inc.dispatch([POWER, TERRITORY], T0, "d")
    return inc


def _restored() -> Incident:
    inc = _dispatched()
    inc.arrive("t", "o", T0 + timedelta(minutes=5), SITE, 3.0, None)
    inc.restore("o", T0 + timedelta(minutes=20), "road open")
    return inc


def _resolved() -> Incident:
    inc = _restored()
    inc.resolve("o", SOLVED_AT, "fixed")
    return inc


def _closed() -> Incident:
    inc = _resolved()
    inc.close(SOLVED_AT + timedelta(hours=1), "r", "satisfied")
    return inc


def _reopened() -> Incident:
    inc = _resolved()
    inc.reopen(SOLVED_AT + timedelta(hours=1), Policy(), "r", "again")
    return inc


def _in(status: Status) -> Incident:
    return {Status.DISPATCHED: _dispatched, Status.RESTORED: _restored,
            Status.RESOLVED: _resolved, Status.CLOSED: _closed,
            Status.REOPENED: _reopened}[status]()


def _state(inc: Incident) -> dict[str, object]:
    """Everything a refusal must leave as it was."""
    return {k: v for k, v in vars(inc).items() if k not in ("events", "complaints")} | {
        "events": len(inc.events), "complaints": [vars(c).copy() for c in inc.complaints]}


def _refused(error: ValidationFailed) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in error.errors]


# -- the follow-up (回访) ------------------------------------------------------------------------

def test_asking_for_feedback_sets_its_deadline_and_tells_the_reporter_and_command() -> None:
    inc = _resolved()
    at = SOLVED_AT.astimezone(BEIJING)
    assert inc.request_feedback(at, timedelta(days=3)) == T0 + timedelta(days=3, hours=2)
    assert inc.feedback_due == T0 + timedelta(days=3, hours=2)
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.data, event.audience) == (
        "feedback_requested", at, None, {"due": "2026-11-30T04:00:00Z"}, REPORTER_AND_COMMAND)


def test_satisfied_feedback_is_kept_and_closes_the_case() -> None:
    inc = _resolved()
    inc.request_feedback(SOLVED_AT, timedelta(days=3))
    at = SOLVED_AT + timedelta(hours=5)
    inc.take_feedback("r", at, True, 5, "quick", Policy())
    assert (inc.feedback_at, inc.feedback_satisfied, inc.feedback_rating,
            inc.feedback_comment) == (at, True, 5, "quick")
    assert (inc.status, inc.closed_at, inc.closed_reason, inc.feedback_due, inc.round) == (
        Status.CLOSED, at, "satisfied", None, 0)
    given, closed = inc.events[-2:]
    assert (given.type, given.at, given.actor_id, given.data, given.audience) == (
        "feedback_given", at, "r", {"satisfied": True, "rating": 5, "comment": "quick"},
        EVERYONE)
    assert (closed.type, closed.at, closed.actor_id, closed.data) == (
        "closed", at, "r", {"status": "closed", "reason": "satisfied"})


def test_unsatisfied_feedback_reopens_with_the_comment_as_the_note() -> None:
    inc = _resolved()
    inc.request_feedback(SOLVED_AT, timedelta(days=3))
    at = SOLVED_AT + timedelta(hours=5)
    inc.take_feedback("r", at, False, 2, "still dark", Policy(resolve=timedelta(days=2)))
    assert (inc.feedback_satisfied, inc.feedback_rating, inc.feedback_comment) == (
        False, 2, "still dark")
    assert (inc.status, inc.round, inc.resolve_due, inc.feedback_due, inc.closed_at) == (
        Status.REOPENED, 1, at + timedelta(days=2), None, None)
    given, reopened = inc.events[-2:]
    assert given.data == {"satisfied": False, "rating": 2, "comment": "still dark"}
    assert (reopened.type, reopened.actor_id, reopened.data["note"]) == (
        "reopened", "r", "still dark")


@pytest.mark.parametrize("status", [Status.DISPATCHED, Status.RESTORED, Status.CLOSED,
                                    Status.REOPENED])
def test_feedback_is_taken_only_on_a_solved_case(status: Status) -> None:
    inc = _in(status)
    before = _state(inc)
    with pytest.raises(Conflict) as refused:
        inc.take_feedback("r", SOLVED_AT, True, 5, "", Policy())
    assert str(refused.value) == (f"incident is {status}; feedback is given once the problem is "
                                  "marked solved, and only once per solution")
    assert _state(inc) == before


@pytest.mark.parametrize("status", [Status.DISPATCHED, Status.RESTORED, Status.CLOSED,
                                    Status.REOPENED])
def test_only_a_solved_case_is_closed(status: Status) -> None:
    inc = _in(status)
    before = _state(inc)
    with pytest.raises(Conflict) as refused:
        inc.close(SOLVED_AT, None, "no_feedback")
    assert str(refused.value) == f"incident is {status}; only a solved incident can be closed"
    assert _state(inc) == before


# -- extensions (延期) ---------------------------------------------------------------------------

def test_an_extension_moves_the_deadline_keeps_the_original_and_tells_everyone() -> None:
    inc = _restored()
    original = inc.resolve_due
    at = T0 + timedelta(hours=1)
    inc.extend("power_supply", "d", at, original + timedelta(days=2), "  parts on order ",
               timedelta(days=30))
    assert (inc.resolve_due, inc.resolve_due_original, inc.extension_reason, inc.extensions) == (
        original + timedelta(days=2), original, "parts on order", 1)
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.audience) == (
        "extended", at, "d", EVERYONE)
    assert event.data == {"unit": "power_supply", "reason": "parts on order",
                          "until": "2026-12-06T02:00:00Z", "previous": "2026-12-04T02:00:00Z",
                          "original": "2026-12-04T02:00:00Z", "extensions": 1}


def test_a_second_extension_is_limited_by_the_original_deadline_not_the_extended_one() -> None:
    inc = _restored()
    original = inc.resolve_due
    inc.extend("t", "d", T0, original + timedelta(days=1), "a", timedelta(days=3))
    inc.extend("t", "d", T0, original + timedelta(days=3), "b", timedelta(days=3))
    assert (inc.resolve_due, inc.resolve_due_original, inc.extensions, inc.extension_reason) == (
        original + timedelta(days=3), original, 2, "b")
    assert inc.events[-1].data["previous"] == "2026-12-05T02:00:00Z"
    assert inc.events[-1].data["original"] == "2026-12-04T02:00:00Z"
    before = _state(inc)
    with pytest.raises(ValidationFailed) as refused:
        inc.extend("t", "d", T0, original + timedelta(days=3) + US, "c", timedelta(days=3))
    assert _refused(refused.value) == [("until", "at most 3 days after the original deadline "
                                        "2026-12-04T02:00:00Z, that is 2026-12-07T02:00:00Z")]
    assert _state(inc) == before


def test_an_extension_needs_a_reason_and_a_later_deadline_within_the_limit() -> None:
    inc = _dispatched()
    current, week = inc.resolve_due, timedelta(days=7)
    before = _state(inc)
    cases = [
        (current + US, " \t", "reason", "an extension needs a reason the reporter is told"),
        (current, "parts", "until",
         "must be later than the current resolve deadline 2026-12-04T02:00:00Z"),
        (current - US, "parts", "until",
         "must be later than the current resolve deadline 2026-12-04T02:00:00Z"),
        (current + week + US, "parts", "until",
         "at most 7 days after the original deadline 2026-12-04T02:00:00Z, "
         "that is 2026-12-11T02:00:00Z"),
    ]
    for until, reason, field, message in cases:
        with pytest.raises(ValidationFailed) as refused:
            inc.extend("t", "d", T0, until, reason, week)
        assert _refused(refused.value) == [(field, message)]
        assert str(refused.value) == f"{field}: {message}"
        assert _state(inc) == before
    inc.extend("t", "d", T0, current + US, "parts", week)  # one microsecond later: allowed
    inc.extend("t", "d", T0, current + week, "parts", week)  # exactly at the limit: allowed
    assert (inc.resolve_due, inc.extensions) == (current + week, 2)


def test_half_a_day_is_written_as_such_in_the_limit() -> None:
    inc = _dispatched()
    with pytest.raises(ValidationFailed, match="at most 0.5 days after"):
        inc.extend("t", "d", T0, inc.resolve_due + timedelta(days=1), "x", timedelta(hours=12))


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_a_solved_or_closed_problem_is_not_extended(status: Status) -> None:
    inc = _in(status)
    before = _state(inc)
    with pytest.raises(Conflict) as refused:
        inc.extend("t", "d", T0, inc.resolve_due + timedelta(days=1), "x", WEEK)
    assert str(refused.value) == f"incident is {status}; only an open problem can be extended"
    assert _state(inc) == before


@pytest.mark.parametrize("status", [Status.DISPATCHED, Status.RESTORED, Status.REOPENED])
def test_an_open_problem_is_extended(status: Status) -> None:
    inc = _in(status)
    inc.extend("t", "d", T0, inc.resolve_due + timedelta(days=1), "x", WEEK)
    assert inc.extensions == 1


def test_a_reopened_round_is_extended_from_its_own_deadline() -> None:
    inc = _dispatched()
    inc.extend("t", "d", T0, inc.resolve_due + timedelta(days=1), "x", WEEK)
    inc.arrive("t", "o", T0, SITE, 1.0, None)
    inc.restore("o", T0, "ok")
    inc.resolve("o", T0, "ok")
    inc.reopen(T0 + timedelta(days=10), Policy(), "r")
    assert inc.resolve_due_original is None
    new_due = inc.resolve_due
    inc.extend("t", "d", T0, new_due + WEEK, "y", WEEK)
    assert (inc.resolve_due_original, inc.extensions) == (new_due, 2)


# -- complaints (投诉) ---------------------------------------------------------------------------

def test_a_complaint_is_numbered_from_one_with_its_reply_deadline() -> None:
    inc = _dispatched()
    at = (T0 + timedelta(hours=1)).astimezone(BEIJING)
    first = inc.file_complaint("r", at, "  nobody came \n", timedelta(hours=24))
    second = inc.file_complaint("r", at + timedelta(hours=1), "still nobody", timedelta(hours=2))
    assert inc.complaints == [first, second]
    assert (first.incident_id, first.number, first.author_id, first.text, first.filed_at,
            first.reply_due, first.reply, first.replied_at, first.replied_by) == (
        "case-1", 1, "r", "nobody came", at, at + timedelta(hours=24), None, None, None)
    assert (second.number, second.reply_due) == (2, at + timedelta(hours=3))
    event = inc.events[-2]
    assert (event.type, event.at, event.actor_id, event.audience) == (
        "complained", at, "r", REPORTER_AND_COMMAND)
    assert event.data == {"complaint": 1, "text": "nobody came",
                          "reply_due": "2026-11-28T03:00:00Z"}
    assert inc.complaint(2) is second and inc.complaint(3) is None


def test_an_empty_complaint_is_refused_and_nothing_is_filed() -> None:
    inc = _dispatched()
    before = _state(inc)
    with pytest.raises(ValidationFailed) as refused:
        inc.file_complaint("r", T0, " \n ", timedelta(hours=24))
    assert _refused(refused.value) == [("text", "say what the complaint is about")]
    assert _state(inc) == before


def test_command_answers_a_complaint_once_judged_against_its_own_deadline() -> None:
    inc = _dispatched()
    complaint = inc.file_complaint("r", T0, "slow", timedelta(hours=24))
    at = complaint.reply_due  # exactly at the deadline: on time
    assert inc.answer_complaint(1, "c", at, "  on our way ") is complaint
    assert (complaint.reply, complaint.replied_at, complaint.replied_by) == (
        "on our way", at, "c")
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.audience) == (
        "complaint_replied", at, "c", REPORTER_AND_COMMAND)
    assert event.data == {"complaint": 1, "reply": "on our way", "on_time": True}
    before = _state(inc)
    with pytest.raises(Conflict) as refused:
        inc.answer_complaint(1, "c", at + US, "again")
    assert str(refused.value) == "complaint 1 was answered at 2026-11-28T02:00:00Z"
    assert _state(inc) == before


def test_a_reply_one_microsecond_late_is_late() -> None:
    inc = _dispatched()
    complaint = inc.file_complaint("r", T0, "slow", timedelta(hours=24))
    inc.answer_complaint(1, "c", complaint.reply_due + US, "sorry")
    assert inc.events[-1].data["on_time"] is False


def test_a_reply_to_no_complaint_or_an_empty_reply_is_refused() -> None:
    inc = _dispatched()
    inc.file_complaint("r", T0, "slow", timedelta(hours=24))
    before = _state(inc)
    with pytest.raises(NotFound) as missing:
        inc.answer_complaint(2, "c", T0, "sorry")
    assert str(missing.value) == "no complaint 2 on incident case-1"
    with pytest.raises(ValidationFailed) as empty:
        inc.answer_complaint(1, "c", T0, "  ")
    assert _refused(empty.value) == [("reply", "the reply cannot be empty")]
    assert _state(inc) == before


# -- central assignment (集中交办) ---------------------------------------------------------------

def _person(unit: str | None = "t", role: Role = Role.OFFICER, active: bool = True,
            display_name: str = "Li Wei") -> User:
    return User(username="liwei", password_hash="x", role=role, unit_code=unit,
                display_name=display_name, active=active, id="p1")


@pytest.mark.parametrize("role", [Role.OFFICER, Role.DISPATCHER])
def test_command_names_a_unit_its_person_and_a_deadline(role: Role) -> None:
    inc = _dispatched()
    at, due = T0 + timedelta(hours=1), T0 + timedelta(days=1)
    inc.assign_centrally("power_supply", _person("power_supply", role), due, "c", at)
    assert (inc.central_unit, inc.central_person, inc.central_due, inc.central_by,
            inc.central_at) == ("power_supply", "p1", due, "c", at)
    event = inc.events[-1]
    assert (event.type, event.at, event.actor_id, event.audience) == (
        "centrally_assigned", at, "c", EVERYONE)
    assert event.data == {"unit": "power_supply", "person": "p1", "person_name": "Li Wei",
                          "due": "2026-11-28T02:00:00Z"}
    assert event.snapshot["central_assignment"] == {
        "unit": "power_supply", "person": "p1", "due": "2026-11-28T02:00:00Z"}


def test_a_person_without_a_display_name_is_named_by_username() -> None:
    inc = _dispatched()
    inc.assign_centrally("t", _person(display_name=""), T0 + US, "c", T0)
    assert inc.events[-1].data["person_name"] == "liwei"


def test_a_central_assignment_is_refused_field_by_field_and_changes_nothing() -> None:
    inc = _dispatched()
    due = T0 + timedelta(days=1)
    person_error = ("person", "not an active officer or dispatcher of t")
    cases = [
        ("water_supply", _person(), due, ("unit", "water_supply is not a responsible unit of "
                                                  "this case (t, power_supply)")),
        ("t", None, due, person_error),
        ("t", _person(unit="power_supply"), due, person_error),
        ("t", _person(unit=None), due, person_error),
        ("t", _person(active=False), due, person_error),
        ("t", _person(role=Role.COMMANDER), due, person_error),
        ("t", _person(role=Role.REPORTER), due, person_error),
        ("t", _person(), T0, ("due", "must be in the future")),
        ("t", _person(), T0 - US, ("due", "must be in the future")),
    ]
    before = _state(inc)
    for unit, person, when, error in cases:
        with pytest.raises(ValidationFailed) as refused:
            inc.assign_centrally(unit, person, when, "c", T0)
        assert _refused(refused.value) == [error], (unit, person, when)
        assert _state(inc) == before
    inc.assign_centrally("t", _person(), T0 + US, "c", T0)  # a microsecond ahead: the future
    assert inc.central_due == T0 + US


@pytest.mark.parametrize("status", [Status.RESTORED, Status.RESOLVED, Status.REOPENED])
def test_any_case_not_closed_is_assigned(status: Status) -> None:
    inc = _in(status)
    inc.assign_centrally("t", _person(), T0 + WEEK, "c", T0)
    assert inc.central_unit == "t"


def test_a_closed_case_is_not_assigned() -> None:
    inc = _closed()
    before = _state(inc)
    with pytest.raises(Conflict) as refused:
        inc.assign_centrally("t", _person(), T0 + WEEK, "c", T0)
    assert str(refused.value) == "incident is closed; a closed case is not assigned"
    assert _state(inc) == before
