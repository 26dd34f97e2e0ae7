"""Open311's use cases on the fake unit of work (dispatch.open311), at the depth of their rules:
what each refusal says, the limits one past and at them, how a retry is recognised (the
fingerprint and the claim), which filters a query passes to the store, and who reads a withheld
case. The standard's wire shapes and the form's parsing are tests/unit/test_open311_rules.py."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from shapely.geometry import Point

from dispatch import idempotency, open311, outside_systems, publication, supervision
from dispatch.errors import NotFound, ValidationFailed
from dispatch.fieldwork import check_in, resolve, restore
from dispatch.model import Incident, Status, User
from dispatch.ports import IncidentQuery, PeriodQuery
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import IN_WEST, T0, FakeUnitOfWork, World, new_world

DAY = timedelta(days=1)


@pytest.fixture
def w() -> World:
    return new_world()


def _system(w: World, name: str = "city-12345") -> User:
    key, _ = outside_systems.issue_key(w.ctx, name, str)
    return outside_systems.authenticate(w.ctx, key)


def _request(**kw: object) -> open311.NewRequest:
    fields: dict[str, object] = {"service_code": "power_cut", "description": "停电",
                                 "location": IN_WEST}
    fields.update(kw)
    return open311.NewRequest(**fields)  # type: ignore[arg-type]


def _refusal(w: World, system: User, **kw: object) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as exc:
        open311.create_request(w.ctx, system, _request(**kw))
    [error] = exc.value.errors
    with w.db.uow() as uow:
        assert uow.incidents.search(IncidentQuery())[1] == 0  # nothing written
    return error.field, error.message


# -- services --------------------------------------------------------------------------------------
def test_a_service_is_found_by_its_code_and_an_unknown_one_is_not() -> None:
    assert open311.service("water_cut") is open311.SERVICES["water_cut"]
    with pytest.raises(NotFound) as exc:
        open311.service("pothole")
    assert str(exc.value) == "no service pothole"


# -- refusals, word for word -----------------------------------------------------------------------
@pytest.mark.parametrize(("kw", "field", "message"), [
    ({"service_code": "pothole"}, "service_code", "no service pothole"),
    ({"attributes": {"blocked_since": "x"}}, "attribute[blocked_since]",
     "not an attribute of power_cut"),
    ({"attributes": {"cut_since": "x" * 201}}, "attribute[cut_since]", "at most 200 characters"),
    ({"description": " \n"}, "description", "required"),
    ({"description": "x" * 2001}, "description",
     "at most 2000 characters, with the attributes"),
    ({"location": None}, "lat", "give lat and long, or an address_id"),
    ({"address_id": "s1"}, "lat", "give lat and long, or an address_id"),
    ({"location": None, "address_id": "nope"}, "address_id",
     "no such site registered by this system's account"),
    ({"media_url": "x" * 2001}, "media_url", "at most 2000 characters"),
])
def test_a_refused_request_says_why_and_writes_nothing(w: World, kw: dict[str, object],
                                                       field: str, message: str) -> None:
    assert _refusal(w, _system(w), **kw) == (field, message)


def test_an_attribute_and_a_media_url_at_their_limits_are_kept(w: World) -> None:
    system = _system(w)
    created = open311.create_request(w.ctx, system, _request(
        attributes={"cut_since": "x" * 200}, media_url="u" * 2000))
    stored = w.incident(created.incident.id)
    assert stored.description == "停电\n停供开始：" + "x" * 200
    assert stored.media_url == "u" * 2000 and created.notice is None


def test_a_blank_attribute_adds_no_line(w: World) -> None:
    created = open311.create_request(w.ctx, _system(w), _request(attributes={"cut_since": " "}))
    assert w.incident(created.incident.id).description == "停电"


def test_a_required_attribute_must_be_given(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """No service requires one today; the rule holds for the first that does."""
    since = replace(open311._CUT_SINCE, required=True)
    monkeypatch.setitem(open311.SERVICES, "power_cut",  # type: ignore[index]
                        replace(open311.SERVICES["power_cut"], attributes=(since,)))
    system = _system(w)
    for attributes in ({}, {"cut_since": "  "}):
        assert _refusal(w, system, attributes=attributes) == ("attribute[cut_since]", "required")
    created = open311.create_request(w.ctx, system, _request(attributes={"cut_since": "8点"}))
    assert w.incident(created.incident.id).description == "停电\n停供开始：8点"


def test_a_media_url_lost_after_the_report_is_logged_and_told(
        w: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def fail(*_: object) -> Incident:
        raise RuntimeError("the database went away")
    monkeypatch.setattr(open311, "_keep_media_url", fail)
    with caplog.at_level(logging.ERROR, logger="dispatch.open311"):
        created = open311.create_request(w.ctx, _system(w), _request(media_url="https://x/1"))
    assert created.notice == ("the case is filed; its media_url could not be kept: send the "
                              "link again with your next contact")
    assert [r.getMessage() for r in caplog.records] == [
        f"the media_url of service request {created.incident.id} was not kept"]


def test_a_media_url_is_kept_under_the_case_s_lock(w: World) -> None:
    inc = open311.create_request(w.ctx, _system(w), _request()).incident
    reads: list[tuple[str, bool]] = []

    def uow() -> FakeUnitOfWork:
        unit = FakeUnitOfWork(w.db)
        get = unit.incidents.get

        def locked_get(incident_id: str, for_update: bool = False) -> Incident | None:
            reads.append((incident_id, for_update))
            return get(incident_id, for_update)
        unit.incidents.get = locked_get  # type: ignore[method-assign]
        return unit
    kept = open311._keep_media_url(replace(w.ctx, uow=uow), inc.id, "https://x/2")
    assert reads == [(inc.id, True)] and kept.media_url == "https://x/2"
    assert w.incident(inc.id).media_url == "https://x/2"


def test_keeping_a_media_url_needs_the_case(w: World) -> None:
    with pytest.raises(NotFound) as exc:
        open311._keep_media_url(w.ctx, "nope", "https://x/1")
    assert str(exc.value) == "no incident nope"


# -- a retry: its fingerprint and its claim --------------------------------------------------------
def test_the_fingerprint_is_the_request_as_create_request_reads_it() -> None:
    req = _request(location=Point(112.123456789, 35.987654321), address_id=None,
                   attributes={"cut_since": " 8点 ", "blocked_since": " "},
                   description=" 停电 ", media_url="https://x/1")
    assert req.fingerprint() == idempotency.request_fingerprint(open311.CREATE_SCOPE, [
        "power_cut", [112.1234568, 35.9876543], None, "停电", [["cut_since", "8点"]],
        "https://x/1"])


def test_a_fingerprint_ignores_what_a_retry_may_change_and_nothing_else() -> None:
    base = _request(location=Point(112.5, 35.5)).fingerprint()
    same = [_request(location=Point(112.50000004, 35.5)), _request(location=Point(112.5,
                                                                                35.49999996)),
            _request(location=Point(112.5, 35.5), description="停电 "),
            _request(location=Point(112.5, 35.5), attributes={"cut_since": ""})]
    assert {r.fingerprint() for r in same} == {base}
    other = [_request(location=Point(112.5000001, 35.5)),
             _request(location=Point(112.5, 35.5000001)), _request(location=None),
             _request(location=Point(112.5, 35.5), attributes={"cut_since": "8点"})]
    assert len({r.fingerprint() for r in other} | {base}) == 5


def test_a_retry_is_claimed_by_its_key_for_ever_or_by_its_fields_for_the_window(
        w: World) -> None:
    req = _request()
    fp = req.fingerprint()
    assert open311._retry(w.ctx, req, "k-1") == idempotency.Retry("k-1", open311.CREATE_SCOPE,
                                                                  fp)
    window = w.ctx.settings.open311_replay_window
    assert open311._retry(w.ctx, req, None) == idempotency.Retry(
        f"{open311.REPLAY_SCOPE}:{fp}", open311.REPLAY_SCOPE, fp, window)
    for off in (timedelta(0), -timedelta(seconds=1)):
        ctx = replace(w.ctx, settings=replace(w.ctx.settings, open311_replay_window=off))
        assert open311._retry(ctx, req, None) is None
    tiny = replace(w.ctx, settings=replace(w.ctx.settings,
                                           open311_replay_window=timedelta(microseconds=1)))
    assert open311._retry(tiny, req, None) is not None


# -- the window ------------------------------------------------------------------------------------
def test_a_refused_window_says_why() -> None:
    with pytest.raises(ValidationFailed) as exc:
        open311.window(T0 + DAY, T0, T0)
    assert [(e.field, e.message) for e in exc.value.errors] == [("start_date", "after end_date")]
    with pytest.raises(ValidationFailed) as exc:
        open311.window(T0, T0 + 91 * DAY, T0)
    message = "start_date to end_date spans at most 90 days"
    assert str(exc.value) == message
    assert [(e.field, e.message) for e in exc.value.errors] == [("start_date", message),
                                                               ("end_date", message)]


# -- queries ---------------------------------------------------------------------------------------
def _closed(w: World, inc: Incident) -> None:
    """The case solved, and closed by the reporter's satisfied answer."""
    check_in(w.ctx, w.user("officer"), inc.id, IN_WEST, 5.0, None)
    restore(w.ctx, w.user("officer"), inc.id, "ok")
    resolve(w.ctx, w.user("officer"), inc.id, "fixed")
    supervision.give_feedback(w.ctx, w.user("reporter"), inc.id, True, 5)
    assert w.incident(inc.id).status == Status.CLOSED


def _report(w: World, category: str = "power_cut") -> Incident:
    inc, _ = report_incident(w.ctx, w.user("reporter"), NewReport(category, "停电", IN_WEST))
    return inc


def test_queries_by_service_status_and_page(w: World) -> None:
    power = _report(w)
    w.clock.advance(minutes=1)
    water = _report(w, "water_cut")
    w.clock.advance(minutes=1)
    other = _report(w, "other")
    _closed(w, water)

    def ids(**kw: object) -> list[str]:
        return [i.id for i in open311.find_requests(w.ctx, open311.RequestFilters(**kw), None)]
    assert ids() == [power.id, water.id, other.id]
    assert ids(statuses=["closed"]) == [water.id]
    assert ids(statuses=["open"]) == [power.id, other.id]
    assert ids(statuses=["open", "closed"]) == ids(statuses=None)
    assert ids(service_codes=["other", "power_cut", "other"]) == [power.id, other.id]
    assert ids(service_codes=[]) == []  # an empty list of services: none of them
    assert ids(page_size=2) == [power.id, water.id]
    assert ids(page_size=2, page=2) == [other.id]
    assert ids(page_size=1, page=3) == [other.id]
    assert ids(end=T0) == [power.id]  # the end is inclusive: received at T0 itself
    assert ids(start=T0 + timedelta(minutes=1)) == [water.id, other.id]


def test_a_query_by_ids_ignores_the_other_filters(w: World) -> None:
    power = _report(w)
    water = _report(w, "water_cut")
    w.clock.advance(days=200)  # far outside the default window
    found = open311.find_requests(w.ctx, open311.RequestFilters(
        ids=[water.id, power.id, "nope"], service_codes=["other"], statuses=["closed"],
        page_size=1, page=5), None)
    assert sorted(i.id for i in found) == sorted([power.id, water.id])


def test_a_query_refused_names_the_unknown_service_or_status(w: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        open311.find_requests(w.ctx, open311.RequestFilters(
            service_codes=["power_cut", "pothole", "litter"]), None)
    assert [(e.field, e.message) for e in exc.value.errors] == [(
        "service_code", "no service pothole, litter; known: gate_blocked, road_blocked, "
        "water_cut, power_cut, other")]
    with pytest.raises(ValidationFailed) as exc:
        open311.find_requests(w.ctx, open311.RequestFilters(
            statuses=["open", "pending", "done"]), None)
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("status", "no status pending, done; open or closed")]


def test_the_store_is_asked_for_the_window_the_services_and_the_page(
        w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[PeriodQuery] = []
    with w.db.uow() as uow:
        repo_type = type(uow.incidents)
    original = repo_type.received_between

    def spy(self: object, query: PeriodQuery) -> list[Incident]:
        asked.append(query)
        return original(self, query)  # type: ignore[arg-type]
    monkeypatch.setattr(repo_type, "received_between", spy)
    open311.find_requests(w.ctx, open311.RequestFilters(
        service_codes=["water_cut", "power_cut", "water_cut"], statuses=["open"],
        start=T0, end=T0 + DAY, page_size=20, page=3), None)
    open311.find_requests(w.ctx, open311.RequestFilters(ids=("a", "b")), None)
    assert asked == [
        PeriodQuery(start=T0, end=T0 + DAY + timedelta(microseconds=1),
                    categories=["power_cut", "water_cut"], closed=False, limit=20, offset=40),
        PeriodQuery(ids=["a", "b"], limit=open311.MAX_REQUESTS)]


# -- withheld cases and tokens ---------------------------------------------------------------------
def test_a_withheld_case_is_read_only_by_the_system_that_created_it(w: World) -> None:
    system, stranger = _system(w), _system(w, "another-system")
    inc = open311.create_request(w.ctx, system, _request()).incident
    assert open311.get_request(w.ctx, inc.id, None).id == inc.id
    publication.withhold(w.ctx, w.user("commander"), inc.id, "隐私")
    assert open311.get_request(w.ctx, inc.id, system).id == inc.id
    for viewer in (None, stranger):
        with pytest.raises(NotFound) as exc:
            open311.get_request(w.ctx, inc.id, viewer)
        assert str(exc.value) == f"no service request {inc.id}"
    with pytest.raises(NotFound):
        open311.get_request(w.ctx, "nope", system)
    assert open311.sees_all_of(system, inc) and not open311.sees_all_of(stranger, inc)
    assert not open311.sees_all_of(None, inc)


def test_a_token_is_a_request_an_outside_system_created(w: World) -> None:
    system = _system(w)
    inc = open311.create_request(w.ctx, system, _request()).incident
    assert open311.request_for_token(w.ctx, inc.id).id == inc.id
    phone = _report(w)
    for token in ("nope", phone.id):
        with pytest.raises(NotFound) as exc:
            open311.request_for_token(w.ctx, token)
        assert str(exc.value) == f"no token {token}"
    with w.db.uow() as uow:  # the system's account gone: its tokens with it
        del uow.work.users[system.id]
        uow.commit()
    with pytest.raises(NotFound):
        open311.request_for_token(w.ctx, inc.id)


def test_the_status_is_closed_only_for_a_closed_case(w: World) -> None:
    inc = _report(w)
    assert open311.open311_status(inc) == "open"
    _closed(w, inc)
    assert open311.open311_status(w.incident(inc.id)) == "closed"
