"""The command center's pages (`/command`): the live map, the board, a case's detail, alerts and
the units' assessment, for commanders (every case) and dispatchers (their unit's).

The pages are static documents and scripts; everything they show comes from the JSON API and the
`/live` socket, called with a short-lived bearer token that the page obtains from its session
(`POST /command/token`), so the browser sees exactly what the API lets its user see. Signing in
makes a session cookie; see `session.py` for why the cookie is safe to have.
"""

from __future__ import annotations

from flask import Flask

from server import config as cfgmod
from server.command import views


DATUMS = ("wgs84", "gcj02")


def register(app: Flask) -> None:
    from server.command import session
    from server.command.csp import tile_origin

    datum, tiles = cfgmod.of(app).TILE_DATUM, cfgmod.of(app).TILE_URL
    if datum not in DATUMS:
        raise ValueError(f"DISPATCH_TILE_DATUM must be wgs84 or gcj02, not {datum!r}")
    if tiles and tile_origin(tiles) is None:
        raise ValueError(f"DISPATCH_TILE_URL must be an http(s) URL, not {tiles!r}")
    session.install(app)
    app.register_blueprint(views.bp, url_prefix="/command")
    app.add_url_rule("/favicon.ico", "favicon", views.favicon)
