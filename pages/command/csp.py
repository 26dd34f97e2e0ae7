"""The pages' Content-Security-Policy: scripts only from our own files (no inline script, no
eval), connections only to our origin (the API and the `/live` socket), images from our origin,
`data:`/`blob:` (photos are fetched with the bearer token and shown as blobs) and the configured
tile service's hosts, each named (pages/tiles.py). Leaflet positions its panes and markers
through the CSSOM (`element.style`), which CSP does not govern, so `style-src` needs no
'unsafe-inline' either."""

from __future__ import annotations

from flask import request

from pages import settings, tiles


def content_security_policy() -> str:
    images = ["'self'", "data:", "blob:"]
    images.extend(tiles.hosts(settings.current().base_map()))
    socket = ("wss://" if request.is_secure else "ws://") + request.host
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src " + " ".join(images),
        "connect-src 'self' " + socket,
        "font-src 'self'",
        "media-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])
