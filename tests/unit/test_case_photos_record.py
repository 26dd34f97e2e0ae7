"""What adding photos records beyond the photos (`dispatch.case_photos`): each photo's time, the
Idempotency-Key's claim as a later request is judged against it (whose key, for which kind of
request, which photos, which case, when), a key that is each user's own, and the refusal of an
empty request in words."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dispatch import idempotency
from dispatch.case_photos import add_photos
from dispatch.errors import ValidationFailed
from dispatch.port_records import IdempotencyClaim
from dispatch.reporting import NewReport, report_incident
from tests.unit.fakes import IN_WEST, World, new_world
from tests.unit.test_case_photos import _jpegs


@pytest.fixture
def w(tmp_path: Path) -> World:
    return new_world(photo_dir=tmp_path)


def test_the_photos_time_and_the_key_s_claim(w: World) -> None:
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "停电", IN_WEST))
    w.clock.advance(minutes=3)
    uploads = _jpegs(2)
    add_photos(w.ctx, w.user("officer"), case.id, uploads, "key-9")
    assert [p.created_at for p in w.incident(case.id).photos] == [w.clock.now] * 2
    officer = w.user("officer").id
    fingerprint = idempotency.request_fingerprint("incidents.photos", [
        case.id, [hashlib.sha256(u.content).hexdigest() for u in uploads]])
    assert w.db.state.idempotency[(officer, "key-9")] == IdempotencyClaim(
        officer, "key-9", "incidents.photos", fingerprint, case.id, w.clock.now)


def test_a_key_is_each_user_s_own(w: World) -> None:
    case, _ = report_incident(w.ctx, w.user("reporter"), NewReport("power_cut", "停电", IN_WEST))
    uploads = _jpegs(1)
    assert add_photos(w.ctx, w.user("reporter"), case.id, uploads, "key-1")[1]
    assert add_photos(w.ctx, w.user("officer"), case.id, uploads, "key-1")[1]
    assert len(w.incident(case.id).photos) == 2


def test_an_empty_request_is_refused_in_words(w: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        add_photos(w.ctx, w.user("reporter"), "any", [])
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("photos", "send at least one photo")]
