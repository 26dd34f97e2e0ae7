"""The command map's base map, one setting: which tile service (`TILE_PROVIDER`), with the key
it needs (`TILE_KEY`), or any other tile URL (`TILE_URL` with `TILE_DATUM`), or none (the demo,
and an intranet that cannot reach a tile service).

Each provider is written once here: its tile URL templates (Leaflet's `{s}`, `{z}`, `{x}`,
`{y}`), the subdomains, the datum its tiles are drawn in (the page shifts every overlay to it,
`pages/static/shared/datum.js`), and the attribution its terms ask the map to show. The pages'
CSP allows exactly the hosts these templates name (`hosts`), nothing wider.

- 天地图 Tianditu, the national government map service: CGCS2000, which agrees with WGS-84 to
  centimetres (no shift); the vector map and its Chinese annotation layer; needs a key (`tk`).
- AMap (高德) and Tencent (腾讯): GCJ-02, the overlays are shifted; no key for these tiles.
Their terms also ask for the map's review number (审图号), which changes with each edition: it
goes in `TILE_ATTRIBUTION`, shown after the provider's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

PROVIDERS = ("", "tianditu", "amap", "tencent")
_KEY = re.compile(r"[A-Za-z0-9]{8,64}")


class TileError(ValueError):
    """A tile setting that cannot be used; `field` names it (a PageSettings field)."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field, self.why = field, why


@dataclass(frozen=True)
class TileLayer:
    url: str  # Leaflet's template
    subdomains: str  # each character one `{s}`
    max_zoom: int = 18


@dataclass(frozen=True)
class BaseMap:
    provider: str  # one of PROVIDERS, "custom" for TILE_URL, "none"
    layers: tuple[TileLayer, ...]
    datum: str  # "wgs84" or "gcj02": the overlays are shifted to it
    attribution: str

    def boot(self) -> dict[str, object]:
        """What the page is sent (`basemap.js` draws it)."""
        return {"provider": self.provider, "datum": self.datum,
                "attribution": self.attribution,
                "layers": [{"url": x.url, "subdomains": x.subdomains, "max_zoom": x.max_zoom}
                           for x in self.layers]}


_TIANDITU = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
             "&TILECOL={x}&tk=%s")


def base_map(provider: str, key: str, url: str, datum: str, attribution: str) -> BaseMap:
    """The base map the settings name; a TileError names the setting that cannot be used."""
    extra = attribution.strip()

    def credit(name: str) -> str:
        return name + (" · " + extra if extra else "")

    if provider not in PROVIDERS:
        raise TileError("tile_provider",
                        f"must be one of tianditu, amap, tencent, not {provider!r}")
    if provider and url:
        raise TileError("tile_url", "set either a provider or a tile URL, not both")
    if provider == "tianditu":
        if not _KEY.fullmatch(key):
            raise TileError("tile_key", "天地图 needs its key (tk): 8-64 letters and digits")
        return BaseMap("tianditu", (TileLayer(_TIANDITU % ("vec", "vec", key), "01234567"),
                                    TileLayer(_TIANDITU % ("cva", "cva", key), "01234567")),
                       "wgs84", credit("© 天地图 国家地理信息公共服务平台 (CGCS2000)"))
    if provider == "amap":
        return BaseMap("amap", (TileLayer("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn"
                                          "&size=1&scale=1&style=8&x={x}&y={y}&z={z}", "1234"),),
                       "gcj02", credit("© 高德地图 AutoNavi"))
    if provider == "tencent":
        return BaseMap("tencent", (TileLayer("https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}"
                                             "&type=vector&styleid=0", "0123"),),
                       "gcj02", credit("© 腾讯地图 Tencent"))
    if url:
        return BaseMap("custom", (TileLayer(url, "abc", 19),), datum, extra)
    return BaseMap("none", (), datum, "")


def hosts(base: BaseMap) -> list[str]:
    """Every origin the tiles come from, each subdomain named (a custom URL's `{s}` as a
    wildcard of its parent domain, its subdomains being unknown); sorted, once each."""
    found: set[str] = set()
    for layer in base.layers:
        if base.provider == "custom":
            origin = custom_origin(layer.url)
            if origin:
                found.add(origin)
            continue
        for s in layer.subdomains:
            parts = urlsplit(layer.url.replace("{s}", s))
            found.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(found)


def custom_origin(url: str) -> str | None:
    """The origin a tile URL's images come from (Leaflet's `{s}` subdomains as a wildcard);
    None for anything but an absolute http(s) URL."""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc
    if "{s}" in url:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}"
