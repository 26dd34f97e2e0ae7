"""The pages people open in a browser, each a room of its own on one shared ground:

- `command/`: the command center (`/command`), for commanders and dispatchers;
- `public/`: the public disclosure page (`/public/cases`), for anyone, with no script;
- `static/shared/`: the ES modules every page with a script imports (`/static/shared/...`):
  sign-in and token renewal, the `/live` link, the label catalogue, UTC+8, the tiles' datum;
- `report/`: the reporter's phone app (`/m/report/`), an installable web app on the same
  shared layer (its phone modules: `static/shared/PHONE.md`); next, `officer/` for field
  officers.

A page shows what the API and the label catalogue (`dispatch/labels.py`) say; it holds no rule.
The pages import the API's layer (`mobile_api`) and the domain, never the composition root
(`server`): what they need of the configuration comes as `settings.PageSettings`, built by the
server and handed to `register`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from pages.settings import PageSettings


def register(app: Flask, settings: PageSettings) -> None:
    """Every page's routes, on an app whose bearer API is registered (the pages call it)."""
    from flask import Blueprint

    from pages import command, public
    from pages import settings as page_settings

    page_settings.install(app, settings)
    # The shared layer, at the path the pages' modules import it by.
    app.register_blueprint(Blueprint("shared", __name__, static_folder="static/shared",
                                     static_url_path="/static/shared"))
    command.register(app)
    public.register(app)
