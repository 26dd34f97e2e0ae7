"""The phone apps' settings, from the process's configuration: where the shared front-end modules
and the vendored browser libraries are (the apps serve them under their versioned path, so the
files exist once), the kill switch and the release name. `pages` imports no `server`; this is
what the composition root hands them."""

from __future__ import annotations

from pathlib import Path

from pages.phone import PhoneSettings
from server.config import Config

HERE = Path(__file__).resolve().parent


def phone_settings(cfg: Config) -> PhoneSettings:
    return PhoneSettings(shared_dir=HERE / "static" / "shared",
                         vendor_dir=HERE / "command" / "static" / "vendor",
                         kill_switch=cfg.PHONE_SW_KILL, release=cfg.PHONE_RELEASE)
