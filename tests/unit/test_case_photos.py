"""Photos added to a case after its report (`dispatch.case_photos`), on the fake unit of work:
who may add them, the per-case limit, an Idempotency-Key's replay, and that a refusal or a
failed save leaves neither a row nor a file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.case_photos import add_photos
from dispatch.errors import Forbidden, NotFound, ValidationFailed
from dispatch.limits import PHOTOS_PER_CASE_MAX
from dispatch.model import Incident
from dispatch.photos import PhotoUpload
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import IN_WEST, World, new_world


@pytest.fixture
def w(tmp_path: Path) -> World:
    return new_world(photo_dir=tmp_path)


def _case(w: World) -> Incident:
    """A power cut in the west: its units are west and power_supply."""
    incident, _ = report_incident(w.ctx, w.user("reporter"), NewReport(
        category="power_cut", description="no power", location=IN_WEST))
    return incident


def _jpegs(n: int, tag: str = "p") -> list[PhotoUpload]:
    return [PhotoUpload(b"\xff\xd8\xff" + f"{tag}{i}".encode(), "image/jpeg") for i in range(n)]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("who", ["reporter", "officer", "officer2", "officer_power",
                                 "dispatcher", "dispatcher_power"])
def test_the_reporter_and_the_case_s_units_add_photos_saved_as_files(w: World, who: str) -> None:
    case = _case(w)
    events = len(w.events(case.id))
    uploads = _jpegs(2) + [PhotoUpload(b"\x89PNG-pic", "image/png")]
    returned, added = add_photos(w.ctx, w.user(who), case.id, uploads)
    assert added and returned.id == case.id
    stored = w.incident(case.id).photos
    assert [(p.content_type, p.size) for p in stored] == [
        (u.content_type, len(u.content)) for u in uploads]
    root = w.ctx.settings.photo_dir
    assert [(root / p.path).read_bytes() for p in stored] == [u.content for u in uploads]
    assert len(_files(root)) == 3
    assert len(w.events(case.id)) == events  # a photo changes no status or clock


@pytest.mark.parametrize("who, error", [
    ("reporter2", NotFound), ("officer_east", NotFound), ("commander", Forbidden),
    ("admin", Forbidden)])
def test_anyone_else_is_refused_and_nothing_is_written(w: World, who: str,
                                                       error: type[Exception]) -> None:
    case = _case(w)
    before = w.db.snapshot()
    with pytest.raises(error) as refused:
        add_photos(w.ctx, w.user(who), case.id, _jpegs(1))
    if error is Forbidden:
        assert "reporter or its units' officers and dispatchers" in str(refused.value)
    else:
        assert case.id in str(refused.value)
    assert w.db.state == before and _files(w.ctx.settings.photo_dir) == []


def test_an_unknown_case_is_not_found(w: World) -> None:
    with pytest.raises(NotFound):
        add_photos(w.ctx, w.user("reporter"), "no-such-case", _jpegs(1))


def test_no_photo_is_refused_on_the_photos_field(w: World) -> None:
    case = _case(w)
    with pytest.raises(ValidationFailed) as refused:
        add_photos(w.ctx, w.user("reporter"), case.id, [])
    assert [e.field for e in refused.value.errors] == ["photos"]


def test_a_case_holds_at_most_the_limit_and_a_refusal_saves_no_file(w: World) -> None:
    case = _case(w)
    add_photos(w.ctx, w.user("reporter"), case.id, _jpegs(PHOTOS_PER_CASE_MAX - 2, "a"))
    before, files = w.db.snapshot(), _files(w.ctx.settings.photo_dir)
    with pytest.raises(ValidationFailed) as refused:
        add_photos(w.ctx, w.user("officer"), case.id, _jpegs(3, "b"))
    assert [e.field for e in refused.value.errors] == ["photos"]
    assert str(PHOTOS_PER_CASE_MAX) in str(refused.value)
    assert f"it has {PHOTOS_PER_CASE_MAX - 2}" in str(refused.value)
    assert w.db.state == before and _files(w.ctx.settings.photo_dir) == files
    _, added = add_photos(w.ctx, w.user("officer"), case.id, _jpegs(2, "c"))  # exactly the limit
    assert added and len(w.incident(case.id).photos) == PHOTOS_PER_CASE_MAX


def test_a_retry_with_its_key_adds_nothing_and_another_request_under_it_is_refused(
        w: World) -> None:
    case = _case(w)
    first = _jpegs(2)
    assert add_photos(w.ctx, w.user("reporter"), case.id, first, "key-1")[1]
    returned, added = add_photos(w.ctx, w.user("reporter"), case.id, first, "key-1")
    assert (returned.id, added) == (case.id, False)
    assert len(w.incident(case.id).photos) == 2 and len(_files(w.ctx.settings.photo_dir)) == 2
    # The same key for other photos, or for the same photos of another case, is refused.
    with pytest.raises(ValidationFailed) as other_photos:
        add_photos(w.ctx, w.user("reporter"), case.id, _jpegs(2, "x"), "key-1")
    assert [e.field for e in other_photos.value.errors] == ["Idempotency-Key"]
    other = _case(w)
    with pytest.raises(ValidationFailed):
        add_photos(w.ctx, w.user("reporter"), other.id, first, "key-1")
    # Another key is another request.
    assert add_photos(w.ctx, w.user("reporter"), case.id, first, "key-2")[1]
    assert len(w.incident(case.id).photos) == 4


def test_a_save_that_fails_midway_removes_the_files_already_written(w: World) -> None:
    case = _case(w)
    before = w.db.snapshot()
    unknown_type = PhotoUpload(b"GIF89a", "image/gif")  # the edge lets no such type through
    with pytest.raises(KeyError):
        add_photos(w.ctx, w.user("reporter"), case.id, [*_jpegs(2), unknown_type])
    assert w.db.state == before and _files(w.ctx.settings.photo_dir) == []
