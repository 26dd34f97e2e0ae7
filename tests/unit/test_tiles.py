"""The base map as one setting (pages/tiles.py): each provider's tile templates, datum,
attribution and the exact hosts the CSP allows; what cannot be used stops the start with a
ConfigError naming its variable."""

from __future__ import annotations

import pytest

from pages import tiles
from server import page_settings
from server import config as cfgmod

KEY = "0123456789abcdef0123456789abcdef"


def _base(**settings: str) -> tiles.BaseMap:
    return page_settings(cfgmod.load(settings, environ={})).base_map()


def test_no_setting_is_no_tiles_the_demo() -> None:
    base = _base()
    assert (base.provider, base.layers, base.datum, base.attribution) == ("none", (), "wgs84", "")
    assert tiles.hosts(base) == []


def test_tianditu_is_its_vector_map_and_annotation_in_cgcs2000_with_its_key() -> None:
    base = _base(TILE_PROVIDER="tianditu", TILE_KEY=KEY, TILE_ATTRIBUTION="审图号：GS(2099)1号")
    assert base.datum == "wgs84"
    assert [x.url.split("/")[3] for x in base.layers] == ["vec_w", "cva_w"]
    assert all(x.url.endswith("&tk=" + KEY) and x.subdomains == "01234567" for x in base.layers)
    assert base.attribution.startswith("© 天地图") and base.attribution.endswith("GS(2099)1号")
    assert tiles.hosts(base) == [f"https://t{i}.tianditu.gov.cn" for i in range(8)]


@pytest.mark.parametrize(("provider", "hosts", "credit"), [
    ("amap", [f"https://webrd0{i}.is.autonavi.com" for i in range(1, 5)], "© 高德地图"),
    ("tencent", [f"https://rt{i}.map.gtimg.com" for i in range(4)], "© 腾讯地图"),
])
def test_amap_and_tencent_are_gcj02_and_name_their_hosts(provider: str, hosts: list[str],
                                                         credit: str) -> None:
    base = _base(TILE_PROVIDER=provider)
    assert base.datum == "gcj02" and base.attribution.startswith(credit)
    assert tiles.hosts(base) == hosts
    assert base.boot()["datum"] == "gcj02"


def test_a_custom_url_keeps_its_datum_and_its_wildcard_host() -> None:
    base = _base(TILE_URL="https://{s}.tiles.example.cn/{z}/{x}/{y}.png", TILE_DATUM="gcj02",
                 TILE_ATTRIBUTION="© 本市测绘院")
    assert (base.provider, base.datum, base.attribution) == ("custom", "gcj02", "© 本市测绘院")
    assert tiles.hosts(base) == ["https://*.tiles.example.cn"]


@pytest.mark.parametrize(("settings", "message"), [
    ({"TILE_PROVIDER": "tianditu"},
     "DISPATCH_TILE_KEY 天地图 needs its key (tk): 8-64 letters and digits"),
    ({"TILE_PROVIDER": "tianditu", "TILE_KEY": "abc&x=1"},
     "DISPATCH_TILE_KEY 天地图 needs its key (tk): 8-64 letters and digits"),
    ({"TILE_PROVIDER": "amap", "TILE_URL": "https://x.example/{z}/{x}/{y}.png"},
     "DISPATCH_TILE_URL set either a provider or a tile URL, not both"),
])
def test_a_provider_setting_that_cannot_be_used_is_a_config_error_naming_it(
        settings: dict[str, str], message: str) -> None:
    with pytest.raises(cfgmod.ConfigError) as refused:
        page_settings(cfgmod.load(settings, environ={}))
    assert str(refused.value) == message


def test_an_unknown_provider_is_refused_by_the_configuration_itself() -> None:
    with pytest.raises(cfgmod.ConfigError, match="TILE_PROVIDER.*tianditu"):
        cfgmod.load({"TILE_PROVIDER": "google"}, environ={})
