"""The reporter's phone app (`/m/report/`): an enterprise's clerk reports a blocked gate or road, a
water or power cut in three taps, offline included, and follows the case (README "The phone
apps"). The page is static; everything it shows comes from the API and `/live`."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from pages.phone import PhoneApp, PhoneSettings, register_app

ROOT = Path(__file__).resolve().parent
VENDOR = ("socket.io/socket.io.min.js", "leaflet/leaflet.js", "leaflet/leaflet.css")
MANIFEST = {
    "name": "济源311 企业报事", "short_name": "311报事", "lang": "zh-CN",
    "description": "企业报告围门、堵路、断水、断电，并跟踪处置进度",
    "display": "standalone", "orientation": "portrait",
    "background_color": "#ffffff", "theme_color": "#b3261e",
    "icons": [
        {"src": "app/icons/icon.svg", "sizes": "any", "type": "image/svg+xml"},
        {"src": "app/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": "app/icons/icon-512.png", "sizes": "512x512", "type": "image/png",
         "purpose": "any maskable"},
    ],
}


def register(app: Flask, settings: PhoneSettings) -> None:
    register_app(app, PhoneApp("report", ROOT, MANIFEST, VENDOR, settings))
