"""The list's searches, in SQL: by case number (exact) and by text (`q`).

`q` matches, ignoring case and as a substring, the case number, the description, the territory's
name, the site's name and the reporting enterprise's display name or user name; `%` and `_` in
it are plain characters. It narrows whatever scope the caller reads (a reporter its own cases,
a unit its own), never widens it: it is one more condition of `Incidents._where`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_

from dispatch.storage import tables as t


def by_number(number: str) -> Any:
    return t.incidents.c.case_number == number


def by_text(text: str) -> Any:
    inc, site, user = t.incidents.c, t.sites.c, t.users.c

    def has(column: Any) -> Any:
        return column.icontains(text, autoescape=True)

    return or_(has(inc.case_number), has(inc.description), has(inc.territory_name),
               exists().where(site.id == inc.site_id, has(site.name)),
               exists().where(user.id == inc.reporter_id,
                              or_(has(user.display_name), has(user.username))))
