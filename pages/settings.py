"""What the pages read of the configuration, as a small frozen object of their own.

The pages sit below the composition root (`server`), which they may not import: `server` builds
a `PageSettings` from its typed `Config` (`server.page_settings`) and installs it when it
registers the pages (`pages.register`); the pages read it back with `of(app)` or, in a request,
`current()`. No default is written here: every value comes from `server/config.py`, where each
setting's default is written once. What the pages can use is checked here, once, at start: a
value they cannot use raises `Refused`, naming the field, which the server words as a setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pages import tiles

if TYPE_CHECKING:
    from flask import Flask

KEY = "page_settings"  # of `app.extensions`
DATUMS = ("wgs84", "gcj02")


class Refused(ValueError):
    """A value the pages cannot use; `field` is the PageSettings field."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field, self.why = field, why


def tile_origin(url: str) -> str | None:
    """The origin a tile URL's images come from, as the pages' CSP allows it (Leaflet's `{s}`
    subdomains as a wildcard); None for anything but an absolute http(s) URL."""
    return tiles.custom_origin(url)


@dataclass(frozen=True)
class PageSettings:
    tile_url: str  # a tile layer under the command map ("" for none)
    tile_datum: str  # the datum the tiles are drawn in: one of DATUMS
    checkin_radius_m: float  # drawn around a site in a case's detail
    checkin_accuracy_cap_m: float  # a fix less accurate than this is drawn as doubtful
    session_ttl_s: int  # the pages' session cookie and CSRF token (a bearer token's lifetime)
    page_token_ttl_s: int  # the bearer tokens the pages' scripts get from their session
    cookie_secure: bool  # always mark the session cookie `Secure` (it is anyway over TLS)
    tile_provider: str  # a named tile service (pages/tiles.py), "" for tile_url or none
    tile_key: str  # the provider's key (天地图's tk)
    tile_attribution: str  # shown after the provider's credit (its review number, 审图号)

    def __post_init__(self) -> None:
        if self.tile_datum not in DATUMS:
            raise Refused("tile_datum", f"must be wgs84 or gcj02, not {self.tile_datum!r}")
        if self.tile_url and tile_origin(self.tile_url) is None:
            raise Refused("tile_url", f"must be an http(s) URL, not {self.tile_url!r}")
        try:
            self.base_map()
        except tiles.TileError as exc:
            raise Refused(exc.field, exc.why) from None

    def base_map(self) -> tiles.BaseMap:
        """The tiles under the command map, their datum and attribution (pages/tiles.py)."""
        return tiles.base_map(self.tile_provider, self.tile_key, self.tile_url, self.tile_datum,
                              self.tile_attribution)


def install(app: Flask, settings: PageSettings) -> None:
    app.extensions[KEY] = settings


def of(app: Flask) -> PageSettings:
    found = app.extensions.get(KEY)
    if not isinstance(found, PageSettings):
        raise RuntimeError("the pages' settings are not installed: see pages.register")
    return found


def current() -> PageSettings:
    """The settings of the app handling this request."""
    from flask import current_app
    return of(current_app)
