"""The knobs of the domain, with the rule's defaults. The web app fills them from configuration.

Each default is written here only: the process's configuration (`server/config.py`) takes its
defaults from these fields, and the lengths of texts are named in `dispatch/limits.py`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from dispatch.clock import Policies, Policy
from dispatch.device_time import DeviceTimeWindow
from dispatch.offline import OfflineRules

# Green-channel cases (major projects, 绿色通道) run on their own, tighter clocks: 20 minutes to
# arrive, the rest as any case's. Seconds, as `Policies.from_seconds` and the configuration read.
GREEN_CHANNEL_DEADLINES: dict[str, dict[str, float]] = {"default": {"arrival": 20 * 60}}


@dataclass(frozen=True)
class Settings:
    policies: Policies = field(default_factory=Policies)
    # A check-in counts within this radius of the site, plus the fix's own accuracy up to a cap:
    # a poor fix gets some benefit of the doubt, but never enough to check in from down the road.
    checkin_radius_m: float = 200.0
    checkin_accuracy_cap_m: float = 100.0
    photo_dir: Path = Path("instance/photos")
    photo_max_bytes: int = 10 * 1024 * 1024
    photo_max_count: int = 5
    # Decoded size, checked from the header before any pixel is read: a bomb is refused early.
    photo_max_pixels: int = 40_000_000
    green_channel_lead: str = "development_reform"
    position_retention_days: int = 30
    # A bearer token's lifetime (the phones'; the pages hold shorter ones, renewed).
    token_ttl: timedelta = timedelta(hours=12)
    # Nobody of a unit accepted within this time: offer again and tell its dispatcher.
    offer_timeout: timedelta = timedelta(minutes=5)
    # An officer counts as on duty (and is ranked for offers) with a fix this recent.
    on_duty_window: timedelta = timedelta(minutes=30)
    # Command's "on the way": a rough time to the site, the straight line at this speed (not a
    # route: the page says so), and the officers' trails of the last this many minutes.
    travel_speed_kmh: float = 30.0
    trail_minutes: int = 30
    # How far ahead of, and behind, the server's clock a device's time is believed.
    device_time: DeviceTimeWindow = field(default_factory=DeviceTimeWindow)
    green_channel_policies: Policies = field(
        default_factory=lambda: Policies.from_seconds(GREEN_CHANNEL_DEADLINES))
    # The supervision cycle: the reporter's time to answer the follow-up, the latest an
    # extension may reach past the original deadline, command's time to answer a complaint.
    feedback_wait: timedelta = timedelta(days=3)
    max_extension: timedelta = timedelta(days=30)
    complaint_reply: timedelta = timedelta(hours=24)
    # The assessment: below this many cases a unit's rates are marked `too_few_cases`, and the
    # longest period one request may cover.
    stats_min_cases: int = 5
    stats_max_span: timedelta = timedelta(days=366)
    # Open311: the same fields POSTed again by the same account this soon (inclusive) are a
    # retry of the first request, not a new case; 0 turns the match off (the header still works).
    open311_replay_window: timedelta = timedelta(minutes=10)
    # A case number's prefix, the city's (`dispatch.case_numbers`): JY311-20261207-0042.
    case_number_prefix: str = "JY311"
    # Offline actions: when `sent_late`, when an offline arrival counts at its device time, and
    # the speed above which a fix is flagged (`dispatch.offline`). Device times: never scaled.
    offline: OfflineRules = field(default_factory=OfflineRules)

    def policy(self, category: str, green_channel: bool = False) -> Policy:
        """The clocks of a case: its category's, or the green channel's for a major project."""
        chosen = self.green_channel_policies if green_channel else self.policies
        return chosen.for_category(category)

    def time_scaled(self, divisor: float) -> Settings:
        """The rule's clocks run `divisor` times faster: for a simulated day (`python -m server
        simulate`), where 30 minutes to arrive become 30 s at 60. Scaled: every deadline and
        warning (the green channel's too), the offer timeout, the on-duty window, the supervision
        cycle's waits (feedback, complaint reply, the longest extension): durations of the
        field's world; and the speed above which a fix is flagged is multiplied by it (the
        field's officers drive that much faster). Not scaled: device-time windows (the offline
        rules' too), retention, tokens, the assessment's longest period (durations of real
        devices, accounts and reports). A divisor below 1 would lengthen deadlines and is
        refused."""
        if not (math.isfinite(divisor) and divisor >= 1):
            raise ValueError(f"the time scale must be a number of at least 1, not {divisor}")
        if divisor == 1:
            return self
        return replace(self, policies=self.policies.scaled(divisor),
                       green_channel_policies=self.green_channel_policies.scaled(divisor),
                       offer_timeout=self.offer_timeout / divisor,
                       on_duty_window=self.on_duty_window / divisor,
                       feedback_wait=self.feedback_wait / divisor,
                       max_extension=self.max_extension / divisor,
                       complaint_reply=self.complaint_reply / divisor,
                       offline=replace(self.offline,
                                       max_speed_kmh=self.offline.max_speed_kmh * divisor))
