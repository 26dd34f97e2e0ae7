"""The periodic public disclosure of accepted cases, a commander's review of the text it may
show of a case, and a commander's decision to withhold one.

The record of each case is `dispatch.disclosure.public_case`. Its free text is only the text a
commander reviewed (`review_public_text`), and even that passes the scrubber of every name on
record (`scrubber`: every user's and every site's, not only those of the case) before it goes
out: a stranger's name on the public page is a leak whatever the reason, and a list cannot know
the strangers. Withheld cases are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatch import disclosure
from dispatch.access import require_role
from dispatch.context import Context, commit_and_publish, reader
from dispatch.errors import NotFound, ValidationFailed
from dispatch.limits import PUBLIC_TEXT_MAX_CHARS, WITHHOLD_REASON_MAX_CHARS
from dispatch.model import Incident, Role, User
from dispatch.ports import PeriodQuery, UnitOfWork
from dispatch.scrubbing import Scrubber
from dispatch.utc import iso_utc

# A month of a city's 311 cases is far below this; the answer says how many it holds.
MAX_CASES = 10_000


def published_cases(ctx: Context, period: disclosure.Period) -> dict[str, Any]:
    """Every case received in the period and not withheld, oldest first, as published."""
    now = ctx.clock()
    with reader(ctx) as uow:
        cases = uow.incidents.received_between(PeriodQuery(
            start=period.start, end=period.end, include_withheld=False, limit=MAX_CASES))
    scrub = scrubber(ctx)
    items = [disclosure.public_case(case, scrub, now) for case in cases]
    return {"period": {"label": period.label, "start": iso_utc(period.start),
                       "end": iso_utc(period.end)},
            "count": len(items), "cases": items}


def version(ctx: Context) -> tuple[int, tuple[int, ...], str]:
    """What a published answer depends on besides its period: the event log's position (every
    change of a case, withholding and reviewed text included, writes an event), the names on
    record (`_names_version`: a new user's name is scrubbed at once) and the minute (a deadline
    that passes turns an open milestone into a missed one). Equal versions, equal answers: a web
    process may keep an answer built under the same version (`mobile_api.public`)."""
    with reader(ctx) as uow:
        return uow.events.last_seq(), _names_version(uow), _minute(ctx)


def scrubber(ctx: Context) -> Scrubber:
    """The scrubber of every name on record (users' display names and usernames, sites' names
    and addresses), compiled once and kept while the names stay (`scrubbing.NameBook`)."""
    with reader(ctx) as uow:
        return ctx.names.scrubber((_names_version(uow), _minute(ctx)),
                                  lambda: [*uow.users.names(), *uow.sites.names()])


def _names_version(uow: UnitOfWork) -> tuple[int, ...]:
    return (*uow.users.names_version(), *uow.sites.names_version())


def _minute(ctx: Context) -> str:
    # Also bounds how long a name changed without changing its length goes unseen.
    return ctx.clock().strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class PublicText:
    """What a commander reads of a case's public text: as reviewed, who and when, and what the
    disclosure shows of it (after the scrubber, or the category's and status's words)."""

    problem: str | None
    result: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    published_problem: str
    published_result: str | None


def public_text(ctx: Context, incident: Incident) -> PublicText:
    scrub = scrubber(ctx)
    return PublicText(incident.public_problem, incident.public_result, incident.public_text_by,
                      incident.public_text_at, disclosure.public_problem(incident, scrub),
                      disclosure.public_result(incident, scrub))


def review_public_text(ctx: Context, user: User, incident_id: str, problem: str | None,
                       result: str | None) -> Incident:
    """Set the text the disclosure shows of a case: `None` keeps a field as it is, an empty
    text clears it (the category's or the status's words are shown again). The same text again
    changes nothing; a change is recorded with who and when, in a timeline event for command."""
    require_role(user, Role.COMMANDER)
    if problem is None and result is None:
        raise ValidationFailed.on("problem", "give the public problem, the result or both")
    checked = {}
    for field, text in (("problem", problem), ("result", result)):
        if text is not None:
            text = text.strip()
            if len(text) > PUBLIC_TEXT_MAX_CHARS:
                raise ValidationFailed.on(field, f"at most {PUBLIC_TEXT_MAX_CHARS} characters")
            checked[field] = text or None
    with ctx.uow() as uow:
        incident = uow.incidents.get(incident_id, for_update=True)
        if incident is None:
            raise NotFound(f"no incident {incident_id} that you may see")
        new_problem = checked.get("problem", incident.public_problem)
        new_result = checked.get("result", incident.public_result)
        if incident.review_public_text(user.id, ctx.clock(), new_problem, new_result):
            commit_and_publish(ctx, uow)
    return incident


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
