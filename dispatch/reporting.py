"""A report becomes a clocked case: placed, matched to its units, dispatched and its timers planned,
in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shapely.geometry import Point

from dispatch import case_numbers, idempotency, photos
from dispatch.deadlines import plan_in
from dispatch.access import require_role
from dispatch.clock import deadlines
from dispatch.context import Context, commit_and_publish
from dispatch.errors import Conflict, ValidationFailed
from dispatch.events import EventType
from dispatch.model import Incident, Photo, Role, User, new_id


@dataclass(frozen=True)
class NewReport:
    category: str
    description: str
    location: Point | None = None  # WGS-84, converted at the edge
    accuracy_m: float | None = None
    crs: str = "wgs84"
    site_id: str | None = None
    photos: Sequence[photos.PhotoUpload] = field(default_factory=tuple)

    def fingerprint(self) -> str:
        loc = None if self.location is None else [round(self.location.x, 7),
                                                   round(self.location.y, 7)]
        return idempotency.request_fingerprint("incidents.create", [
            self.category, self.description, loc, self.accuracy_m, self.crs, self.site_id,
            [p.content_type + ":" + str(len(p.content)) for p in self.photos]])


def report_incident(ctx: Context, reporter: User, report: NewReport,
                    idempotency_key: str | None = None, *,
                    retry: idempotency.Retry | None = None) -> tuple[Incident, bool]:
    """Returns the incident and whether it was created now (False: an Idempotency-Key replay).

    `retry`: another way to recognise a retry than the REST API's key (Open311's), claimed in
    its place and in the same transaction."""
    require_role(reporter, Role.REPORTER)
    fingerprint = report.fingerprint()
    incident_id = new_id()
    with ctx.uow() as uow:
        now = ctx.clock()
        # The key first: a concurrent retry waits here for this transaction, then replays the
        # incident it committed; if this one is refused, its claim rolls back with it.
        earlier = (idempotency.claim(uow, reporter.id, idempotency_key, "incidents.create",
                                     fingerprint, incident_id, now) if retry is None
                   else retry.claim(uow, reporter.id, incident_id, now))
        if earlier is not None:
            replayed = uow.incidents.get(earlier)
            if replayed is None:  # keys and incidents commit together; never expected
                raise Conflict("the incident this Idempotency-Key created no longer exists")
            return replayed, False

        location, green_channel, lead = report.location, False, None
        if report.site_id is not None:
            site = uow.sites.get(report.site_id)
            if site is None or site.owner_id != reporter.id:
                raise ValidationFailed.on("site_id", "no such site registered by you")
            location, green_channel, lead = site.location, site.green_channel, site.lead_department
        if location is None:
            raise ValidationFailed.on("location", "give a location or a site_id")

        place = ctx.locator.locate(uow, location.x, location.y)
        units = ctx.routing.responsible_units(uow, place.code, report.category, lead)
        policy = ctx.settings.policy(report.category, green_channel)
        due = deadlines(now, policy)
        ranked = uow.positions.rank([u.code for u in units], location,
                                    now - ctx.settings.on_duty_window)

        saved: list[Photo] = []
        try:
            for upload in report.photos:
                saved.append(photos.save(ctx.settings.photo_dir, incident_id, upload, now))
            # The day's counter row is held from here to the commit: taken after every read
            # and file, so reports of one day wait for each other only over the writes.
            day = case_numbers.day_of(now)
            number = case_numbers.case_number(ctx.settings.case_number_prefix, day,
                                              uow.case_numbers.take(day))
            incident = Incident(
                category=report.category, description=report.description, location=location,
                location_accuracy_m=report.accuracy_m, reported_crs=report.crs,
                reporter_id=reporter.id, site_id=report.site_id, green_channel=green_channel,
                territory_code=place.code, territory_name=place.name,
                boundary_set_id=place.boundary_set_id, received_at=now, lead_unit=lead,
                arrival_due=due.arrival, restore_due=due.restore, resolve_due=due.resolve,
                id=incident_id, case_number=number)
            incident.record(EventType.REPORTED, now, reporter.id, category=report.category,
                            territory=place.code, location=[location.x, location.y],
                            crs=report.crs, site_id=report.site_id,
                            green_channel=green_channel)
            incident.dispatch(units, now, None)
            for unit in units:
                incident.record(EventType.OFFERED, now, None, unit=unit.code, repeat=0,
                                officers=ranked[unit.code])
            incident.photos.extend(saved)
            uow.incidents.add(incident)
            # The timers commit with the case: one transaction per report, and a case is never
            # without its clocks. RQ hears of them after the commit (the sweep is its net).
            planned = plan_in(ctx, uow, incident)
            commit_and_publish(ctx, uow, timers=planned)
        except BaseException:
            photos.discard(ctx.settings.photo_dir, saved)
            raise
    return incident, True

