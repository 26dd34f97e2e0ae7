"""Who is on the way: for an officer working a case, the straight-line distance from their
latest fix to the site and a rough time to get there at a set speed (`Settings.travel_speed_kmh`).

Why straight line: the command room needs "about how far, about how long" at a glance, not a
route; a routing service would be an outside dependency the intranet often cannot reach. The
page says so next to the figures. Computed here, once, so that the page holds no rule: it shows
the metres and seconds it is sent. Pure: positions and the speed are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from geo.distance import geodesic_distance_m


@dataclass(frozen=True)
class OnTheWay:
    distance_m: int  # straight line, fix to site
    eta_s: int  # at the set speed; 0 once within the distance (already there)


def on_the_way(officer_lon: float, officer_lat: float, site_lon: float, site_lat: float,
               speed_kmh: float) -> OnTheWay:
    metres = geodesic_distance_m(officer_lon, officer_lat, site_lon, site_lat)
    return OnTheWay(round(metres), round(metres / (speed_kmh / 3.6)))


def trail_start(now: datetime, minutes: int) -> datetime:
    """The first instant of an officer's trail of the last `minutes`."""
    return now - timedelta(minutes=minutes)
