"""Photos added to a case after its report (`POST /api/v1/incidents/{id}/photos`): the phone
apps' own queue item per photo. Who may add, the Idempotency-Key replay, the per-case limit (at
it and one past it), and a refusal that writes nothing (no row, no file)."""

from __future__ import annotations

import io
import random
import threading
import time

import pytest
from PIL import Image

from dispatch import photos
from dispatch.limits import PHOTOS_PER_CASE_MAX
from dispatch.storage import tables as t
from tests.helpers import KEJING, ZHICHENG, count_rows, report


def _jpeg(shade: int = 30) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, shade, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _add(client, headers, incident_id, *photos, key=None):  # type: ignore[no-untyped-def]
    data = {"photos": [(io.BytesIO(p), f"{i}.jpg") for i, p in enumerate(photos)]}
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/incidents/{incident_id}/photos", data=data,
                       headers={**headers, **extra}, content_type="multipart/form-data")


def _files(ctx) -> list:  # type: ignore[no-untyped-def]
    return sorted(p for p in ctx.settings.photo_dir.rglob("*") if p.is_file())


def test_the_reporter_adds_a_photo_and_a_retry_with_its_key_adds_none(client, login, ctx):
    reporter = login("demo-reporter")
    inc = report(client, reporter).get_json()
    r = _add(client, reporter, inc["id"], _jpeg(), key="photo-1")
    assert r.status_code == 201, r.get_json()
    photos = r.get_json()["photos"]
    assert [p["content_type"] for p in photos] == ["image/jpeg"]
    assert client.get(photos[0]["url"], headers=reporter).data == _jpeg()
    again = _add(client, reporter, inc["id"], _jpeg(), key="photo-1")
    assert again.status_code == 200
    assert again.get_json()["photos"] == photos
    assert count_rows(ctx, t.photos) == 1 and len(_files(ctx)) == 1
    # The same key for other bytes is another request: refused, naming the header.
    other = _add(client, reporter, inc["id"], _jpeg(90), key="photo-1")
    assert other.status_code == 422
    assert other.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert count_rows(ctx, t.photos) == 1


def test_a_phone_sized_photo_is_taken_past_the_json_body_limit(client, login, ctx):
    """A photo as the apps send it (up to 400 KB, far above the 64 KB of a JSON body) goes
    through: the route has the photos' limit, as a report with photos has."""
    noise = Image.frombytes("RGB", (640, 480), bytes(random.Random(1).randbytes(640 * 480 * 3)))
    buf = io.BytesIO()
    noise.save(buf, "JPEG", quality=90)
    assert 200_000 < len(buf.getvalue()) <= 400_000
    reporter = login("demo-reporter")
    inc = report(client, reporter).get_json()
    r = _add(client, reporter, inc["id"], buf.getvalue())
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["photos"][0]["size"] == len(buf.getvalue())


@pytest.mark.parametrize(("username", "status"), [
    (f"officer-{ZHICHENG}", 201), ("dispatcher-power_supply", 201),
    ("demo-reporter-2", 404), (f"officer-{KEJING}", 404), ("demo-commander", 403)])
def test_who_may_add(client, login, ctx, username, status):  # type: ignore[no-untyped-def]
    inc = report(client, login("demo-reporter")).get_json()
    r = _add(client, login(username), inc["id"], _jpeg())
    assert r.status_code == status, r.get_json()
    assert count_rows(ctx, t.photos) == (1 if status == 201 else 0)
    assert len(_files(ctx)) == (1 if status == 201 else 0)


def test_the_limit_per_case_at_it_and_one_past_it(client, login, ctx):
    reporter = login("demo-reporter")
    inc = report(client, reporter).get_json()
    for n in range(PHOTOS_PER_CASE_MAX):
        assert _add(client, reporter, inc["id"], _jpeg(n)).status_code == 201
    r = _add(client, reporter, inc["id"], _jpeg(255))
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "photos"
    assert count_rows(ctx, t.photos) == PHOTOS_PER_CASE_MAX
    assert len(_files(ctx)) == PHOTOS_PER_CASE_MAX


def test_bad_photos_and_no_photos_are_refused_naming_the_field(client, login, ctx):
    reporter = login("demo-reporter")
    inc = report(client, reporter).get_json()
    r = _add(client, reporter, inc["id"], _jpeg(), b"<?php not an image")
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "photos[1]"
    r = _add(client, reporter, inc["id"])
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "photos"
    r = client.post(f"/api/v1/incidents/{inc['id']}/photos", json={"photos": []}, headers=reporter)
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "photos"
    assert r.mimetype == "application/problem+json"
    assert count_rows(ctx, t.photos) == 0 and _files(ctx) == []


def test_concurrent_uploads_cannot_pass_the_limit_together(app, client, login, ctx,
                                                          monkeypatch):
    """Two uploads at once when one place is left: one is added, the other refused (the case's
    row lock on PostGIS; SQLite's write lock, taken first). Writing a file is slowed down so
    that both requests are inside at once."""
    reporter = login("demo-reporter")
    inc = report(client, reporter).get_json()
    for n in range(PHOTOS_PER_CASE_MAX - 1):
        assert _add(client, reporter, inc["id"], _jpeg(n)).status_code == 201
    save = photos.save

    def slow_save(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return save(*args, **kwargs)

    monkeypatch.setattr(photos, "save", slow_save)
    results: list[int] = []

    def one(shade: int) -> None:
        with app.test_client() as c:
            results.append(_add(c, reporter, inc["id"], _jpeg(shade)).status_code)

    threads = [threading.Thread(target=one, args=(200 + i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == [201, 422]
    assert count_rows(ctx, t.photos) == PHOTOS_PER_CASE_MAX
