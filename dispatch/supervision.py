"""What the person who reported a case does after it is solved: send it back (reopen).

No route calls this yet (the supervision issue adds it, with the complaint flows); it is here so
that the clocks' rounds are exercised end to end: new deadlines, new timers, new accountability.
"""

from __future__ import annotations

from dispatch.access import require_role, visible
from dispatch.context import Context, commit_and_publish
from dispatch.deadlines import plan_timers
from dispatch.model import Incident, Role, User


def reopen(ctx: Context, user: User, incident_id: str, note: str = "") -> Incident:
    """The reporter is not satisfied: the case is open again with a new resolve deadline for
    its units, counted from now (`Incident.reopen`), and the new round's timers are planned
    after the commit, as for a new report (or by the next sweep, should this process die)."""
    require_role(user, Role.REPORTER)
    with ctx.uow() as uow:
        incident = visible(user, uow.incidents.get(incident_id, for_update=True), incident_id)
        incident.reopen(ctx.clock(), ctx.settings.policies.for_category(incident.category),
                        user.id, note)
        commit_and_publish(ctx, uow)
    plan_timers(ctx, incident)
    return incident
