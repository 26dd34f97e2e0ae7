"""Backup and restore on PostGIS (scripts/backup.sh, scripts/restore.sh): a small scenario (reports
with a photo, a check-in, missed deadlines, a complaint), dumped, the database dropped, restored
into a new one: the API gives the same answers (a case with its timeline, the assessment, the
public disclosure), the photos come back byte for byte, and the record is still append-only. A
damaged backup restores nothing."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from dispatch import deadlines
from tests.conftest import ADMIN_URL, _admin, make_test_app
from tests.helpers import ZHICHENG, location, report, seat

ROOT = Path(__file__).resolve().parents[2]
WEEK = "2026-W48"  # the week of the suite's clock (2026-11-27)


def _drop(name: str) -> None:
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def _scenario(client: Any, login: Any, ctx: Any, clock: Any) -> dict[str, Any]:
    reporter, officer = login("demo-reporter"), login(f"officer-{ZHICHENG}")
    lon, lat = seat()
    body = {"category": "gate_blocked", "description": "大门被堵", "location": location(lon, lat)}
    r = client.post("/api/v1/incidents", headers=reporter, content_type="multipart/form-data",
                    data={"payload": json.dumps(body), "photos": [(io.BytesIO(_photo()),
                                                                   "gate.png")]})
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    second = report(client, reporter, category="water_cut").get_json()
    assert client.post(f"/api/v1/incidents/{first['id']}/accept",
                       headers=officer).status_code == 200
    clock.advance(minutes=31)  # both cases' arrivals are missed: overdue records
    deadlines.fire_due_timers(ctx)
    assert client.post(f"/api/v1/incidents/{first['id']}/check-in", headers=officer,
                       json={"location": location(lon, lat)}).status_code == 200
    assert client.post(f"/api/v1/incidents/{second['id']}/complaints", headers=reporter,
                       json={"text": "没人来"}).status_code == 201
    return {"ids": [first["id"], second["id"]], "photo": first["photos"][0]["url"]}


def _answers(client: Any, login: Any, seen: dict[str, Any]) -> dict[str, Any]:
    commander = login("demo-commander")
    out: dict[str, Any] = {}
    for inc in seen["ids"]:
        r = client.get(f"/api/v1/incidents/{inc}", headers=commander)
        assert r.status_code == 200
        out[inc] = r.get_json()
        assert out[inc]["timeline"], "a case's timeline"
    out["stats"] = client.get("/api/v1/stats/units", headers=commander).get_json()
    out["public"] = client.get(f"/api/v1/public/cases?week={WEEK}").get_json()
    photo = client.get(seen["photo"], headers=commander)
    assert photo.status_code == 200
    out["photo"] = photo.data
    return out


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / script), *args], cwd=ROOT,
                          env={**os.environ, "PYTHON": sys.executable, **env},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def names():  # type: ignore[no-untyped-def]
    made = [f"dispatch_backup_{uuid.uuid4().hex[:8]}" for _ in range(3)]
    yield made
    for name in made:
        _drop(name)


def test_dump_drop_restore_gives_the_same_answers(names, tmp_path, clock):  # type: ignore[no-untyped-def]
    base = ADMIN_URL.rsplit("/", 1)[0]
    original, restored = f"{base}/{names[0]}", f"{base}/{names[1]}"
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{names[0]}"')
    admin.close()
    first_instance = tmp_path / "first"
    app = make_test_app(original, first_instance, clock)
    try:
        client = app.test_client()

        def login(name: str) -> dict[str, str]:
            r = client.post("/api/v1/auth/token", json={"username": name, "password": "demo"})
            return {"Authorization": f"Bearer {r.get_json()['access_token']}"}
        seen = _scenario(client, login, app.extensions["dispatch"], clock)
        before = _answers(client, login, seen)
    finally:
        app.extensions["dispatch"].engine.dispose()

    photos = first_instance / "photos"
    done = _run("backup.sh", str(tmp_path / "backups"), DATABASE_URL=original,
                DISPATCH_PHOTO_DIR=str(photos))
    assert done.returncode == 0, done.stderr
    backup = Path(done.stdout.strip().splitlines()[-1])
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["schema_revision"] == "0015" and manifest["rows"]["photos"] == 1
    assert manifest["rows"]["overdue_records"] >= 2 and manifest["event_log_last_seq"] > 0
    assert {f["name"] for f in manifest["files"]} == {"database.dump", "photos.tar"}
    assert oct(backup.stat().st_mode & 0o777) == "0o700"

    _drop(names[0])  # the database is gone; so are the photos
    shutil.rmtree(first_instance)

    second_instance = tmp_path / "second"
    done = _run("restore.sh", str(backup), restored, str(second_instance / "photos"))
    assert done.returncode == 0, done.stderr
    app = make_test_app(restored, second_instance, clock)
    try:
        client = app.test_client()

        def login2(name: str) -> dict[str, str]:
            r = client.post("/api/v1/auth/token", json={"username": name, "password": "demo"})
            return {"Authorization": f"Bearer {r.get_json()['access_token']}"}
        after = _answers(client, login2, seen)
        # The restored record is still append-only (the triggers came back with it).
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with app.extensions["dispatch"].engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM overdue_records"))
    finally:
        app.extensions["dispatch"].engine.dispose()
    assert after == before
    assert after["photo"] == _photo()


def test_a_damaged_backup_or_a_used_database_restores_nothing(names, tmp_path, clock):  # type: ignore[no-untyped-def]
    base = ADMIN_URL.rsplit("/", 1)[0]
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{names[0]}"')
    admin.close()
    app = make_test_app(f"{base}/{names[0]}", tmp_path / "i", clock)
    app.extensions["dispatch"].engine.dispose()
    done = _run("backup.sh", str(tmp_path / "b"), DATABASE_URL=f"{base}/{names[0]}",
                DISPATCH_PHOTO_DIR=str(tmp_path / "none"))
    assert done.returncode == 0, done.stderr
    backup = Path(done.stdout.strip().splitlines()[-1])

    # Into a database that already holds the product: refused, nothing touched.
    done = _run("restore.sh", str(backup), f"{base}/{names[0]}", str(tmp_path / "p0"))
    assert done.returncode != 0 and "already has" in done.stderr

    # One byte changed in the dump: refused before any database is made.
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    dump = bytearray((damaged / "database.dump").read_bytes())
    dump[len(dump) // 2] ^= 0x01
    (damaged / "database.dump").write_bytes(bytes(dump))
    done = _run("restore.sh", str(damaged), f"{base}/{names[2]}", str(tmp_path / "p2"))
    assert done.returncode != 0 and "SHA256SUMS" in done.stderr
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (names[2],))
        assert cur.fetchone() is None
    admin.close()
    assert not (tmp_path / "p2").exists()
