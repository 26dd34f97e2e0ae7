"""The officer's phone app (`/m/officer/`): a field officer sees the unit's live tasks, accepts,
checks in by GPS, restores and resolves, offline included, with the position sent while a task
is active (README "The phone apps", "The officer's app"). The page is static; everything it shows
comes from the API and `/live`; the check-in radius it displays is the server's setting, handed
in by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from pages.phone import PhoneApp, PhoneSettings, phone_manifest, register_app

ROOT = Path(__file__).resolve().parent
VENDOR = ("socket.io/socket.io.min.js",)
MANIFEST = phone_manifest("济源311 执勤", "311执勤", "执勤人员接收任务、到场签到、恢复与办结",
                          theme_color="#0b4f8a")


def register(app: Flask, settings: PhoneSettings, checkin_radius_m: float,
             checkin_accuracy_cap_m: float) -> None:
    """`checkin_*`: the server's check-in rule, shown on the page before a check-in is sent (the
    server judges it again; the page only displays it)."""
    rule: dict[str, Any] = {"radius_m": checkin_radius_m, "accuracy_cap_m": checkin_accuracy_cap_m}
    register_app(app, PhoneApp("officer", ROOT, MANIFEST, VENDOR, settings),
                 page_context=lambda: {"checkin": rule})
