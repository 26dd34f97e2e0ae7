"""The REST API the phones call (reporters and officers), under /api/v1."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from mobile_api import auth, incidents, map, meta, officers, sites, stats, supervision, units

    for module in (auth, incidents, supervision, map, officers, sites, units, stats, meta):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
