"""Photos added to a case after it was reported.

Why a use case of its own: the phone apps send a report and its photos as separate requests from
their offline queue, so that a photo that fails (too large, a network that drops mid-upload)
never blocks or drops the report itself; an officer adds photos of the site when restoring or
resolving. Who may add: the case's reporter, or an officer or dispatcher of one of its units;
anyone who cannot see the case gets 404, anyone who sees it in another role 403. A retry with
the same Idempotency-Key adds nothing and returns the case. The case is locked, so two uploads
at once cannot pass the per-case limit together. No event is recorded: a photo changes no
status or clock; the photos show on the case's next read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from dispatch import idempotency, photos
from dispatch.access import acting_unit, visible
from dispatch.context import Context, commit_and_publish
from dispatch.errors import Forbidden, ValidationFailed
from dispatch.limits import PHOTOS_PER_CASE_MAX
from dispatch.model import Incident, Photo, Role, User


def add_photos(ctx: Context, user: User, incident_id: str,
               uploads: Sequence[photos.PhotoUpload],
               idempotency_key: str | None = None) -> tuple[Incident, bool]:
    """The case, and whether photos were added now (False: an Idempotency-Key replay)."""
    if not uploads:
        raise ValidationFailed.on("photos", "send at least one photo")
    fingerprint = idempotency.request_fingerprint("incidents.photos", [
        incident_id, [hashlib.sha256(u.content).hexdigest() for u in uploads]])
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        if user.role == Role.REPORTER:
            pass  # visible: the case is its own
        elif user.role in (Role.OFFICER, Role.DISPATCHER):
            acting_unit(user, incident, Role.OFFICER, Role.DISPATCHER)
        else:
            raise Forbidden("photos are added by the case's reporter or its units' officers "
                            f"and dispatchers; you are {user.role}")
        now = ctx.clock()
        if idempotency.claim(uow, user.id, idempotency_key, "incidents.photos", fingerprint,
                             incident.id, now) is not None:
            return incident, False
        if len(incident.photos) + len(uploads) > PHOTOS_PER_CASE_MAX:
            raise ValidationFailed.on("photos", f"a case holds at most {PHOTOS_PER_CASE_MAX} "
                                                f"photos; it has {len(incident.photos)}")
        saved: list[Photo] = []
        try:
            for upload in uploads:
                saved.append(photos.save(ctx.settings.photo_dir, incident.id, upload, now))
            incident.photos.extend(saved)
            commit_and_publish(ctx, uow)
        except BaseException:
            photos.discard(ctx.settings.photo_dir, saved)
            raise
    return incident, True
