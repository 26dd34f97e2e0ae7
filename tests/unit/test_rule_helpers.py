"""The small rules around the use cases, on stand-ins for the store: how often cached tables
are re-read, what the locator and routing answer, Idempotency-Key replays and conflicts,
photos kept private and undone on refusal, overdue at its boundary, policies from settings."""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box

from dispatch import idempotency, photos
from dispatch.clock import Policies, Policy, is_overdue
from dispatch.errors import OutsideTerritory, ServiceUnavailable, ValidationFailed
from dispatch.locator import Placement, TerritoryLocator
from dispatch.model import Unit, UnitKind
from dispatch.refresh import Refresh
from dispatch.routing import RoutingTable

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refresh_is_due_first_then_every_five_seconds_by_default_and_after_invalidate() -> None:
    ticks = Ticks()
    refresh = Refresh(monotonic=ticks)
    assert refresh.due()
    ticks.now += 4.999
    assert not refresh.due()
    ticks.now += 0.001  # exactly five seconds after the last read
    assert refresh.due()
    assert not refresh.due()
    refresh.invalidate()
    assert refresh.due()


@dataclass
class ActiveSet:
    id: int
    activated_at: datetime
    name: str = "demo"


class Boundaries:
    def __init__(self) -> None:
        self.active: ActiveSet | None = ActiveSet(1, AT)
        self.reads = 0
        self.rows = [("a", "Town A", MultiPolygon([box(112.0, 35.0, 112.1, 35.1)]))]

    def active_set(self) -> ActiveSet | None:
        return self.active

    def territories(self, set_id: int) -> list[tuple[str, str, MultiPolygon]]:
        self.reads += 1
        return self.rows


def test_locator_places_a_point_and_rebuilds_only_on_a_new_activation() -> None:
    ticks = Ticks()
    uow = SimpleNamespace(boundaries=Boundaries())
    locator = TerritoryLocator(Refresh(seconds=5, monotonic=ticks))
    assert locator.locate(uow, 112.05, 35.05) == Placement(1, "a", "Town A")
    assert locator.locate(uow, 112.05, 35.05) == Placement(1, "a", "Town A")
    assert uow.boundaries.reads == 1
    uow.boundaries.active = ActiveSet(2, AT + timedelta(seconds=1))
    uow.boundaries.rows = [("b", "Town B", MultiPolygon([box(112.0, 35.0, 112.1, 35.1)]))]
    assert locator.locate(uow, 112.05, 35.05).code == "a"  # not due yet
    locator.invalidate()
    assert locator.locate(uow, 112.05, 35.05) == Placement(2, "b", "Town B")
    assert uow.boundaries.reads == 2


def test_locator_default_refresh_and_its_refusals() -> None:
    uow = SimpleNamespace(boundaries=Boundaries())
    locator = TerritoryLocator()
    with pytest.raises(OutsideTerritory) as outside:
        locator.locate(uow, 113.0, 36.0)
    assert [e.field for e in outside.value.errors] == ["location"]
    assert "'demo'" in outside.value.detail and "(36.000000, 113.000000)" in outside.value.detail
    uow.boundaries.active = None
    locator.invalidate()
    with pytest.raises(ServiceUnavailable):
        locator.locate(uow, 112.05, 35.05)


def _routing_uow(table: dict[str, list[str]]) -> Any:
    units = [Unit("t1", "Town", UnitKind.TERRITORY), Unit("water", "Water", UnitKind.DEPARTMENT),
             Unit("power", "Power", UnitKind.DEPARTMENT)]
    return SimpleNamespace(routing=SimpleNamespace(table=lambda: table),
                           units=SimpleNamespace(list=lambda: units))


def test_routing_names_territory_departments_and_lead_once_each() -> None:
    routing = RoutingTable()
    uow = _routing_uow({"water_cut": ["water", "t1"]})
    got = routing.responsible_units(uow, "t1", "water_cut", "power")
    assert [u.code for u in got] == ["t1", "water", "power"]
    assert [(u.name, u.kind) for u in got] == [("Town", "territory"), ("Water", "department"),
                                               ("Power", "department")]
    assert [u.code for u in routing.responsible_units(uow, "t1", "other", None)] == ["t1"]
    assert [u.code for u in routing.responsible_units(uow, "t1", "other", "")] == ["t1"]
    with pytest.raises(ServiceUnavailable, match="nowhere"):
        routing.responsible_units(uow, "t1", "other", "nowhere")


def test_routing_rereads_only_when_due() -> None:
    ticks = Ticks()
    table: dict[str, list[str]] = {"water_cut": ["water"]}
    routing = RoutingTable(Refresh(seconds=5, monotonic=ticks))
    uow = _routing_uow(table)
    assert [u.code for u in routing.responsible_units(uow, "t1", "water_cut", None)] == [
        "t1", "water"]
    uow.routing.table = lambda: {"water_cut": ["power"]}
    assert [u.code for u in routing.responsible_units(uow, "t1", "water_cut", None)][-1] == "water"
    routing.invalidate()
    assert [u.code for u in routing.responsible_units(uow, "t1", "water_cut", None)][-1] == "power"


@dataclass
class Held:
    scope: str
    request_hash: str
    resource_id: str


class Keys:
    def __init__(self, held: Held | None) -> None:
        self.held = held
        self.calls: list[tuple[Any, ...]] = []

    def claim(self, *args: Any) -> Held | None:
        self.calls.append(args)
        return self.held


def test_no_key_claims_nothing_and_a_new_key_goes_on() -> None:
    keys = Keys(None)
    uow = SimpleNamespace(idempotency=keys)
    assert idempotency.claim(uow, "u1", None, "s", "f", "r1", AT) is None
    assert keys.calls == []
    assert idempotency.claim(uow, "u1", "k", "s", "f", "r1", AT) is None
    assert keys.calls == [("u1", "k", "s", "f", "r1", AT, None)]
    # With a window, a claim made more than that before `at` is asked to be taken over.
    assert idempotency.claim(uow, "u1", "k", "s", "f", "r1", AT, timedelta(minutes=10)) is None
    assert keys.calls[-1] == ("u1", "k", "s", "f", "r1", AT, AT - timedelta(minutes=10))


def test_a_reused_key_replays_the_same_request_and_refuses_a_different_one() -> None:
    uow = SimpleNamespace(idempotency=Keys(Held("s", "f", "r0")))
    assert idempotency.claim(uow, "u1", "k", "s", "f", "r1", AT) == "r0"
    for scope, fingerprint in (("other", "f"), ("s", "g")):
        with pytest.raises(ValidationFailed) as caught:
            idempotency.claim(uow, "u1", "k", scope, fingerprint, "r1", AT)
        assert [e.field for e in caught.value.errors] == ["Idempotency-Key"]


def test_fingerprint_is_stable_order_free_and_scope_bound() -> None:
    fp = idempotency.request_fingerprint
    assert fp("s", {"a": 1, "b": "济"}) == fp("s", {"b": "济", "a": 1})
    assert fp("s", {"a": 1}) != fp("t", {"a": 1})
    assert fp("s", [AT]) == fp("s", [str(AT)])
    expected = hashlib.sha256('["s", {"a": 1, "b": "济"}]'.encode()).hexdigest()
    assert fp("s", {"b": "济", "a": 1}) == expected


def test_a_saved_photo_is_private_and_named_by_its_type(tmp_path: Path) -> None:
    upload = photos.PhotoUpload(b"\x89PNG-bytes", "image/png")
    photo = photos.save(tmp_path, "inc1", upload, AT)
    target = tmp_path / photo.path
    assert photo.path == f"inc1/{photo.id}.png"
    assert target.read_bytes() == upload.content
    assert (photo.size, photo.sha256) == (len(upload.content),
                                          hashlib.sha256(upload.content).hexdigest())
    assert photo.created_at == AT and photo.content_type == "image/png"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert not list(target.parent.glob("*.part"))


def test_discard_removes_the_photos_and_their_emptied_folder(tmp_path: Path) -> None:
    one = photos.save(tmp_path, "inc1", photos.PhotoUpload(b"a", "image/jpeg"), AT)
    two = photos.save(tmp_path, "inc1", photos.PhotoUpload(b"b", "image/webp"), AT)
    kept = photos.save(tmp_path, "inc2", photos.PhotoUpload(b"c", "image/jpeg"), AT)
    photos.discard(tmp_path, [one])
    assert not (tmp_path / one.path).exists() and (tmp_path / two.path).exists()
    photos.discard(tmp_path, [two])
    assert not (tmp_path / "inc1").exists()
    assert (tmp_path / kept.path).exists()
    photos.discard(tmp_path, [two])  # already gone: no error


def test_overdue_is_strictly_after_the_deadline() -> None:
    due = AT
    assert not is_overdue(due, due, due + timedelta(days=1))  # done exactly on time
    # met late: it was late (on_time says so), it is no longer overdue
    assert not is_overdue(due + timedelta(seconds=1), due, due + timedelta(days=1))
    assert not is_overdue(None, due, due)
    assert is_overdue(None, due, due + timedelta(seconds=1))


def test_policies_from_settings_default_is_not_a_category() -> None:
    policies = Policies.from_seconds({"default": {"arrival": 600},
                                      "water_cut": {"restore": 7200}})
    assert set(policies.by_category) == {"water_cut"}
    assert policies.for_category("water_cut") == Policy(arrival=timedelta(minutes=10),
                                                        restore=timedelta(hours=2))
    assert policies.for_category("default") == policies.default
    assert policies.default.arrival == timedelta(minutes=10)
