"""The reporter's phone app (`/m/report/`): an enterprise's clerk reports a blocked gate or road, a
water or power cut in three taps, offline included, and follows the case (README "The phone
apps"). The page is static; everything it shows comes from the API and `/live`."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from pages.phone import PhoneApp, PhoneSettings, phone_manifest, register_app

ROOT = Path(__file__).resolve().parent
VENDOR = ("socket.io/socket.io.min.js", "leaflet/leaflet.js", "leaflet/leaflet.css")
MANIFEST = phone_manifest("济源311 企业报事", "311报事",
                          "企业报告围门、堵路、断水、断电，并跟踪处置进度", theme_color="#b3261e")


def register(app: Flask, settings: PhoneSettings) -> None:
    register_app(app, PhoneApp("report", ROOT, MANIFEST, VENDOR, settings))
