"""What field officers and dispatchers do to a case: accept, check in, restore, resolve.

An action may come from a phone's offline queue with its device time (`recorded_at`): the rules
of `dispatch.offline` decide when a check-in counts and mark what was sent late."""

from __future__ import annotations

from datetime import datetime

from shapely.geometry import Point

from dispatch import followup, idempotency, offline
from dispatch.access import acting_unit, visible
from dispatch.context import Context, commit_and_publish
from dispatch.device_time import check_device_times
from dispatch.errors import ImplausibleSpeed, TooFarFromSite
from dispatch.model import DeviceStamp, Incident, Milestone, Role, User
from dispatch.ports import UnitOfWork
from dispatch.timers import Timer, met_late
from geo.distance import geodesic_distance_m


def _met(uow: UnitOfWork, incident: Incident, units: list[str], milestone: Milestone,
         now: datetime) -> None:
    """A milestone is met: a late one is a miss on record at once, whether or not its overdue
    timer has fired yet (`timers.met_late`; the unique key keeps it one record), and every open
    record of it is closed with when it was met and how late."""
    for record in met_late(incident, units, milestone, now):
        uow.accountability.add_once(record)
    uow.accountability.mark_met(incident.id, units, milestone, now)


def accept(ctx: Context, officer: User, incident_id: str) -> Incident:
    """The task is the unit's: under the case's lock the first accept of the unit takes it, and
    any later or concurrent one (the same officer, or another of the unit) gets the case as it
    stands, unchanged; one `accepted` event either way."""
    with ctx.uow() as uow:
        incident = visible(officer, uow.incidents.get(incident_id, for_update=True), incident_id)
        unit = acting_unit(officer, incident, Role.OFFICER)
        incident.accept(unit, officer.id, ctx.clock())
        commit_and_publish(ctx, uow)
        return incident


def check_in_limit_m(ctx: Context, accuracy_m: float | None) -> float:
    allowance = min(max(accuracy_m or 0.0, 0.0), ctx.settings.checkin_accuracy_cap_m)
    return ctx.settings.checkin_radius_m + allowance


def check_in(ctx: Context, officer: User, incident_id: str, location: Point,
             accuracy_m: float | None, device_time: datetime | None,
             idempotency_key: str | None = None, mock_location: bool | None = None
             ) -> Incident:
    """Arrival counts only from a fix near the site, at the server's time, or at the device
    time of an offline check-in the rules believe (`dispatch.offline`); a fix implying more than
    the speed limit from the officer's previous one is refused."""
    fingerprint = idempotency.request_fingerprint(
        "incidents.check-in", [incident_id, round(location.x, 7), round(location.y, 7),
                               accuracy_m, device_time]
        + ([] if mock_location is None else [mock_location]))  # as before the flag existed
    with ctx.uow() as uow:
        # The key first, then the case's lock: a retry with the same key waits at the key.
        if idempotency.claim(uow, officer.id, idempotency_key, "incidents.check-in",
                             fingerprint, incident_id, ctx.clock()):
            return visible(officer, uow.incidents.get(incident_id), incident_id)
        # After the key: a phone's late retry of an accepted check-in is replayed, not refused.
        check_device_times([("recorded_at", device_time)], ctx.clock(), ctx.settings.device_time)
        incident = visible(officer, uow.incidents.get(incident_id, for_update=True), incident_id)
        unit = acting_unit(officer, incident, Role.OFFICER)
        distance = geodesic_distance_m(location.x, location.y,
                                       incident.location.x, incident.location.y)
        limit = check_in_limit_m(ctx, accuracy_m)
        if distance > limit:
            raise TooFarFromSite.on(
                "location", f"you are {distance:.0f} m from the site; a check-in must be within "
                            f"{limit:.0f} m")
        now = ctx.clock()
        rules, cap = ctx.settings.offline, ctx.settings.checkin_accuracy_cap_m
        taken = device_time or now
        trail = uow.officers.trail(officer.id, taken - rules.history_window,
                                   taken + rules.history_window)
        speed = offline.speed_from_previous(trail, location.x, location.y, accuracy_m, taken,
                                            cap)
        if offline.too_fast(speed, rules):
            raise ImplausibleSpeed.on(
                "location", f"this fix implies {speed:.0f} km/h from your previous position; "
                            f"more than {rules.max_speed_kmh:g} km/h cannot count as an arrival")
        site = offline.Site(incident.location.x, incident.location.y,
                            ctx.settings.checkin_radius_m, cap)
        at, facts = offline.arrival(device_time, now, incident.received_at, trail, site, rules,
                                    mock_location)
        # Under the case's lock: of concurrent check-ins, the first arrives and the others find
        # the unit arrived and answer with the case unchanged.
        if incident.arrive(unit, officer.id, at, location, distance, device_time, facts):
            _met(uow, incident, [unit], Milestone.ARRIVAL, at)
        commit_and_publish(ctx, uow)
        return incident


def _stamp(ctx: Context, device_time: datetime | None) -> DeviceStamp:
    """A restore's or resolve's device time, checked like any (the window around the server's
    clock) and marked sent late by the offline rules; the action counts at the server's time."""
    check_device_times([("recorded_at", device_time)], ctx.clock(), ctx.settings.device_time)
    return DeviceStamp(device_time, offline.is_sent_late(device_time, ctx.clock(),
                                                         ctx.settings.offline))


def restore(ctx: Context, officer: User, incident_id: str, note: str,
            device_time: datetime | None = None) -> Incident:
    stamp = _stamp(ctx, device_time)
    with ctx.uow() as uow:
        incident = visible(officer, uow.incidents.get(incident_id, for_update=True), incident_id)
        acting_unit(officer, incident, Role.OFFICER)
        now = ctx.clock()
        if incident.restore(officer.id, now, note, stamp):
            _met(uow, incident, incident.unit_codes(), Milestone.RESTORE, now)
        commit_and_publish(ctx, uow)
        return incident


def resolve(ctx: Context, user: User, incident_id: str, note: str,
            device_time: datetime | None = None) -> Incident:
    stamp = _stamp(ctx, device_time)
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        acting_unit(user, incident, Role.OFFICER, Role.DISPATCHER)
        now = ctx.clock()
        asked: list[Timer] = []
        if incident.resolve(user.id, now, note, stamp):
            _met(uow, incident, incident.unit_codes(), Milestone.RESOLVE, now)
            # The follow-up to the reporter (回访), with its own clock.
            asked = [followup.ask_for_feedback(incident, now, ctx.settings.feedback_wait)]
            uow.timers.add_all(asked)
        commit_and_publish(ctx, uow, timers=asked)
        return incident
