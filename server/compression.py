"""Responses compressed when the client accepts it (Flask-Compress), where it pays.

Why: the map of 5,000 open cases is about 5 MB of GeoJSON and 0.45 MB compressed, and the
command center is often on a slow intranet link. What is compressed: successful answers of text
the server writes (JSON, GeoJSON, CSV, HTML, JavaScript, CSS, SVG) of at least
`COMPRESS_MIN_BYTES`, files of those types included (read whole). Never: errors (problems are
small, and Flask-Compress leaves every status from 300 on alone), photos (already compressed), a
streamed response (its first bytes must leave at once), a range (206), the sign-in answer (a
secret beside what the client sent is what a BREACH-style attack needs), and the Socket.IO
transport (Engine.IO answers it below Flask, outside these hooks; its websocket frames have
their own negotiation).

The algorithm is the client's choice among equals, in the server's order: zstd, then br, then
gzip. Measured on the 5,000-case map (5.07 MB): zstd-3 0.45 MB in 7 ms of CPU, br-4 0.45 MB in
33 ms, gzip-4 0.51 MB in 26 ms (gzip-6, the library's default, 0.46 MB in 53 ms). Every answer
says `Vary: Accept-Encoding`, compressed or not, so a cache never serves one client's encoding to
another. A strong ETag gets the encoding appended (`"x:gzip"`), so validators stay per
representation.
"""

from __future__ import annotations


from flask import Flask, Response, request
from flask_compress import Compress

from server.config import Config

MIMETYPES = [
    "application/json", "application/geo+json", "application/problem+json",
    "text/csv", "text/html", "text/plain", "text/css", "text/javascript",
    "application/javascript", "image/svg+xml",
]
# Endpoints whose answers are never compressed, whatever their size and type.
NEVER = frozenset({"auth.token"})


def install(app: Flask, cfg: Config) -> None:
    """Call first in create_app: Flask runs `after_request` hooks last-registered first, so
    this one runs after every other hook has set the response's headers and body."""
    app.config.update(
        COMPRESS_REGISTER=False,  # our own hook below, to keep NEVER out
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_ALGORITHM=["zstd", "br", "gzip"],
        COMPRESS_LEVEL=4, COMPRESS_BR_LEVEL=4, COMPRESS_ZSTD_LEVEL=3,
        COMPRESS_MIN_SIZE=cfg.COMPRESS_MIN_BYTES,
        COMPRESS_STREAMS=False,
    )
    compress = Compress(app)
    app.extensions["compress"] = compress

    compressible = set(MIMETYPES)

    @app.after_request
    def _compress(response: Response) -> Response:
        if request.endpoint in NEVER or response.status_code == 206:  # a range: sent as is
            response.vary.add("Accept-Encoding")
            return response
        if (response.direct_passthrough and response.status_code == 200
                and response.mimetype in compressible):
            # A file (the command center's scripts and styles): read whole, so it is not taken
            # for a stream; its ETag gets the encoding appended below.
            response.direct_passthrough = False
            response.set_data(response.get_data())
        return compress.after_request(response)
