"""The pages' settings (`pages/settings.py`): built by the composition root from its typed Config
(`server.page_settings`), field by field, frozen, checked once at start; the pages never read
the Config (they may not import `server`: tests/unit/test_architecture.py)."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask

from pages import settings
from server import PAGE_SETTINGS, page_settings
from server import config as cfgmod


def test_every_page_setting_comes_from_one_setting_of_the_configuration() -> None:
    assert set(PAGE_SETTINGS) == {f.name for f in dataclasses.fields(settings.PageSettings)}
    assert set(PAGE_SETTINGS.values()) <= set(cfgmod.Config.model_fields)
    cfg = cfgmod.load({"TILE_URL": "https://{s}.tiles.example.cn/{z}/{x}/{y}.png",
                       "TILE_DATUM": "gcj02", "COMMAND_TOKEN_TTL_SECONDS": 90,
                       "SESSION_COOKIE_SECURE": True}, environ={})
    got = page_settings(cfg)
    assert got == settings.PageSettings(
        tile_url="https://{s}.tiles.example.cn/{z}/{x}/{y}.png", tile_datum="gcj02",
        checkin_radius_m=cfg.CHECKIN_RADIUS_M, checkin_accuracy_cap_m=cfg.CHECKIN_ACCURACY_CAP_M,
        session_ttl_s=cfg.TOKEN_TTL_SECONDS, page_token_ttl_s=90, cookie_secure=True,
        tile_provider="", tile_key="", tile_attribution="")
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.tile_datum = "wgs84"  # type: ignore[misc]


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("TILE_DATUM", "bd09", "DISPATCH_TILE_DATUM must be wgs84 or gcj02, not 'bd09'"),
    ("TILE_URL", "ftp://tiles/{z}/{x}/{y}.png",
     "DISPATCH_TILE_URL must be an http(s) URL, not 'ftp://tiles/{z}/{x}/{y}.png'"),
])
def test_a_value_the_pages_cannot_use_is_a_config_error_naming_its_variable(
        setting: str, value: str, message: str) -> None:
    with pytest.raises(cfgmod.ConfigError) as refused:
        page_settings(cfgmod.load({setting: value}, environ={}))
    assert str(refused.value) == message


def test_an_app_without_the_pages_settings_says_so() -> None:
    with pytest.raises(RuntimeError, match="pages.register"):
        settings.of(Flask("probe"))
