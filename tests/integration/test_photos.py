"""Photos on reports: checked by content, bounded in size, served only to who may see the case."""

from __future__ import annotations

import io
import json

from PIL import Image

from dispatch.storage import tables as t
from tests.helpers import ZHICHENG, count_rows, location, seat


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def _files(ctx) -> list:  # type: ignore[no-untyped-def]
    return sorted(p for p in ctx.settings.photo_dir.rglob("*") if p.is_file())


def _multipart(client, headers, files):  # type: ignore[no-untyped-def]
    lon, lat = seat()
    payload = json.dumps({"category": "road_blocked", "description": "路被堵了",
                          "location": location(lon, lat)})
    data = {"payload": payload, "photos": [(io.BytesIO(c), name) for name, c in files]}
    return client.post("/api/v1/incidents", data=data, headers=headers,
                       content_type="multipart/form-data")


def test_photos_are_stored_and_served_only_to_those_who_may_see(client, login, app):
    reporter = login("demo-reporter")
    r = _multipart(client, reporter, [("gate.jpg", _image("JPEG")), ("road.png", _image("PNG")),
                                      ("x.webp", _image("WEBP"))])
    assert r.status_code == 201, r.get_json()
    photos = r.get_json()["photos"]
    assert [p["content_type"] for p in photos] == ["image/jpeg", "image/png", "image/webp"]
    url = photos[1]["url"]
    got = client.get(url, headers=reporter)
    assert got.status_code == 200 and got.data == _image("PNG")
    assert got.mimetype == "image/png"
    assert client.get(url, headers=login(f"officer-{ZHICHENG}")).status_code == 200
    assert client.get(url, headers=login("demo-reporter-2")).status_code == 404
    assert client.get(url, headers=login("officer-419001100")).status_code == 404
    assert client.get(url).status_code == 401


def test_fake_photo_is_refused_and_nothing_is_written(client, login, ctx):
    before = count_rows(ctx, t.incidents), count_rows(ctx, t.photos)
    r = _multipart(client, login("demo-reporter"),
                   [("ok.png", _image("PNG")), ("evil.jpg", b"<?php echo 'not an image'; ?>")])
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "photos[1]"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    r = _multipart(client, login("demo-reporter"), [("anim.png", gif.getvalue())])
    assert r.status_code == 422 and "GIF" in r.get_json()["detail"]
    assert (count_rows(ctx, t.incidents), count_rows(ctx, t.photos)) == before
    assert _files(ctx) == []


def test_oversized_photo_is_413_naming_the_field(client, login, ctx):
    big = _image("PNG") + b"\0" * (ctx.settings.photo_max_bytes + 10)
    r = _multipart(client, login("demo-reporter"), [("big.png", big)])
    assert r.status_code == 413
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0]["field"] == "photos[0]"
    assert count_rows(ctx, t.incidents) == 0


def test_refused_report_with_photos_leaves_no_files(client, login, ctx):
    payload = json.dumps({"category": "road_blocked", "description": "x",
                          "location": location(113.62, 34.75)})  # outside Jiyuan
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"),
                    content_type="multipart/form-data",
                    data={"payload": payload, "photos": [(io.BytesIO(_image("PNG")), "a.png")]})
    assert r.status_code == 422
    assert _files(ctx) == []
    assert count_rows(ctx, t.photos) == 0


def test_multipart_without_payload_is_400(client, login):
    r = client.post("/api/v1/incidents", headers=login("demo-reporter"),
                    content_type="multipart/form-data", data={"category": "other"})
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "payload"


def test_photos_are_private_files_from_creation(client, login, ctx):
    """Only the app's user may read a photo or list a case's folder, whatever the umask."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        r = _multipart(client, login("demo-reporter"), [("gate.jpg", _image("JPEG"))])
    finally:
        os.umask(old)
    assert r.status_code == 201, r.get_json()
    [photo] = _files(ctx)
    assert stat.S_IMODE(photo.stat().st_mode) == 0o600
    assert stat.S_IMODE(photo.parent.stat().st_mode) == 0o700
