"""The command center's pages (`/command`): the live map, the board, a case's detail, alerts and
the units' assessment, for commanders (every case) and dispatchers (their unit's).

The pages are static documents and scripts; everything they show comes from the JSON API and the
`/live` socket, called with a short-lived bearer token that the page obtains from its session
(`POST /command/token`), so the browser sees exactly what the API lets its user see. Signing in
makes a session cookie; see `session.py` for why the cookie is safe to have.
"""

from __future__ import annotations

from flask import Flask

from pages.command import views


def register(app: Flask) -> None:
    from pages.command import session

    session.install(app)
    app.register_blueprint(views.bp, url_prefix="/command")
    app.add_url_rule("/favicon.ico", "favicon", views.favicon)
