"""Which of the page's actions the signed-in role may take, read from the API's own routes: each
action's view declares its roles once (`@doc(roles=...)`, the OpenAPI's `x-roles`), and the page
shows only the forms of the actions its role may take. The page still holds no rule: the server
checks every request again (a dispatcher's extension only on its own unit's cases, for one), and
the page shows the server's refusal as it came."""

from __future__ import annotations

from flask import current_app

# The page's action -> the API view that does it.
ENDPOINTS = {
    "assign": "supervision.assign",
    "extend": "supervision.extend",
    "withhold": "public.withhold",
    "reply": "supervision.reply",
    "remind": "supervision.remind",
}


def allowed(role: str) -> dict[str, bool]:
    """Each action: whether `role` is among the roles its route declares."""
    may = {}
    for action, endpoint in ENDPOINTS.items():
        meta = getattr(current_app.view_functions[endpoint], "_openapi", {})
        roles = {r.strip() for r in str(meta.get("roles", "")).split(",") if r.strip()}
        may[action] = role in roles
    return may
