"""The one way to reach a Flask app's `dispatch.context.Context`: typed, and found in one place.

`server.create_app` builds the Context (`server.bootstrap`) and installs it here; the views, the
socket handlers and the commands read it back with `dispatch_context()` (in a request, a socket
event or a command) or `of(app)`. It lives in `mobile_api`, below `server`, so that the views can
reach it without importing the composition root that imports them.
"""

from __future__ import annotations

from flask import Flask, current_app

from dispatch.context import Context

# The key of `app.extensions`; tests may still read `app.extensions["dispatch"]` directly.
KEY = "dispatch"


def install(app: Flask, ctx: Context) -> None:
    """Once per app: the Context is finished when it is installed, and never swapped after."""
    if KEY in app.extensions:
        raise RuntimeError("this app has its Context already")
    app.extensions[KEY] = ctx


def of(app: Flask) -> Context:
    ctx = app.extensions.get(KEY)
    if not isinstance(ctx, Context):
        raise RuntimeError("this app has no Context: build it with server.create_app()")
    return ctx


def dispatch_context() -> Context:
    """The Context of the app handling this request, socket event or command."""
    return of(current_app)
