"""The Jiyuan demo of API.md: 16 territories on demo boundaries, seven departments, routing,
and a user of every role (password `demo`). Safe to re-run: it adds only what is missing."""

from __future__ import annotations

from collections.abc import Callable

from dispatch import outside_systems
from dispatch.boundary_admin import import_boundary_set
from dispatch.context import Context
from dispatch.model import Category, Role, Unit, UnitKind, User
from geo.jiyuan import load_demo_territories

DEPARTMENTS = {
    "power_supply": "供电",
    "water_supply": "供水",
    "public_security": "公安",
    "traffic_police": "交警",
    "petition": "信访",
    "housing_construction": "住建",
    "development_reform": "发改",
}

ROUTING = {
    Category.GATE_BLOCKED: ["public_security", "petition"],
    Category.ROAD_BLOCKED: ["traffic_police", "public_security"],
    Category.WATER_CUT: ["water_supply"],
    Category.POWER_CUT: ["power_supply"],
    Category.OTHER: [],
}

DEMO_SET_NAME = "jiyuan-demo"
DEMO_LABEL = "demo boundaries, not official"
PASSWORD = "demo"
# The demo's outside system and its Open311 key (API.md); a fixed, public key: demo only.
OPEN311_SYSTEM = "demo-open311"
OPEN311_KEY = "demo-open311-key"


def seed_demo(ctx: Context, hash_password: Callable[[str], str],
              say: Callable[[str], None] = lambda _: None) -> None:
    territories = load_demo_territories()
    with ctx.uow() as uow:
        have_set = any(s.name == DEMO_SET_NAME for s in uow.boundaries.sets())
    if not have_set:
        import_boundary_set(ctx, territories, DEMO_SET_NAME, DEMO_LABEL,
                            "derived from data/jiyuan (Voronoi of seats, clipped)",
                            activate=True)
        say(f"imported and activated boundary set {DEMO_SET_NAME} ({len(territories)} units)")

    with ctx.uow() as uow:
        for code, name in DEPARTMENTS.items():
            if uow.units.get(code) is None:
                uow.units.add(Unit(code, name, UnitKind.DEPARTMENT))
        uow.flush()
        if not uow.routing.table():
            for category, codes in ROUTING.items():
                uow.routing.set(category, codes)
            say("set the default routing")
        wanted: list[tuple[str, Role, str | None, str]] = [
            ("demo-reporter", Role.REPORTER, None, "济源示范企业 A"),
            ("demo-reporter-2", Role.REPORTER, None, "济源示范企业 B"),
            ("demo-commander", Role.COMMANDER, None, "指挥中心"),
            ("demo-admin", Role.ADMIN, None, "管理员")]
        for unit in uow.units.list():
            wanted.append((f"officer-{unit.code}", Role.OFFICER, unit.code, f"{unit.name} 外勤"))
            wanted.append((f"dispatcher-{unit.code}", Role.DISPATCHER, unit.code,
                           f"{unit.name} 调度"))
        added = 0
        for username, role, unit_code, display in wanted:
            if uow.users.by_username(username) is None:
                # A hash each, so each its own salt: equal hashes would tell an attacker who
                # holds the table that these accounts share a password.
                uow.users.add(User(username=username, password_hash=hash_password(PASSWORD),
                                   role=role, unit_code=unit_code, display_name=display))
                added += 1
        uow.commit()
    say(f"added {added} demo users (password '{PASSWORD}')")

    with ctx.uow() as uow:
        have_system = uow.users.by_username(OPEN311_SYSTEM) is not None
    if not have_system:
        outside_systems.issue_key(ctx, OPEN311_SYSTEM, hash_password, OPEN311_KEY)
        say(f"issued the Open311 api_key '{OPEN311_KEY}' to the outside system {OPEN311_SYSTEM}")
