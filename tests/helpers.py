"""Small helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from geo.jiyuan import demo_seats

ZHICHENG = "419001102"   # 轵城镇
KEJING = "419001100"     # 克井镇


def seat(code: str = ZHICHENG) -> tuple[float, float]:
    """(lon, lat) in WGS-84 of a territory's seat."""
    return demo_seats()[code]


def location(lon: float, lat: float, crs: str = "wgs84", accuracy_m: float | None = 10.0
             ) -> dict[str, Any]:
    out: dict[str, Any] = {"lat": lat, "lon": lon, "crs": crs}
    if accuracy_m is not None:
        out["accuracy_m"] = accuracy_m
    return out


def report(client, headers, category: str = "power_cut", code: str = ZHICHENG, **kw):  # type: ignore[no-untyped-def]
    lon, lat = seat(code)
    body = {"category": category, "description": "停电, 生产线停了", "location": location(lon, lat)}
    body.update(kw)
    return client.post("/api/v1/incidents", json=body, headers=headers)


def count_rows(ctx, table) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    """The SQL statements sent on `engine` while inside: tests hold a read's round trips fixed."""
    from sqlalchemy import event

    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def reconfigure(app: Any, monkeypatch: Any, **changes: Any) -> None:
    """The app's configuration (frozen, as in production) with `changes`, for one test; the
    pages' settings derived from it again, as `create_app` derives them."""
    from pages import settings as page_settings
    from server import config as cfgmod
    from server import page_settings as derive
    cfg = cfgmod.of(app).model_copy(update=changes)
    monkeypatch.setitem(app.extensions, cfgmod.KEY, cfg)
    monkeypatch.setitem(app.extensions, page_settings.KEY, derive(cfg))


def resettle(app: Any, monkeypatch: Any, **changes: Any) -> None:
    """The app's domain `Settings` (frozen, in a frozen Context) with `changes`, for one test."""
    from dataclasses import replace

    from mobile_api.context import KEY, of
    ctx = of(app)
    monkeypatch.setitem(app.extensions, KEY, replace(ctx, settings=replace(ctx.settings,
                                                                           **changes)))
