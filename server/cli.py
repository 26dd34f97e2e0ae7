"""Administrative commands: `python -m server <command>` (or `flask --app server <command>`).

Each says what it is about to change and is safe to run again.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from dispatch import boundary_admin, demo, identity
from dispatch.model import Role, User
from dispatch.storage import migrate


def _ctx():  # type: ignore[no-untyped-def]
    return current_app.extensions["dispatch"]


def prepare_database(app: Flask, seed_if_empty: bool) -> None:
    """Upgrade the schema, and seed the demo into an empty database when asked to."""
    ctx = app.extensions["dispatch"]
    migrate.upgrade(ctx.engine)
    if seed_if_empty:
        with ctx.uow() as uow:
            empty = uow.boundaries.active_set() is None
        if empty:
            demo.seed_demo(ctx, ctx.password_hasher, say=click.echo)


def register_cli(app: Flask) -> None:
    @app.cli.command("upgrade-db")
    def upgrade_db() -> None:
        """Create the schema or bring it to the newest migration."""
        engine = _ctx().engine
        click.echo(f"upgrading {engine.url.render_as_string(hide_password=True)} "
                   f"from revision {migrate.current(engine)} to head")
        migrate.upgrade(engine)
        click.echo(f"now at revision {migrate.current(engine)}")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Add the Jiyuan demo (boundaries, departments, routing, users); only what is missing."""
        ctx = _ctx()
        migrate.upgrade(ctx.engine)
        demo.seed_demo(ctx, ctx.password_hasher, say=click.echo)

    @app.cli.command("import-boundaries")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--crs", default="wgs84", show_default=True,
                  help="wgs84, gcj02, bd09 or an EPSG code such as EPSG:4490")
    @click.option("--name", required=True, help="a name for this boundary set")
    @click.option("--label", default="", help="shown wherever the boundaries are shown")
    @click.option("--code-property", default="code", show_default=True)
    @click.option("--name-property", default="name", show_default=True)
    @click.option("--activate", is_flag=True, help="make it the active set at once")
    def import_boundaries(path: str, crs: str, name: str, label: str, code_property: str,
                          name_property: str, activate: bool) -> None:
        """Import a GeoJSON FeatureCollection of territories as a new, versioned boundary set."""
        from geo.boundaries import BoundaryError, load_feature_collection
        try:
            territories = load_feature_collection(path, crs, code_property, name_property)
        except (BoundaryError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"importing {len(territories)} territories from {path} ({crs}) as '{name}'"
                   + (" and activating it" if activate else ""))
        set_id, report = boundary_admin.import_boundary_set(_ctx(), territories, name, label,
                                                            path, activate)
        for code in report.repaired:
            click.echo(f"  repaired invalid geometry of {code}")
        for a, b, area in report.overlaps:
            click.echo(f"  overlap {a} / {b}: {area:.0f} m²")
        for area in report.gaps:
            click.echo(f"  gap of {area:.0f} m²")
        click.echo(f"stored as boundary set {set_id}"
                   + ("" if activate else f"; activate with: activate-boundaries {set_id}"))

    @app.cli.command("activate-boundaries")
    @click.argument("set_id", type=int)
    def activate_boundaries(set_id: int) -> None:
        """Make a stored boundary set the one new reports are matched against."""
        click.echo(f"activating boundary set {set_id}; existing incidents keep their territory")
        boundary_admin.activate_boundary_set(_ctx(), set_id)

    @app.cli.command("list-boundaries")
    def list_boundaries() -> None:
        """The stored boundary sets."""
        with _ctx().uow() as uow:
            for s in uow.boundaries.sets():
                click.echo(f"{s.id}\t{'active' if s.active else ''}\t{s.name}\t{s.label}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--unit", default=None, help="unit code, for officers and dispatchers")
    @click.option("--display-name", default="")
    @click.password_option()
    def create_user(username: str, role: str, unit: str | None, display_name: str,
                    password: str) -> None:
        """Create a user (refuses an existing username)."""
        ctx = _ctx()
        if role in (Role.OFFICER, Role.DISPATCHER) and not unit:
            raise click.ClickException("officers and dispatchers belong to a unit: --unit")
        with ctx.uow() as uow:
            if uow.users.by_username(username) is not None:
                raise click.ClickException(f"user {username} exists already")
            if unit and uow.units.get(unit) is None:
                raise click.ClickException(f"no unit {unit}")
            user = User(username=username, password_hash=ctx.password_hasher(password),
                        role=role, unit_code=unit, display_name=display_name)
            uow.users.add(user)
            uow.commit()
        click.echo(f"created {role} {username} ({user.id})")

    @app.cli.command("deactivate-user")
    @click.argument("username")
    def deactivate_user(username: str) -> None:
        """Disable an account and revoke its tokens: HTTP and open sockets stop at their next
        request, in every process."""
        from dispatch.errors import NotFound
        click.echo(f"deactivating {username} and revoking all of its tokens")
        try:
            identity.deactivate_user(_ctx(), username)
        except NotFound:
            raise click.ClickException(f"no user {username}") from None
        click.echo(f"{username} is deactivated")


def main() -> None:
    from server import create_app
    FlaskGroup(create_app=create_app)(prog_name="python -m server")
