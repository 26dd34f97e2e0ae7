"""The public disclosure page (`/public/cases`): the same record as `GET /api/v1/public/cases`,
for a citizen on a phone or at a desk, in Chinese, with no script.

Server-rendered from the same use case and the same kept answers as the JSON
(`mobile_api.public.built`), escaped by Jinja; every name of a category, status or milestone from
the label catalogue (`dispatch/labels.py`), every time in China Standard Time
(`dispatch/utc.py`). Its one stylesheet (`static/public.css`) is served from here, so the page's
Content-Security-Policy allows styles from this origin and nothing else: no script at all.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from pages.public import views

    app.register_blueprint(views.bp)
