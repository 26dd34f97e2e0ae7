"""The REST API the phones call (reporters and officers), under /api/v1."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from mobile_api import auth, incidents, map, meta, officers, sites, units

    for module in (auth, incidents, map, officers, sites, units, meta):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
