"""Offline actions and honest device times: when an arrival counts, and which fixes are too fast.

Why: an officer in a mountain town checks in with one bar of signal; the phone queues the
check-in with its own time and sends it when the network returns. That device time is the
truth only if nothing contradicts it: a phone's clock is the user's to set, and a queued action
could be replayed from anywhere. So the arrival counts at the device time only when it is

1. after the case was reported (strictly: `received_at < device time`),
2. not after the upload (`device time <= now`, the server's clock when the check-in arrives),
3. within `arrival_window` of the upload (`now - device time <= window`, bounds included), and
4. consistent with the officer's stored positions: the stored fix nearest in time to the device
   time, within `history_window` either side (included), lies within the check-in limit of the
   site (radius + its accuracy up to the cap) plus the distance coverable at `max_speed_kmh` in
   the time between them. No fix in that window is no evidence: not consistent.

Otherwise it counts at the upload time, and the reason is kept with the arrival. Whatever it
counts at, an action that reaches the server more than `sent_late_after` after its device time
is marked `sent_late` (strictly more). Restore and resolve are marked the same way and always
count at the server's time.

A fix implies a speed from the officer's previous stored fix (the latest unflagged one before it
in time): the distance between the two, less both accuracies (each up to the check-in accuracy
cap, so a poor fix cannot excuse a jump of kilometres), over the time between them. Above
`max_speed_kmh` (strictly) the fix is flagged: a flagged position is stored with its speed and
never becomes the officer's latest position nor anyone's "previous fix"; a flagged check-in is
refused. Pure: every time and fix is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.entities import ArrivalFacts, Counted
from geo.distance import geodesic_distance_m


@dataclass(frozen=True)
class OfflineRules:
    # An action arriving more than this after its device time is marked `sent_late`.
    sent_late_after: timedelta = timedelta(seconds=60)
    # An offline check-in counts at its device time only this long before its upload.
    arrival_window: timedelta = timedelta(hours=2)
    # The stored fix that vouches for a device time lies at most this far from it in time.
    history_window: timedelta = timedelta(minutes=10)
    # A fix implying more than this from the officer's previous fix is flagged.
    max_speed_kmh: float = 200.0


@dataclass(frozen=True)
class TrailFix:
    """One stored fix of an officer's history (WGS-84, the accuracy the phone gave)."""

    at: datetime
    lon: float
    lat: float
    accuracy_m: float | None = None


def is_sent_late(device_time: datetime | None, now: datetime, rules: OfflineRules) -> bool:
    """Reached the server more than `sent_late_after` after its device time."""
    return device_time is not None and now - device_time > rules.sent_late_after


def previous_fix(trail: Sequence[TrailFix], before: datetime) -> TrailFix | None:
    """The latest fix strictly before `before`."""
    earlier = [f for f in trail if f.at < before]
    return max(earlier, key=lambda f: f.at) if earlier else None


def nearest_fix(trail: Sequence[TrailFix], at: datetime, within: timedelta) -> TrailFix | None:
    """The fix nearest in time to `at`, at most `within` away (included); the earlier of two
    equally near."""
    near = [f for f in trail if abs(f.at - at) <= within]
    return min(near, key=lambda f: (abs(f.at - at), f.at)) if near else None


def implied_speed_kmh(previous: TrailFix, lon: float, lat: float, accuracy_m: float | None,
                      at: datetime, accuracy_cap_m: float) -> float:
    """The speed from `previous` to this fix, given the two fixes' accuracies (see the module)."""
    slack = sum(min(max(a or 0.0, 0.0), accuracy_cap_m)
                for a in (previous.accuracy_m, accuracy_m))
    metres = max(geodesic_distance_m(previous.lon, previous.lat, lon, lat) - slack, 0.0)
    if metres == 0.0:
        return 0.0
    seconds = (at - previous.at).total_seconds()
    if seconds <= 0:
        return float("inf")
    return metres / seconds * 3.6


def too_fast(speed_kmh: float | None, rules: OfflineRules) -> bool:
    """Strictly over the limit: exactly at it is plausible."""
    return speed_kmh is not None and speed_kmh > rules.max_speed_kmh


def speed_from_previous(trail: Sequence[TrailFix], lon: float, lat: float,
                        accuracy_m: float | None, at: datetime, accuracy_cap_m: float
                        ) -> float | None:
    """The speed a fix taken at `at` implies from the previous fix of `trail` (None: the
    officer has no earlier stored fix)."""
    before = previous_fix(trail, at)
    if before is None:
        return None
    return implied_speed_kmh(before, lon, lat, accuracy_m, at, accuracy_cap_m)


def flag_batch(trail: Sequence[TrailFix], fixes: Sequence[TrailFix], accuracy_cap_m: float,
               rules: OfflineRules) -> dict[datetime, float]:
    """time -> implied speed, for the fixes of a batch that are too fast. Taken in time order:
    each is judged from the latest unflagged fix before it, stored or earlier in the batch
    (a flagged fix is no one's previous fix)."""
    known = list(trail)
    flagged: dict[datetime, float] = {}
    for fix in sorted(fixes, key=lambda f: f.at):
        speed = speed_from_previous(known, fix.lon, fix.lat, fix.accuracy_m, fix.at,
                                    accuracy_cap_m)
        if too_fast(speed, rules):
            flagged[fix.at] = round(speed or 0.0, 1)
        else:
            known.append(fix)
    return flagged


@dataclass(frozen=True)
class Site:
    """What the history is checked against: the site and the check-in's radius and cap."""

    lon: float
    lat: float
    radius_m: float
    accuracy_cap_m: float


def arrival(device_time: datetime | None, now: datetime, reported_at: datetime,
            trail: Sequence[TrailFix], site: Site, rules: OfflineRules,
            mock_location: bool | None = None) -> tuple[datetime, ArrivalFacts]:
    """When a check-in's arrival counts, and why (the module's rules 1-4, in order)."""
    def upload(reason: str) -> tuple[datetime, ArrivalFacts]:
        return now, ArrivalFacts(device_time, is_sent_late(device_time, now, rules),
                                 Counted.UPLOAD, reason, mock_location)

    if device_time is None:
        return upload("no device time was sent")
    if not device_time > reported_at:
        return upload("the device time is not after the report")
    if device_time > now:
        return upload("the device time is after the upload")
    if now - device_time > rules.arrival_window:
        return upload(f"the device time is more than {_span(rules.arrival_window)} before "
                      "the upload")
    fix = nearest_fix(trail, device_time, rules.history_window)
    if fix is None:
        return upload(f"no stored position within {_span(rules.history_window)} of the "
                      "device time")
    gap_s = abs((fix.at - device_time).total_seconds())
    reach = (site.radius_m + min(max(fix.accuracy_m or 0.0, 0.0), site.accuracy_cap_m)
             + rules.max_speed_kmh / 3.6 * gap_s)
    away = geodesic_distance_m(fix.lon, fix.lat, site.lon, site.lat)
    if away > reach:
        return upload(f"the stored position {gap_s:.0f} s from the device time was "
                      f"{away:.0f} m from the site, more than the {reach:.0f} m reachable")
    return device_time, ArrivalFacts(device_time, is_sent_late(device_time, now, rules),
                                     Counted.DEVICE,
                                     "after the report, before the upload, within the window "
                                     "and consistent with the stored positions", mock_location)


def _span(t: timedelta) -> str:
    seconds = t.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
