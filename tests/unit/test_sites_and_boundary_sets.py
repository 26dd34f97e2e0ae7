"""Sites and boundary sets, value by value: what a registered site keeps, the messages of a
refusal, and what an imported set stores and activates."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box

from dispatch.boundary_admin import activate_boundary_set, import_boundary_set
from dispatch.errors import Forbidden, NotFound, ValidationFailed
from dispatch.sites import list_sites, register_site
from geo.boundaries import Territory
from tests.unit.fakes import (
    IN_EAST, IN_WEST, REFORM, T0, WEST, FakeBoundaries, FakeUnitOfWork, World, new_world,
)


@pytest.fixture
def w() -> World:
    return new_world()


# -- sites --------------------------------------------------------------------------------------

def test_a_registered_site_keeps_its_name_place_and_address(w: World) -> None:
    site = register_site(w.ctx, w.user("reporter"), "plant", IN_WEST, "1 Road", False, None)
    with w.db.uow() as uow:
        stored = uow.sites.get(site.id)
    assert stored is not None
    assert (stored.name, stored.address, stored.green_channel, stored.lead_department,
            stored.owner_id) == ("plant", "1 Road", False, None, w.user("reporter").id)
    assert stored.location.equals(IN_WEST)


def test_an_admins_ordinary_site_names_no_lead_department(w: World) -> None:
    site = register_site(w.ctx, w.user("admin"), "shop", IN_EAST, None, False, None,
                         owner_id=w.user("reporter").id)
    assert (site.green_channel, site.lead_department) == (False, None)


def test_an_admin_lists_every_site(w: World) -> None:
    a = register_site(w.ctx, w.user("reporter"), "a", IN_WEST, None, False, None)
    b = register_site(w.ctx, w.user("reporter2"), "b", IN_EAST, None, False, None)
    assert {s.id for s in list_sites(w.ctx, w.user("admin"))} == {a.id, b.id}


@pytest.mark.parametrize("green, lead, owner, message", [
    (True, None, None, "only an administrator registers a green-channel major project"),
    (False, REFORM, None, "only an administrator registers a green-channel major project"),
    (False, None, "reporter2", "a reporter registers its own sites only"),
])
def test_a_reporters_refusal_says_why(w: World, green: bool, lead: str | None,
                                      owner: str | None, message: str) -> None:
    with pytest.raises(Forbidden) as refused:
        register_site(w.ctx, w.user("reporter"), "p", IN_WEST, None, green, lead,
                      owner_id=None if owner is None else w.user(owner).id)
    assert refused.value.detail == message


@pytest.mark.parametrize("owner, lead, field, message", [
    (None, None, "owner_id", "an administrator names the owning reporter"),
    ("officer", None, "owner_id", "no such reporter"),
    ("reporter", WEST, "lead_department", "no such department"),
])
def test_an_admins_refusal_says_why(w: World, owner: str | None, lead: str | None, field: str,
                                    message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        register_site(w.ctx, w.user("admin"), "p", IN_WEST, None, False, lead,
                      owner_id=None if owner is None else w.user(owner).id)
    assert [(e.field, e.message) for e in refused.value.errors] == [(field, message)]


# -- boundary sets ------------------------------------------------------------------------------

def _territories() -> list[Territory]:
    return [Territory(WEST, "West Town", MultiPolygon([box(112.50, 35.00, 112.60, 35.10)])),
            Territory("north", "North", MultiPolygon([box(112.50, 35.10, 112.60, 35.20)]))]


def test_an_imported_set_is_stored_with_its_labels_and_territories(w: World) -> None:
    w.clock.advance(hours=1)
    set_id, report = import_boundary_set(w.ctx, _territories(), "v2", label="2026", source="gov")
    assert report.ok and report.repaired == []
    with w.db.uow() as uow:
        stored = uow.boundaries.get_set(set_id)
        rows = uow.boundaries.territories(set_id)
        units = {code: (u.name, u.kind) for code in (WEST, "north")
                 if (u := uow.units.get(code)) is not None}
    assert stored is not None
    assert (stored.name, stored.label, stored.active, stored.created_at) == (
        "v2", "2026", False, w.clock.now)
    assert [(code, name) for code, name, _ in rows] == [("north", "North"), (WEST, "West Town")]
    # A known territory takes the new name; a new one becomes a territorial unit.
    assert units == {WEST: ("West Town", "territory"), "north": ("North", "territory")}


def test_an_imported_set_has_an_empty_label_and_source_by_default(w: World) -> None:
    added: list[tuple[str, str, str]] = []

    class Recording(FakeBoundaries):
        def add_set(self, name: str, label: str, source: str, *rest: Any) -> int:
            added.append((name, label, source))
            return super().add_set(name, label, source, *rest)

    def uow() -> FakeUnitOfWork:
        u = FakeUnitOfWork(w.db)
        u.boundaries = Recording(u)
        return u

    import_boundary_set(replace(w.ctx, uow=uow), _territories(), "v2")
    import_boundary_set(replace(w.ctx, uow=uow), _territories(), "v3", "l", "gov")
    assert added == [("v2", "", ""), ("v3", "l", "gov")]


def test_an_import_reports_overlaps(w: World) -> None:
    overlapping = [Territory("a", "A", MultiPolygon([box(112.5, 35.0, 112.6, 35.1)])),
                   Territory("b", "B", MultiPolygon([box(112.55, 35.0, 112.65, 35.1)]))]
    _, report = import_boundary_set(w.ctx, overlapping, "bad")
    assert not report.ok and [pair[:2] for pair in report.overlaps] == [("a", "b")]


def test_an_import_activated_at_once_is_active_from_now(w: World) -> None:
    w.clock.advance(hours=2)
    set_id, _ = import_boundary_set(w.ctx, _territories(), "v2", activate=True)
    stored = w.db.state.boundary_sets[set_id]
    assert (stored.active, stored.activated_at) == (True, T0.replace(hour=T0.hour + 2))
    assert [s.id for s in w.db.state.boundary_sets.values() if s.active] == [set_id]


def test_activating_a_set_records_when(w: World) -> None:
    set_id, _ = import_boundary_set(w.ctx, _territories(), "v2")
    w.clock.advance(minutes=5)
    activate_boundary_set(w.ctx, set_id)
    assert w.db.state.boundary_sets[set_id].activated_at == w.clock.now


def test_activating_an_unknown_set_names_it(w: World) -> None:
    with pytest.raises(NotFound) as refused:
        activate_boundary_set(w.ctx, 999)
    assert refused.value.detail == "no boundary set 999"
