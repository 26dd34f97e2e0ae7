"""The periodic public disclosure of accepted cases, and a commander's decision to withhold one.

The record of each case is `dispatch.disclosure.public_case`; here the cases of a period are
read, the names to scrub from each are gathered (its reporter's, its site's, and those of the
people who restored and solved it), and withheld cases are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dispatch import disclosure
from dispatch.access import require_role
from dispatch.context import Context, commit_and_publish, reader
from dispatch.errors import NotFound, ValidationFailed
from dispatch.limits import WITHHOLD_REASON_MAX_CHARS
from dispatch.model import Incident, Role, Site, User
from dispatch.ports import PeriodQuery
from dispatch.utc import iso_utc

# A month of a city's 311 cases is far below this; the answer says how many it holds.
MAX_CASES = 10_000


def published_cases(ctx: Context, period: disclosure.Period) -> dict[str, Any]:
    """Every case received in the period and not withheld, oldest first, as published."""
    now = ctx.clock()
    with reader(ctx) as uow:
        cases = uow.incidents.received_between(PeriodQuery(
            start=period.start, end=period.end, include_withheld=False, limit=MAX_CASES))
    names = names_to_scrub(ctx, cases)
    items = [disclosure.public_case(case, names[case.id], now) for case in cases]
    return {"period": {"label": period.label, "start": iso_utc(period.start),
                       "end": iso_utc(period.end)},
            "count": len(items), "cases": items}


def version(ctx: Context) -> tuple[int, str]:
    """What a published answer depends on besides its period: the event log's position (every
    change of a case, withholding included, writes an event) and the minute (a deadline that
    passes turns an open milestone into a missed one). Equal versions, equal answers: a web
    process may keep an answer built under the same version (`mobile_api.public`)."""
    with reader(ctx) as uow:
        seq = uow.events.last_seq()
    return seq, ctx.clock().strftime("%Y-%m-%dT%H:%M")


def names_to_scrub(ctx: Context, cases: Sequence[Incident]) -> dict[str, list[str]]:
    """For each case, the names its published text must not carry: its reporter's, its site's
    (and the site's address), and those of the people who restored and solved it."""
    with reader(ctx) as uow:
        people = {u.id: u for u in uow.users.many(sorted(_person_ids(cases)))}
        sites: dict[str, Site | None] = {}
        for case in cases:
            if case.site_id is not None and case.site_id not in sites:
                sites[case.site_id] = uow.sites.get(case.site_id)
    return {case.id: disclosure.personal_names(
        *(people.get(pid) for pid in (case.reporter_id, case.restored_by, case.resolved_by)
          if pid),
        sites.get(case.site_id) if case.site_id else None) for case in cases}


def withhold(ctx: Context, user: User, incident_id: str, reason: str) -> Incident:
    """Keep a case out of the disclosure; the reason and who decided stay on record."""
    require_role(user, Role.COMMANDER)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.on("reason", "say why the case is withheld")
    if len(reason) > WITHHOLD_REASON_MAX_CHARS:
        raise ValidationFailed.on("reason", f"at most {WITHHOLD_REASON_MAX_CHARS} characters")
    with ctx.uow() as uow:
        incident = uow.incidents.get(incident_id, for_update=True)
        if incident is None:
            raise NotFound(f"no incident {incident_id} that you may see")
        if incident.withhold(user.id, ctx.clock(), reason):
            commit_and_publish(ctx, uow)
    return incident


def _person_ids(cases: Sequence[Incident]) -> set[str]:
    ids: set[str] = set()
    for c in cases:
        ids.update(i for i in (c.reporter_id, c.restored_by, c.resolved_by) if i)
    return ids
