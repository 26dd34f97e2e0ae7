"""The phone apps' settings, from the process's configuration: where the shared front-end modules
and the vendored browser libraries are (the apps serve them under their versioned path, so the
files exist once), the kill switch and the release name. `pages` imports no `server`; this is
what the composition root hands them."""

from __future__ import annotations

from pathlib import Path

import pages
from pages.phone import PhoneSettings
from server.config import Config

PAGES = Path(pages.__path__[0])  # the package's folder, wherever it is installed


def phone_settings(cfg: Config) -> PhoneSettings:
    return PhoneSettings(shared_dir=PAGES / "static" / "shared",
                         vendor_dir=PAGES / "command" / "static" / "vendor",
                         templates_dir=PAGES / "phone_templates",
                         kill_switch=cfg.PHONE_SW_KILL, release=cfg.PHONE_RELEASE)
