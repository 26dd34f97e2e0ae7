"""Administrative commands: `python -m server <command>` (or `flask --app server <command>`).

Each says what it is about to change and is safe to run again. `python -m server` runs them on
an app of their own (`create_cli_app`): no routes and no sockets, a command's Context (after a
commit it wakes the web processes, which push the events to their clients).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, shell_command

from dispatch import boundary_admin, demo, identity, usernames
from dispatch.context import Context
from dispatch.model import Role, User
from dispatch.storage import migrate
from dispatch.storage.orm import on_user_change
from mobile_api import characters
from mobile_api.context import dispatch_context, install, of
from server import config as cfgmod
from server.bootstrap import Process, bootstrap
from server.realtime import user_change_publisher
from simulate.cli import simulate_command


def create_cli_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app `python -m server` runs the commands on."""
    app = Flask("server", static_folder=None)
    cfg = cfgmod.load(config)
    instance = cfgmod.instance_path(cfg)
    cfgmod.install(app, cfg)
    app.config["TESTING"] = cfg.TESTING
    install(app, bootstrap(cfg, instance, Process.CLI))
    if cfg.REDIS_URL:  # `deactivate-user`: the web processes' token caches forget the user
        on_user_change(user_change_publisher(cfg.REDIS_URL))
    register_cli(app)
    return app


def _hasher(ctx: Context) -> Callable[[str], str]:
    if ctx.password_hasher is None:  # bootstrap gives one to the web app and to the commands
        raise click.ClickException("this process's Context hashes no passwords")
    return ctx.password_hasher


def prepare_database(app: Flask, seed_if_empty: bool) -> None:
    """Upgrade the schema, and seed the demo into an empty database when asked to."""
    ctx = of(app)
    migrate.upgrade(ctx.engine, case_number_prefix=ctx.settings.case_number_prefix)
    if seed_if_empty:
        with ctx.uow() as uow:
            empty = uow.boundaries.active_set() is None
        if empty:
            demo.seed_demo(ctx, _hasher(ctx), say=click.echo)


def register_cli(app: Flask) -> None:
    @app.cli.command("upgrade-db")
    def upgrade_db() -> None:
        """Create the schema or bring it to the newest migration."""
        ctx = dispatch_context()
        engine = ctx.engine
        click.echo(f"upgrading {engine.url.render_as_string(hide_password=True)} "
                   f"from revision {migrate.current(engine)} to head")
        migrate.upgrade(engine, case_number_prefix=ctx.settings.case_number_prefix)
        click.echo(f"now at revision {migrate.current(engine)}")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Add the Jiyuan demo (boundaries, departments, routing, users); only what is missing."""
        ctx = dispatch_context()
        migrate.upgrade(ctx.engine, case_number_prefix=ctx.settings.case_number_prefix)
        demo.seed_demo(ctx, _hasher(ctx), say=click.echo)

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
        set_id, report = boundary_admin.import_boundary_set(dispatch_context(), territories, name,
                                                            label, path, activate)
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
        boundary_admin.activate_boundary_set(dispatch_context(), set_id)

    @app.cli.command("list-boundaries")
    def list_boundaries() -> None:
        """The stored boundary sets."""
        with dispatch_context().uow() as uow:
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
        """Create a user (refuses an existing username, in any spelling: the name is stored
        normalized, as sign-in reads it)."""
        ctx = dispatch_context()
        if why := characters.problem(display_name, one_line=True):
            raise click.ClickException(f"--display-name {why}")
        given, username = username, usernames.normalize(username)
        if why := usernames.problem(username):
            raise click.ClickException(f"the username {given!r} {why}")
        if role in (Role.OFFICER, Role.DISPATCHER) and not unit:
            raise click.ClickException("officers and dispatchers belong to a unit: --unit")
        with ctx.uow() as uow:
            if uow.users.by_username(username) is not None:
                raise click.ClickException(f"user {username} exists already")
            if unit and uow.units.get(unit) is None:
                raise click.ClickException(f"no unit {unit}")
            user = User(username=username, password_hash=_hasher(ctx)(password),
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
        username = usernames.normalize(username)
        click.echo(f"deactivating {username} and revoking all of its tokens")
        try:
            identity.deactivate_user(dispatch_context(), username)
        except NotFound:
            raise click.ClickException(f"no user {username}") from None
        click.echo(f"{username} is deactivated")

    _open311_keys(app)


def _open311_keys(app: Flask) -> None:
    from dispatch import outside_systems
    from dispatch.errors import DispatchError

    @app.cli.group("open311-key")
    def open311_key() -> None:
        """Open311 API keys of outside systems (each system is a reporter account)."""

    @open311_key.command("issue")
    @click.argument("name")
    def issue(name: str) -> None:
        """Issue a key to the outside system NAME (created if new); its previous key stops
        working. The key is printed once: only its SHA-256 is stored."""
        ctx = dispatch_context()
        name = usernames.normalize(name)
        click.echo(f"issuing a new Open311 key to {name}; any key it held before stops working",
                   err=True)
        try:
            key, created = outside_systems.issue_key(ctx, name, _hasher(ctx))
        except DispatchError as exc:
            raise click.ClickException(exc.detail) from None
        click.echo(("created the outside system " if created else "new key for ") + name,
                   err=True)
        click.echo(key)

    @open311_key.command("list")
    def list_keys() -> None:
        """The outside systems, when their key was issued, and whether it works."""
        for s in outside_systems.list_systems(dispatch_context()):
            issued = s.issued_at.isoformat() if s.issued_at else ""
            click.echo(f"{s.name}\t{'active' if s.active else 'revoked'}\t{issued}")

    @open311_key.command("revoke")
    @click.argument("name")
    def revoke(name: str) -> None:
        """The system's key stops working at once; its account and requests stay."""
        name = usernames.normalize(name)
        click.echo(f"revoking the Open311 key of {name}")
        try:
            had = outside_systems.revoke_key(dispatch_context(), name)
        except DispatchError as exc:
            raise click.ClickException(exc.detail) from None
        click.echo("revoked" if had else f"{name} held no key; nothing changed")


def main() -> None:
    """`python -m server <command>`: the commands above, and `shell` (with the app's context)."""
    group = FlaskGroup(create_app=create_cli_app, add_default_commands=False)
    group.add_command(shell_command)
    group.add_command(simulate_command)
    group(prog_name="python -m server")
