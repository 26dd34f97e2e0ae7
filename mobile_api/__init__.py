"""The REST API the phones call (reporters and officers), under /api/v1."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from mobile_api import (auth, incidents, labels, map, meta, officers, open311, public, sites,
                            stats, supervision, units)

    for module in (auth, incidents, supervision, map, officers, sites, units, stats, meta, public,
                   labels):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
    app.register_blueprint(open311.bp)  # /open311/v2, for outside systems
