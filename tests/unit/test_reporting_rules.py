"""Reporting, value by value: what the `reported` and `offered` events carry, the fields the new
case keeps, what a report's fingerprint covers, and the photos kept or discarded with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Point

from dispatch.errors import ValidationFailed
from dispatch.idempotency import request_fingerprint
from dispatch.model import Site
from dispatch.photos import PhotoUpload
from dispatch.positions import record_positions
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import IN_EAST, IN_WEST, POWER, REFORM, T0, WEST, World, new_world

JPEG = PhotoUpload(b"\xff\xd8\xff-photo", "image/jpeg")
PNG = PhotoUpload(b"\x89PNG-pic", "image/png")


@pytest.fixture
def w() -> World:
    return new_world()


def _report(location: Point | None = IN_WEST, **kw: object) -> NewReport:
    return NewReport(category="power_cut", description="no power", location=location,
                     **kw)  # type: ignore[arg-type]


def _site(w: World, owner: str = "reporter", **kw: object) -> Site:
    site = Site(owner_id=w.user(owner).id, name="plant", location=IN_EAST, created_at=T0,
                **kw)  # type: ignore[arg-type]
    with w.db.uow() as uow:
        uow.sites.add(site)
        uow.commit()
    return site


# -- the fingerprint of a report --------------------------------------------------------------

def test_the_fingerprint_covers_every_field_with_the_location_to_seven_decimals() -> None:
    report = NewReport(category="power_cut", description="no power",
                       location=Point(112.123456789, 35.987654321), accuracy_m=12.5,
                       crs="gcj02", site_id="s1", photos=(JPEG, PNG))
    assert report.fingerprint() == request_fingerprint("incidents.create", [
        "power_cut", "no power", [112.1234568, 35.9876543], 12.5, "gcj02", "s1",
        [f"image/jpeg:{len(JPEG.content)}", f"image/png:{len(PNG.content)}"]])


def test_the_fingerprint_of_a_report_without_a_location() -> None:
    report = NewReport(category="power_cut", description="d", site_id="s1")
    assert report.fingerprint() == request_fingerprint("incidents.create", [
        "power_cut", "d", None, None, "wgs84", "s1", []])


@pytest.mark.parametrize("other", [
    _report(location=Point(IN_WEST.x + 1e-6, IN_WEST.y)),
    _report(location=Point(IN_WEST.x, IN_WEST.y + 1e-6)),
    _report(accuracy_m=5.0), _report(crs="gcj02"), _report(site_id="s"),
    _report(photos=(JPEG,)),
    NewReport(category="water_cut", description="no power", location=IN_WEST),
    NewReport(category="power_cut", description="no water", location=IN_WEST),
])
def test_any_difference_in_the_report_changes_its_fingerprint(other: NewReport) -> None:
    assert other.fingerprint() != _report().fingerprint()


def test_photos_differing_in_type_or_size_change_the_fingerprint() -> None:
    same_size_other_type = PhotoUpload(JPEG.content, "image/png")
    longer = PhotoUpload(JPEG.content + b"x", "image/jpeg")
    prints = {_report(photos=(p,)).fingerprint() for p in (JPEG, same_size_other_type, longer)}
    assert len(prints) == 3
    # The same type and size is the same request (the bytes are not hashed).
    twin = PhotoUpload(b"\x00" * len(JPEG.content), "image/jpeg")
    assert _report(photos=(twin,)).fingerprint() == _report(photos=(JPEG,)).fingerprint()


def test_a_location_differing_past_the_seventh_decimal_is_the_same_request() -> None:
    near = _report(location=Point(IN_WEST.x + 1e-9, IN_WEST.y - 1e-9))
    assert near.fingerprint() == _report().fingerprint()


# -- what the new case keeps and announces ----------------------------------------------------

def test_the_case_keeps_what_was_reported_and_where_it_was_placed(w: World) -> None:
    incident, _ = report_incident(w.ctx, w.user("reporter"),
                                  _report(accuracy_m=7.5, crs="gcj02"))
    stored = w.incident(incident.id)
    with w.db.uow() as uow:
        active = uow.boundaries.active_set()
    assert active is not None
    assert (stored.category, stored.description, stored.location_accuracy_m,
            stored.reported_crs, stored.reporter_id, stored.site_id, stored.green_channel,
            stored.boundary_set_id, stored.received_at) == (
        "power_cut", "no power", 7.5, "gcj02", w.user("reporter").id, None, False,
        active.id, T0)
    assert stored.location.equals(IN_WEST)


def test_the_reported_event_names_the_reporter_and_carries_the_placement(w: World) -> None:
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report(crs="gcj02"))
    reported = w.events(incident.id)[0]
    assert (reported.type, reported.at, reported.actor_id) == ("reported", T0,
                                                               w.user("reporter").id)
    assert reported.data == {"category": "power_cut", "territory": WEST,
                             "location": [IN_WEST.x, IN_WEST.y], "crs": "gcj02",
                             "site_id": None, "green_channel": False}


def test_the_reported_event_of_a_green_channel_site(w: World) -> None:
    site = _site(w, green_channel=True, lead_department=REFORM)
    incident, _ = report_incident(w.ctx, w.user("reporter"),
                                  _report(location=None, site_id=site.id))
    reported = w.events(incident.id)[0]
    assert reported.data["site_id"] == site.id and reported.data["green_channel"] is True
    assert reported.data["location"] == [IN_EAST.x, IN_EAST.y]
    assert reported.snapshot["green_channel"] is True
    assert w.incident(incident.id).site_id == site.id


def test_a_site_keeps_its_own_place_over_a_location_given_with_it(w: World) -> None:
    site = _site(w)
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report(site_id=site.id))
    assert incident.location.equals(IN_EAST) and not incident.green_channel


def test_the_dispatch_and_offers_are_the_systems_not_the_reporters(w: World) -> None:
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report())
    log = w.events(incident.id)
    assert [(e.type, e.actor_id, e.at) for e in log[1:]] == [
        ("dispatched", None, T0), ("offered", None, T0), ("offered", None, T0)]
    assert [e.data for e in log[2:]] == [{"unit": WEST, "repeat": 0, "officers": []},
                                         {"unit": POWER, "repeat": 0, "officers": []}]


def test_an_officer_with_a_fresh_fix_is_offered_with_his_distance(w: World) -> None:
    officer = w.user("officer")
    record_positions(w.ctx, officer, [(IN_WEST, 5.0, T0)])
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report())
    offered = [e for e in w.events(incident.id) if e.type == "offered"]
    assert offered[0].data["officers"] == [{"officer_id": officer.id, "name": "officer",
                                            "distance_m": 0.0,
                                            "position_at": "2026-11-27T02:00:00Z"}]


def test_a_fix_after_the_report_counts_as_on_duty_but_not_one_older_than_the_window(
        w: World) -> None:
    window = w.ctx.settings.on_duty_window
    record_positions(w.ctx, w.user("officer"), [(IN_WEST, 5.0, T0)])
    w.clock.now = T0 + window - (window / 2)
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report())
    offered = [e for e in w.events(incident.id) if e.type == "offered"]
    assert [o["officer_id"] for o in offered[0].data["officers"]] == [w.user("officer").id]
    w.clock.now = T0 + window * 2
    later, _ = report_incident(w.ctx, w.user("reporter"), _report())
    assert [e.data["officers"] for e in w.events(later.id) if e.type == "offered"] == [[], []]


# -- the site, refused --------------------------------------------------------------------------

def test_another_reporters_site_is_refused_as_unknown(w: World) -> None:
    site = _site(w, "reporter2")
    with pytest.raises(ValidationFailed) as refused:
        report_incident(w.ctx, w.user("reporter"), _report(site_id=site.id))
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("site_id", "no such site registered by you")]


def test_no_location_and_no_site_is_refused_with_its_message(w: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        report_incident(w.ctx, w.user("reporter"), _report(location=None))
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("location", "give a location or a site_id")]


# -- photos -------------------------------------------------------------------------------------

def test_the_photos_are_kept_with_the_case_in_order(tmp_path: Path) -> None:
    w = new_world(photo_dir=tmp_path)
    incident, _ = report_incident(w.ctx, w.user("reporter"), _report(photos=(JPEG, PNG)))
    stored = w.incident(incident.id)
    assert [(p.content_type, p.size, p.created_at, p.incident_id) for p in stored.photos] == [
        ("image/jpeg", len(JPEG.content), T0, incident.id),
        ("image/png", len(PNG.content), T0, incident.id)]
    assert [(tmp_path / p.path).read_bytes() for p in stored.photos] == [JPEG.content,
                                                                         PNG.content]


def test_a_replay_saves_no_second_copy_of_the_photos(tmp_path: Path) -> None:
    w = new_world(photo_dir=tmp_path)
    first, _ = report_incident(w.ctx, w.user("reporter"), _report(photos=(JPEG,)),
                               idempotency_key="k")
    again, created = report_incident(w.ctx, w.user("reporter"), _report(photos=(JPEG,)),
                                     idempotency_key="k")
    assert not created and again.id == first.id and len(again.photos) == 1
    assert len(list((tmp_path / first.id).iterdir())) == 1


def test_a_report_refused_while_saving_its_photos_leaves_no_file(tmp_path: Path) -> None:
    """The second photo cannot be stored: the first one, already written, is removed too."""
    w = new_world(photo_dir=tmp_path)
    before = w.db.snapshot()
    with pytest.raises(KeyError):
        report_incident(w.ctx, w.user("reporter"),
                        _report(photos=(JPEG, PhotoUpload(b"GIF89a", "image/gif"))))
    assert list(tmp_path.iterdir()) == []
    assert w.db.state == before and w.rec.published == []


def test_a_report_refused_at_commit_leaves_no_photo(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    w = new_world(photo_dir=tmp_path)
    first, _ = report_incident(w.ctx, w.user("reporter"), _report())
    # The same id again: the storage's key refuses the row after the photo was written.
    monkeypatch.setattr("dispatch.reporting.new_id", lambda: first.id)
    with pytest.raises(Exception, match="exists"):
        report_incident(w.ctx, w.user("reporter"), _report(photos=(JPEG,)))
    assert not (tmp_path / first.id).exists()


def test_the_key_of_a_report_keeps_its_scope_incident_and_time(w: World) -> None:
    w.clock.advance(minutes=2)
    report = _report()
    incident, _ = report_incident(w.ctx, w.user("reporter"), report, idempotency_key="k")
    held = w.db.state.idempotency[(w.user("reporter").id, "k")]
    assert (held.scope, held.request_hash, held.resource_id, held.created_at) == (
        "incidents.create", report.fingerprint(), incident.id, w.clock.now)
