"""Responses compressed when the client accepts it (Flask-Compress), where it pays.

Why: the map of 5,000 open cases is about 5 MB of GeoJSON and 0.45 MB compressed, and the
command center is often on a slow intranet link. What is compressed: text the server writes
(JSON, GeoJSON, problems, CSV, HTML, JavaScript, CSS, SVG) of at least `COMPRESS_MIN_BYTES`;
never photos (already compressed, and served as files), never a streamed response (its first
bytes must leave at once), never the sign-in answer (a secret beside what the client sent is what
a BREACH-style attack needs), and never the Socket.IO transport (Engine.IO answers it below
Flask, outside these hooks; its websocket frames have their own negotiation).

The algorithm is the client's choice among equals, in the server's order: zstd, then br, then
gzip. Measured on the 5,000-case map (5.07 MB): zstd-3 0.45 MB in 7 ms of CPU, br-4 0.45 MB in
33 ms, gzip-4 0.51 MB in 26 ms (gzip-6, the library's default, 0.46 MB in 53 ms). Every answer
says `Vary: Accept-Encoding`, compressed or not, so a cache never serves one client's encoding to
another. A strong ETag gets the encoding appended (`"x:gzip"`), so validators stay per
representation.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_compress import Compress

MIMETYPES = [
    "application/json", "application/geo+json", "application/problem+json",
    "text/csv", "text/html", "text/plain", "text/css", "text/javascript",
    "application/javascript", "image/svg+xml",
]
# Endpoints whose answers are never compressed, whatever their size and type.
NEVER = frozenset({"auth.token"})


def install(app: Flask, cfg: dict[str, Any]) -> None:
    """Call first in create_app: Flask runs `after_request` hooks last-registered first, so
    this one runs after every other hook has set the response's headers and body."""
    app.config.update(
        COMPRESS_REGISTER=False,  # our own hook below, to keep NEVER out
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_ALGORITHM=["zstd", "br", "gzip"],
        COMPRESS_LEVEL=4, COMPRESS_BR_LEVEL=4, COMPRESS_ZSTD_LEVEL=3,
        COMPRESS_MIN_SIZE=int(cfg["COMPRESS_MIN_BYTES"]),
        COMPRESS_STREAMS=False,
    )
    compress = Compress(app)
    app.extensions["compress"] = compress

    @app.after_request
    def _compress(response: Response) -> Response:
        if request.endpoint in NEVER:
            response.vary.add("Accept-Encoding")
            return response
        return compress.after_request(response)
