"""Open311 on the fake unit of work and in its pure modules: requests become incidents of the
outside system's account, keys are hashed and revocable, the standard's fields and XML shape,
and what a client may send."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from shapely.geometry import Point

from dispatch import open311, outside_systems, publication
from dispatch.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dispatch.model import Status
from dispatch.ports import IncidentQuery
from mobile_api.open311 import mapping, params
from mobile_api.open311.render import errors, render
from tests.unit.fakes import IN_WEST, T0, WEST, World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def _system(w: World, name: str = "city-12345") -> str:
    key, created = outside_systems.issue_key(w.ctx, name, w.ctx.password_hasher or str)
    assert created
    return key


def _request(**kw: object) -> open311.NewRequest:
    fields: dict[str, object] = {"service_code": "power_cut", "description": "停电",
                                 "location": IN_WEST}
    fields.update(kw)
    return open311.NewRequest(**fields)  # type: ignore[arg-type]


# -- keys ------------------------------------------------------------------------------------------
def test_a_key_is_stored_as_its_sha256_and_finds_its_reporter_account(w: World) -> None:
    key = _system(w)
    with w.db.uow() as uow:
        user = uow.users.by_username("city-12345")
    assert user is not None and user.role == "reporter"
    assert user.api_key_hash == hashlib.sha256(key.encode()).hexdigest() != key
    assert outside_systems.authenticate(w.ctx, key).id == user.id


@pytest.mark.parametrize("key", [None, "", "wrong"])
def test_a_missing_or_unknown_key_is_forbidden(w: World, key: str | None) -> None:
    _system(w)
    with pytest.raises(Forbidden):
        outside_systems.authenticate(w.ctx, key)


def test_a_new_key_replaces_the_old_and_a_revoked_key_stops(w: World) -> None:
    old = _system(w)
    new, created = outside_systems.issue_key(w.ctx, "city-12345", str)
    assert not created
    with pytest.raises(Forbidden):
        outside_systems.authenticate(w.ctx, old)
    assert outside_systems.revoke_key(w.ctx, "city-12345") is True
    with pytest.raises(Forbidden):
        outside_systems.authenticate(w.ctx, new)
    assert outside_systems.revoke_key(w.ctx, "city-12345") is False
    [listed] = outside_systems.list_systems(w.ctx)
    assert (listed.name, listed.active, listed.issued_at) == ("city-12345", False, T0)


def test_a_product_user_never_becomes_an_outside_system(w: World) -> None:
    with pytest.raises(Conflict):
        outside_systems.issue_key(w.ctx, "reporter", str)
    with pytest.raises(NotFound):
        outside_systems.revoke_key(w.ctx, "reporter")


@pytest.mark.parametrize(("name", "ok"), [("ab", True), ("a", False), ("a" * 64, True),
                                          ("a" * 65, False), ("Upper", True), (" ab ", True),
                                          ("a b", False), ("-x", False)])
def test_system_names_at_their_limits(w: World, name: str, ok: bool) -> None:
    if ok:
        outside_systems.issue_key(w.ctx, name, str)
    else:
        with pytest.raises(ValidationFailed):
            outside_systems.issue_key(w.ctx, name, str)


def test_a_system_is_named_in_one_spelling_by_every_command(w: World) -> None:
    """Read as sign-in reads a user name (dispatch/usernames.py): one system, however typed."""
    key, created = outside_systems.issue_key(w.ctx, "City-12345", str)
    assert created and [s.name for s in outside_systems.list_systems(w.ctx)] == ["city-12345"]
    _, created = outside_systems.issue_key(w.ctx, "\u3000ＣＩＴＹ-12345 ", str)
    assert not created  # the same account, a new key
    assert outside_systems.revoke_key(w.ctx, "city-12345\t") is True
    assert [s.active for s in outside_systems.list_systems(w.ctx)] == [False]


# -- requests --------------------------------------------------------------------------------------
def test_a_request_is_an_incident_of_the_system_s_account(w: World) -> None:
    system = outside_systems.authenticate(w.ctx, _system(w))
    inc = open311.create_request(w.ctx, system, _request(
        attributes={"cut_since": " 8 点 "}, media_url="https://example.org/1.jpg")).incident
    stored = w.incident(inc.id)
    assert stored.reporter_id == system.id and stored.territory_code == WEST
    assert stored.description == "停电\n停供开始：8 点"
    assert stored.media_url == "https://example.org/1.jpg"
    assert [e.type for e in w.events(inc.id)][:2] == ["reported", "dispatched"]
    assert open311.request_for_token(w.ctx, inc.id).id == inc.id


@pytest.mark.parametrize(("kw", "field"), [
    ({"service_code": "pothole"}, "service_code"),
    ({"attributes": {"blocked_since": "x"}}, "attribute[blocked_since]"),
    ({"attributes": {"cut_since": "x" * 201}}, "attribute[cut_since]"),
    ({"description": "  "}, "description"),
    ({"description": "x" * 2001}, "description"),
    ({"description": "x" * 1990, "attributes": {"cut_since": "1234567890"}}, "description"),
    ({"location": None}, "lat"),
    ({"address_id": "s"}, "lat"),
    ({"location": None, "address_id": "nope"}, "address_id"),
    ({"media_url": "https://x/" + "a" * 1991}, "media_url"),
])
def test_refused_requests_write_nothing(w: World, kw: dict[str, object], field: str) -> None:
    system = outside_systems.authenticate(w.ctx, _system(w))
    with pytest.raises(ValidationFailed) as exc:
        open311.create_request(w.ctx, system, _request(**kw))
    assert [e.field for e in exc.value.errors] == [field]
    with w.db.uow() as uow:
        assert uow.incidents.search(IncidentQuery())[1] == 0


def test_a_media_url_that_cannot_be_kept_leaves_the_case_filed_and_says_so(
        w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise RuntimeError("the database went away")
    monkeypatch.setattr(open311, "_keep_media_url", fail)
    system = outside_systems.authenticate(w.ctx, _system(w))
    created = open311.create_request(w.ctx, system, _request(media_url="https://x/1.jpg"))
    assert created.notice is not None and "media_url" in created.notice
    stored = w.incident(created.incident.id)
    assert stored.media_url is None and stored.status == Status.DISPATCHED
    assert mapping.created(created.incident, created.notice)["service_notice"] == created.notice


def test_descriptions_at_their_limit_are_accepted(w: World) -> None:
    system = outside_systems.authenticate(w.ctx, _system(w))
    open311.create_request(w.ctx, system, _request(description="x" * 2000))
    open311.create_request(w.ctx, system, _request(
        description="x" * 1983, attributes={"cut_since": "1234567890"}))  # 1983 + 7 + 10


def test_a_phone_s_case_has_no_token_and_a_withheld_case_is_only_its_creator_s(w: World) -> None:
    from dispatch.reporting import NewReport, report_incident
    phone, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        "power_cut", "停电", IN_WEST))
    with pytest.raises(NotFound):
        open311.request_for_token(w.ctx, phone.id)
    system = outside_systems.authenticate(w.ctx, _system(w))
    mine = open311.create_request(w.ctx, system, _request()).incident
    for case in (phone, mine):
        publication.withhold(w.ctx, w.user("commander"), case.id, "隐私")
    assert open311.find_requests(w.ctx, open311.RequestFilters(), None) == []
    assert [i.id for i in open311.find_requests(w.ctx, open311.RequestFilters(), system)] == [
        mine.id]
    with pytest.raises(NotFound):
        open311.get_request(w.ctx, phone.id, system)


def test_withholding_is_for_commanders_with_a_reason(w: World) -> None:
    from dispatch.reporting import NewReport, report_incident
    inc, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "停电", IN_WEST))
    for who in ("reporter", "dispatcher", "admin"):
        with pytest.raises(Forbidden):
            publication.withhold(w.ctx, w.user(who), inc.id, "x")
    with pytest.raises(ValidationFailed):
        publication.withhold(w.ctx, w.user("commander"), inc.id, " ")
    with pytest.raises(ValidationFailed):
        publication.withhold(w.ctx, w.user("commander"), inc.id, "x" * 501)
    publication.withhold(w.ctx, w.user("commander"), inc.id, "x" * 500)
    assert w.incident(inc.id).withheld_reason == "x" * 500
    assert w.events(inc.id)[-1].audience == ["command"]


def test_the_window_defaults_to_90_days_and_end_date_is_inclusive(w: World) -> None:
    system = outside_systems.authenticate(w.ctx, _system(w))
    first = open311.create_request(w.ctx, system, _request()).incident
    w.clock.advance(days=90)
    assert [i.id for i in open311.find_requests(w.ctx, open311.RequestFilters(), None)] == [
        first.id]
    w.clock.advance(microseconds=1)
    assert open311.find_requests(w.ctx, open311.RequestFilters(), None) == []
    at = open311.RequestFilters(start=T0, end=T0)
    assert [i.id for i in open311.find_requests(w.ctx, at, None)] == [first.id]
    with pytest.raises(ValidationFailed):
        open311.find_requests(w.ctx, open311.RequestFilters(start=T0 + timedelta(seconds=1),
                                                            end=T0), None)


# -- the standard's shapes -------------------------------------------------------------------------
def test_status_is_closed_only_for_a_closed_case_and_public_reads_are_scrubbed(w: World) -> None:
    system = outside_systems.authenticate(w.ctx, _system(w))
    inc = open311.create_request(w.ctx, system, _request(description="电话 13812345678")).incident
    scrub = publication.scrubber(w.ctx)
    whole = mapping.request(inc, "断电", True, scrub)
    public = mapping.request(inc, "断电", False, scrub)
    assert whole["status"] == "open" and whole["lat"] == IN_WEST.y
    assert whole["description"] == "电话 13812345678"
    # Nothing of the reporter's text until a commander reviewed it: the category's words.
    assert public["description"] == "断电" and public["lat"] is None
    assert public["status_notes"] == "已派发"
    publication.review_public_text(w.ctx, w.user("commander"), inc.id,
                                   "city-12345 来电 13812345678", "已恢复")
    public = mapping.request(w.incident(inc.id), "断电", False, publication.scrubber(w.ctx))
    assert public["description"] == "[姓名] 来电 [电话]" and public["status_notes"] == "已恢复"
    assert whole["expected_datetime"] == "2026-12-04T02:00:00Z"
    for status in Status:
        inc.status = status
        assert mapping.request(inc, "", True, scrub)["status"] == (
            "closed" if status == Status.CLOSED else "open")


def test_xml_nests_lists_under_their_singulars_with_a_declaration() -> None:
    data, kind = render("xml", "service_definition", mapping.definition(
        open311.SERVICES["road_blocked"]))
    assert kind == "text/xml; charset=utf-8"
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(data)
    assert root.findtext("attributes/attribute/code") == "blocked_since"
    assert root.findtext("attributes/attribute/datatype_description") == ""  # null: empty
    data, _ = render("xml", "services", [{"service_code": "<&>", "metadata": False}])
    assert b"&lt;&amp;&gt;" in data
    assert ET.fromstring(data).findtext("service/metadata") == "false"
    body, kind = errors("json", 400, ["lat: required"])
    assert kind == "application/json; charset=utf-8"
    assert body == b'[{"code": 400, "description": "lat: required"}]'


@pytest.mark.parametrize(("form", "field"), [
    ({}, "service_code"),
    ({"service_code": "power_cut", "lat": "35"}, "long"),
    ({"service_code": "power_cut", "long": "112"}, "lat"),
    ({"service_code": "power_cut", "lat": "90.0001", "long": "1"}, "lat"),
    ({"service_code": "power_cut", "lat": "1", "long": "-180.0001"}, "long"),
    ({"service_code": "power_cut", "lat": "nan", "long": "1"}, "lat"),
    ({"service_code": "power_cut", "lat": "1", "long": "1", "address_id": "s"}, "address_id"),
    ({"service_code": "power_cut", "lat": "1", "long": "1"}, "description"),
    ({"service_code": "power_cut", "lat": "1", "long": "1", "description": "a\x00"},
     "description"),
    ({"service_code": "power_cut", "lat": "1", "long": "1", "description": "d",
      "attribute": "x"}, "attribute"),
    ({"service_code": "power_cut", "lat": "1", "long": "1", "description": "d",
      "media_url": "ftp://x"}, "media_url"),
])
def test_form_fields_are_refused_by_name(form: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        params.new_request(form)
    assert [e.field for e in exc.value.errors] == [field]


def test_form_fields_at_their_limits_are_read() -> None:
    req = params.new_request({"service_code": "power_cut", "lat": "90", "long": "-180",
                              "description": "d", "attribute[cut_since]": "x"})
    assert req.location == Point(-180, 90) and req.attributes == {"cut_since": "x"}


@pytest.mark.parametrize(("args", "field"), [
    ({"status": "Open"}, "status"), ({"page_size": "1001"}, "page_size"),
    ({"page_size": "0"}, "page_size"), ({"page": "0"}, "page"), ({"page": "-1"}, "page"),
    ({"start_date": "2026-11-27T08:00:00"}, "start_date"), ({"end_date": "soon"}, "end_date"),
    ({"service_request_id": ",,"}, "service_request_id"),
    ({"service_request_id": ",".join(["a"] * 1001)}, "service_request_id"),
])
def test_query_parameters_are_refused_by_name(args: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        params.filters(args)
    assert [e.field for e in exc.value.errors] == [field]


def test_query_parameters_at_their_limits_are_read() -> None:
    f = params.filters({"page_size": "1000", "service_request_id": ",".join(["a"] * 1000),
                        "start_date": "2026-11-27", "end_date": "2026-11-27T10:00:00 08:00"})
    assert f.page_size == 1000 and len(f.ids or []) == 1000
    assert f.start == T0 - timedelta(hours=10)  # a date alone: midnight in Jiyuan
    assert f.end == T0  # a '+' sent unescaped in a query string arrives as a space


# -- issue 14: lists, the window, retries ----------------------------------------------------------
@pytest.mark.parametrize(("args", "field"), [
    ({"status": "open,pending"}, "status"), ({"status": ","}, "status"),
    ({"status": "open,Closed"}, "status"), ({"service_code": "power_cut,pothole"}, "service_code"),
    ({"service_code": "power_cut;water_cut"}, "service_code"),
    ({"service_code": ",".join(["power_cut"] * 60)}, "service_code"),  # past its length
])
def test_an_unknown_or_malformed_list_is_refused_by_name(args: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        params.filters(args)
    assert [e.field for e in exc.value.errors] == [field]


def test_status_and_service_code_are_read_as_lists() -> None:
    f = params.filters({"status": "open, closed,", "service_code": "power_cut,water_cut"})
    assert f.statuses == ["open", "closed"] and f.service_codes == ["power_cut", "water_cut"]
    f = params.filters({"status": "", "service_code": " "})
    assert f.statuses is None and f.service_codes is None


def test_the_window_is_at_most_90_days_both_ends_included() -> None:
    start, day = T0, timedelta(days=1)
    assert open311.window(start, start + 90 * day, T0) == (start, start + 90 * day)
    assert open311.window(start, start, T0) == (start, start)
    with pytest.raises(ValidationFailed) as exc:
        open311.window(start, start + 90 * day + timedelta(microseconds=1), T0)
    assert [e.field for e in exc.value.errors] == ["start_date", "end_date"]
    with pytest.raises(ValidationFailed) as exc:
        open311.window(start + timedelta(microseconds=1), start, T0)
    assert [e.field for e in exc.value.errors] == ["start_date"]
    assert open311.window(start, None, T0) == (start, start + 90 * day)
    assert open311.window(None, start, T0) == (start - 90 * day, start)
    assert open311.window(None, None, T0) == (T0 - 90 * day, T0)


def test_a_retry_gets_the_first_request_s_case_by_key_or_within_the_window(w: World) -> None:
    system = outside_systems.authenticate(w.ctx, _system(w))
    first = open311.create_request(w.ctx, system, _request())
    assert not first.replayed
    again = open311.create_request(w.ctx, system, _request(description=" 停电 "))
    assert again.replayed and again.incident.id == first.incident.id
    w.clock.advance(minutes=10)
    assert open311.create_request(w.ctx, system, _request()).replayed
    w.clock.advance(microseconds=1)
    assert not open311.create_request(w.ctx, system, _request()).replayed
    keyed = open311.create_request(w.ctx, system, _request(description="另一起"), "k-1")
    w.clock.advance(days=30)
    replay = open311.create_request(w.ctx, system, _request(description="另一起"), "k-1")
    assert replay.replayed and replay.incident.id == keyed.incident.id
    with pytest.raises(ValidationFailed) as exc:
        open311.create_request(w.ctx, system, _request(description="又一起"), "k-1")
    assert [e.field for e in exc.value.errors] == ["Idempotency-Key"]


def test_the_fields_match_is_off_with_a_zero_window(w: World) -> None:
    from dataclasses import replace
    w.ctx = replace(w.ctx, settings=replace(w.ctx.settings, open311_replay_window=timedelta(0)))
    system = outside_systems.authenticate(w.ctx, _system(w))
    first = open311.create_request(w.ctx, system, _request())
    assert open311.create_request(w.ctx, system, _request()).incident.id != first.incident.id
