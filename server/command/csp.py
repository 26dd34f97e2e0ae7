"""The pages' Content-Security-Policy: scripts only from our own files (no inline script, no
eval), connections only to our origin (the API and the `/live` socket), images from our origin,
`data:`/`blob:` (photos are fetched with the bearer token and shown as blobs) and the configured
tile server. Leaflet positions its panes and markers through the CSSOM (`element.style`), which
CSP does not govern, so `style-src` needs no 'unsafe-inline' either."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from server import config as cfgmod


def tile_origin(url: str) -> str | None:
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc
    if "{s}" in url:  # Leaflet's subdomains
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}"


def content_security_policy() -> str:
    images = ["'self'", "data:", "blob:"]
    origin = tile_origin(cfgmod.current().TILE_URL)
    if origin:
        images.append(origin)
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
