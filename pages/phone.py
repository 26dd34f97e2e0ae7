"""What every phone app (`/m/<app>/`) is served with: its page, manifest, icons, its service
worker with the shell's version, and the shell's files under a versioned path.

Why a versioned path: the service worker serves the shell's files from its precache, so a file's
url must change when the file does, or a deploy would keep running the old script (Signalen's
stale-app bug). Every file of the shell (the app's own, the shared modules, the vendored libraries
it uses, its page template and the shared templates it extends) is hashed; the hash is the version,
in every url (`/m/<app>/v/<version>/app/main.js`, `.../shared/outbox.js`,
`.../vendor/socket.io/...`), in the worker's precache list and so in the worker's bytes: the
browser sees a new worker at the next load after a deploy and takes it (skipWaiting,
clients.claim). The hash is computed again when a file's size or time changes, so no restart is
needed for it; `release` (a deploy's name) is mixed in too. The page is never served from the cache
first (pages/static/shared/sw.js).

The kill switch (`kill_switch`): the worker's url answers a worker that unregisters itself and
empties the caches, and the page registers none.

The modules of a page import each other relatively (`../shared/outbox.js`), so one versioned
prefix holds the whole graph. Pages know nothing of `server`: the composition root passes a
`PhoneSettings` with the folders and the switches.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (Blueprint, Flask, Response, abort, render_template, request, send_file,
                   url_for)
from flask.typing import ResponseReturnValue
from jinja2 import FileSystemLoader

VERSION_CHARS = 12
IMMUTABLE = "public, max-age=31536000, immutable"
SHELL_SUFFIXES = (".js", ".css", ".svg", ".png")  # what a shell folder serves (not its notes)
_IMPORT = re.compile(r'^import \{ flushInWorker \} from "\./swsync\.js";$', re.M)
_SHELL = re.compile(r"^const SHELL = \{.*\};.*$", re.M)


def phone_manifest(name: str, short_name: str, description: str,
                   theme_color: str) -> dict[str, Any]:
    """A phone app's web manifest (before `PhoneApp` adds its urls): Chinese, standalone,
    portrait, on white, its icons (`app/icons/`: the svg, 192 and 512 px, the 512 maskable)."""
    return {
        "name": name, "short_name": short_name, "lang": "zh-CN", "description": description,
        "display": "standalone", "orientation": "portrait",
        "background_color": "#ffffff", "theme_color": theme_color,
        "icons": [
            {"src": "app/icons/icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "app/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "app/icons/icon-512.png", "sizes": "512x512", "type": "image/png",
             "purpose": "any maskable"},
        ],
    }


@dataclass(frozen=True)
class PhoneSettings:
    """What the composition root tells the phone apps: where the shared modules, the shared
    templates (the page an app's template extends) and the vendored libraries are, the kill
    switch and the release name."""

    shared_dir: Path
    vendor_dir: Path
    templates_dir: Path | None = None
    kill_switch: bool = False
    release: str = ""


@dataclass
class Shell:
    """The files of an app shell and their version, recomputed when a file changes."""

    folders: dict[str, Path]  # url segment -> folder ("app", "shared", "vendor")
    vendor_files: tuple[str, ...]  # the vendored files the app uses, relative to vendor
    extra: tuple[Path, ...] = ()  # other inputs of the page (its template)
    release: str = ""
    _key: tuple[Any, ...] | None = field(default=None, repr=False)
    _version: str = field(default="", repr=False)

    def files(self) -> list[tuple[str, Path]]:
        """(url tail, path) of every shell file, sorted."""
        out: list[tuple[str, Path]] = []
        for seg, folder in self.folders.items():
            if seg == "vendor":
                out += [(f"vendor/{name}", folder / name) for name in self.vendor_files]
                continue
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix in SHELL_SUFFIXES:
                    out.append((f"{seg}/{path.relative_to(folder).as_posix()}", path))
        return sorted(out)

    def version(self) -> str:
        files = self.files()
        stats = [(t, p.stat().st_mtime_ns, p.stat().st_size) for t, p in files]
        stats += [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in self.extra]
        key = (tuple(stats), self.release)
        if key != self._key:
            self._version = shell_version(
                [(t, p.read_bytes()) for t, p in files] +
                [(p.name, p.read_bytes()) for p in self.extra], self.release)
            self._key = key
        return self._version

    def path_of(self, tail: str) -> Path | None:
        """The file for a url tail, only if it is one of the shell's (nothing else is served)."""
        return dict(self.files()).get(tail)


def shell_version(contents: Iterable[tuple[str, bytes]], release: str = "") -> str:
    """A hash of the shell's files (names and bytes) and the release name. Pure."""
    h = hashlib.sha256(release.encode())
    for name, data in sorted(contents):
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:VERSION_CHARS]


def content_security_policy() -> str:
    """Scripts, styles, workers, the manifest and connections only from this origin (the API,
    the `/live` socket); images also as `data:`/`blob:` (photos before they are sent)."""
    socket = ("wss://" if request.is_secure else "ws://") + request.host
    return "; ".join([
        "default-src 'none'", "script-src 'self'", "style-src 'self'",
        "img-src 'self' data: blob:", "connect-src 'self' " + socket, "font-src 'self'",
        "worker-src 'self'", "manifest-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])


class PhoneApp:
    """One app: `name` (its path `/m/<name>/`), its package folder (templates/<name>.html,
    static/, static/icons/), its manifest and the vendored files it loads."""

    def __init__(self, name: str, root: Path, manifest: dict[str, Any],
                 vendor_files: tuple[str, ...], settings: PhoneSettings) -> None:
        self.name, self.root, self.manifest, self.settings = name, root, manifest, settings
        self.prefix = f"/m/{name}"
        self.template_dirs = [root / "templates"]
        if settings.templates_dir is not None:
            self.template_dirs.append(settings.templates_dir)
        shared_pages = (sorted(settings.templates_dir.glob("*.html"))
                        if settings.templates_dir is not None else [])
        self.shell = Shell(
            folders={"app": root / "static", "shared": settings.shared_dir,
                     "vendor": settings.vendor_dir},
            vendor_files=vendor_files,
            extra=(root / "templates" / f"{name}.html", *shared_pages),
            release=settings.release)

    def asset(self, tail: str) -> str:
        """The versioned url of a shell file, e.g. asset("app/main.js")."""
        if self.shell.path_of(tail) is None:
            raise KeyError(f"{tail} is not a file of the {self.name} app's shell")
        return f"{self.prefix}/v/{self.shell.version()}/{tail}"

    def boot(self) -> dict[str, Any]:
        """What the page's scripts are told: the app, its paths and version, the switch."""
        version = self.shell.version()
        return {"app": self.name, "version": version, "scope": self.prefix + "/",
                "worker": self.prefix + "/sw.js", "base": f"{self.prefix}/v/{version}/",
                "worker_off": self.settings.kill_switch}

    def blueprint(self, page_context: Callable[[], dict[str, Any]] | None = None) -> Blueprint:
        bp = Blueprint(f"phone_{self.name}", __name__, template_folder=str(self.root / "templates"))
        # The app's templates first, then the shared ones its page extends.
        bp.jinja_loader = FileSystemLoader([str(d) for d in self.template_dirs])

        @bp.get(f"{self.prefix}/")
        def page() -> ResponseReturnValue:
            out = Response(render_template(
                f"{self.name}.html", asset=self.asset, boot=self.boot(),
                manifest=url_for(f"phone_{self.name}.manifest"),
                **(page_context() if page_context else {})), mimetype="text/html")
            out.headers["Cache-Control"] = "no-store"
            return out

        @bp.get(self.prefix)
        def bare() -> ResponseReturnValue:
            return Response(status=308, headers={"Location": self.prefix + "/"})

        @bp.get(f"{self.prefix}/manifest.webmanifest")
        def manifest() -> ResponseReturnValue:
            body = dict(self.manifest, start_url=self.prefix + "/", scope=self.prefix + "/",
                        id=self.prefix + "/")
            body["icons"] = [dict(i, src=self.asset(i["src"])) for i in body.get("icons", [])]
            out = Response(json.dumps(body, ensure_ascii=False),
                           mimetype="application/manifest+json")
            out.headers["Cache-Control"] = "no-store"
            return out

        @bp.get(f"{self.prefix}/sw.js")
        def worker() -> ResponseReturnValue:
            return self._worker(classic=request.args.get("classic") == "1")

        @bp.get(f"{self.prefix}/v/<version>/<path:tail>")
        def shell_file(version: str, tail: str) -> ResponseReturnValue:
            path = self.shell.path_of(tail)
            if path is None:
                abort(404)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if path.suffix in (".js", ".mjs"):
                kind = "text/javascript"
            out = send_file(path, mimetype=kind, conditional=True, etag=True, max_age=0)
            # The current version's files never change under their url; an old version's url
            # gets today's file, which must not be kept.
            out.headers["Cache-Control"] = (IMMUTABLE if version == self.shell.version()
                                            else "no-store")
            return out

        return bp

    def _worker(self, classic: bool) -> Response:
        shared = self.settings.shared_dir
        if self.settings.kill_switch:
            text = (shared / "swkill.js").read_text("utf-8")
        else:
            version = self.shell.version()
            base = f"{self.prefix}/v/{version}/"
            shell = {"app": self.name, "version": version, "page": self.prefix + "/",
                     "urls": [base + t for t, _ in self.shell.files()] +
                             [self.prefix + "/manifest.webmanifest"]}
            text = (shared / "sw.js").read_text("utf-8")
            text = _SHELL.sub(lambda _m: "const SHELL = " + json.dumps(shell) + ";", text, 1)
            line = ("const flushInWorker = null;  // a classic worker: no imports" if classic
                    else f'import {{ flushInWorker }} from "{base}shared/swsync.js";')
            text = _IMPORT.sub(lambda _m: line, text, 1)
        out = Response(text, mimetype="text/javascript")
        out.headers["Cache-Control"] = "no-store"
        return out


def register_app(app: Flask, phone: PhoneApp,
                 page_context: Callable[[], dict[str, Any]] | None = None) -> None:
    bp = phone.blueprint(page_context)

    @bp.after_request
    def _policy(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = content_security_policy()
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "same-origin"
        return response

    app.register_blueprint(bp)
