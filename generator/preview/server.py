"""The dev server's HTTP side: the published build, the error overlay, the preview aid and the
local submission endpoint, on a livereload Server.

Pages are served from the current build, held in memory (incremental.Result.files: one whole
build, replaced in one assignment, so no request sees half of one). The dev server adds to each
HTML page, never to the files: the preview aid (before the runtime, which it needs to precede)
and, while the input has errors, the overlay listing them. Everything of its own lives under
/__examsite/.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import mimetypes
import socket
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable
from urllib.parse import urlsplit

from livereload import Server
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from livereload.server import LiveScriptInjector
from tornado import escape, httputil, web

from generator.preview.site import Result
from generator.preview.submissions import StoreError, SubmissionStore

AID_FILES = {"preview-aid.js": "text/javascript; charset=utf-8", "preview-aid.css": "text/css; charset=utf-8"}
AID_DIR = Path(__file__).parent / "aid"
SUBMISSIONS_PATH = "/__examsite/submissions"
MAX_SUBMISSION_BYTES = 5 * 1024 * 1024
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# livereload's snippet, as its own application() injects it: the page asks for livereload.js, which
# opens the socket, on the port the page came from.
LIVE_SCRIPT = ('<script type="text/javascript">(function(){var s=document.createElement("script");'
               "var port=(window.location.port || (window.location.protocol == 'https:' ? 443: 80));"
               's.src="//"+window.location.hostname+":"+port+ "/livereload.js?port=" + port;'
               "document.head.appendChild(s);})();</script>")


def _ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Is `host` (as given to --host) reachable from this machine only?"""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HostGuard:
    """The Host headers the preview answers. A page of another site whose name was made to point
    at this machine (DNS rebinding) sends its own name as Host: refused, it reads no answer key.
    A Host that is an IP address is no such name, so a server listening on every address (--host
    0.0.0.0 --allow-network) answers any of its addresses, and the machine's name."""

    names: frozenset[str]  # lower case; IPv6 addresses in brackets, as in a Host header
    port: int
    any_address: bool = False

    @staticmethod
    def serving(host: str, port: int) -> "HostGuard":
        any_address = host in ("", "0.0.0.0", "::")
        given = f"[{host}]" if ":" in host and not host.startswith("[") else host
        names = {*LOOPBACK_NAMES, given.lower().rstrip(".")}
        if any_address:
            machine = socket.gethostname().lower()
            names |= {machine, f"{machine}.local"}
        return HostGuard(frozenset(names), port, any_address)

    def allows(self, header: str) -> bool:
        """Does a request with this Host header (name or [IPv6], then :port unless 80) come to us?"""
        if header.startswith("["):
            end = header.find("]") + 1
            name, port = header[:end], header[end:] if end else ":"
        else:
            name, colon, number = header.partition(":")
            port = colon + number
        if port and not (port[0] == ":" and port[1:].isdigit()):
            return False
        if (int(port[1:]) if port else 80) != self.port or not name:
            return False
        name = name.lower().rstrip(".")
        return name in self.names or (self.any_address and _ip_literal(name))


@dataclass(frozen=True)
class Published:
    """What the server serves right now; replaced whole, on the event loop, after each build."""

    serial: int  # bumps on every publish, errors-only ones included; pages carry theirs
    result: Result


class Preview:
    """The handlers' view of the current publication."""

    def __init__(self) -> None:
        self.current: Published | None = None


def overlay_html(result: Result) -> str:
    if not result.errors:
        return ""
    lines = "\n".join(html.escape(str(d)) for d in result.diagnostics)
    kept = "the page shows the last good build" if result.files else "nothing has built yet"
    return (f'<div id="examsite-overlay" role="alert"><h2>{len(result.errors)} error(s): {kept}</h2>'
            f"<pre>{lines}</pre><p>Save a fix and this page reloads.</p></div>")


def decorate(page: bytes, published: Published) -> bytes:
    """The page plus the preview aid (at the end of <head>, before the runtime) and the overlay."""
    aid = (f'<link rel="stylesheet" href="/__examsite/preview-aid.css">'
           f'<script src="/__examsite/preview-aid.js" data-generation="{published.serial}"></script>').encode()
    head = page.find(b"</head>")
    page = page[:head] + aid + page[head:] if head >= 0 else aid + page
    overlay = overlay_html(published.result).encode()
    body = page.rfind(b"</body>")
    return page[:body] + overlay + page[body:] if body >= 0 else page + overlay


def _plain_page(title: str, content: str) -> bytes:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f'</head><body><main class="examsite-index">{content}</main></body></html>').encode()


def index_page(result: Result, base: str) -> bytes:
    items = []
    for exam in result.exams:
        parts = "".join(f'<li><a href="/{url}">{html.escape(title)}</a> <code>{html.escape(base + url)}</code></li>'
                        for title, url in exam.parts)
        items.append(f"<li><strong>{html.escape(exam.title)}</strong> ({html.escape(exam.exam_id)})"
                     f"<ul>{parts}</ul></li>")
    listing = f"<ul>{''.join(items)}</ul>" if items else "<p>No exam has built yet.</p>"
    return _plain_page("examsite preview", f"<h1>examsite preview</h1>{listing}"
                                           f"<p>Submissions go to <code>{SUBMISSIONS_PATH}</code>; "
                                           "list them with <code>examsite submissions</code>.</p>")


class _Handler(web.RequestHandler):
    def initialize(self, preview: Preview, store: SubmissionStore | None = None,
                   echo: Callable[[str], None] | None = None) -> None:
        self.preview = preview
        self.store = store
        self.echo = echo or (lambda line: None)

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")  # a reload always gets the latest build
        self.set_header("X-Content-Type-Options", "nosniff")

    def published(self) -> Published:
        current = self.preview.current
        if current is None:
            raise web.HTTPError(503)
        return current

    def write_page(self, page: bytes, published: Published, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(decorate(page, published))


class SiteHandler(_Handler):
    """The build's files, as a static host would serve them (folder URLs, index.html)."""

    def get(self, path: str) -> None:
        published = self.published()
        if path == "":
            host = self.request.host
            self.write_page(index_page(published.result, f"{self.request.protocol}://{host}/"), published)
            return
        parts = PurePosixPath(path).parts
        if ".." in parts or path.startswith("/"):
            raise web.HTTPError(404)
        name = path + "index.html" if path.endswith("/") else path
        files = published.result.files
        if name not in files and f"{path}/index.html" in files:
            self.redirect(f"/{path}/")
            return
        if name not in files and name == "favicon.ico":
            self.set_status(204)  # browsers ask on every page; a build has none, and a 404 is noise
            self.finish()
            return
        if name not in files:
            self.write_page(_plain_page("Not found", f"<h1>Not found</h1><p><code>/{html.escape(path)}</code> is "
                                                     'not in the current build. <a href="/">All exams</a></p>'),
                            published, 404)
            return
        content = files[name]
        exam_id = parts[0] if parts else ""
        if name.endswith(".html"):
            policy = published.result.policies.get(exam_id)
            if policy:  # as the production host sends it (_headers), on top of the page's <meta>
                self.set_header("Content-Security-Policy", policy)
            self.write_page(content, published)
            return
        self.set_header("Content-Type", mimetypes.guess_type(name)[0] or "application/octet-stream")
        self.finish(content)


class AidHandler(_Handler):
    def get(self, name: str) -> None:
        if name not in AID_FILES:
            raise web.HTTPError(404)
        self.set_header("Content-Type", AID_FILES[name])
        self.finish((AID_DIR / name).read_bytes())


class KeyHandler(_Handler):
    """Answer keys for the preview aid: kept apart from the build's files, never served among them."""

    def get(self, exam_id: str) -> None:
        key = self.published().result.keys.get(exam_id)
        if key is None:
            raise web.HTTPError(404)
        self.set_header("Content-Type", "application/json")
        self.finish(key)


class GenerationHandler(_Handler):
    def get(self) -> None:
        published = self.published()
        self.set_header("Content-Type", "application/json")
        self.finish({"generation": published.serial, "errors": [str(d) for d in published.result.errors]})


@web.stream_request_body
class SubmissionsHandler(_Handler):
    """The local submission endpoint: stores each POST's body as received. The body is taken as
    it streams in, so one that says it is too large is refused before any of it is read (one sent
    in chunks, with no length said, is cut off by the server's max_body_size)."""

    def prepare(self) -> None:
        self._body = bytearray()
        declared = self.request.headers.get("Content-Length", "0")
        if not declared.isdigit() or int(declared) > MAX_SUBMISSION_BYTES:
            raise web.HTTPError(413)

    def data_received(self, chunk: bytes) -> None:
        self._body += chunk

    def post(self) -> None:
        assert self.store is not None
        # What the runtime sends; a page of another site cannot send it without a CORS
        # preflight, which this endpoint never grants.
        if self.request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self.send_error(415, reason="send the payload as application/json")
            return
        try:
            body = self._body.decode("utf-8")
            payload = json.loads(body)
        except ValueError:
            self.send_error(400, reason="the body is not JSON")
            return
        if not isinstance(payload, dict):
            self.send_error(400, reason="the body is not a JSON object")
            return
        try:
            row = self.store.add(body)
        except StoreError as error:
            self.echo(f"error: {error}")
            raise web.HTTPError(500) from None
        self.echo(f"submission #{row} stored: {payload.get('exam_id')} part {payload.get('part')}, "
                  f"{payload.get('kind')} ({payload.get('reason')}), attendee {payload.get('attendee_identifier')}")
        self.set_status(201)
        self.finish({"id": row, "submission_id": payload.get("submission_id")})

    def get(self) -> None:
        assert self.store is not None
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps([{"id": s.id, "received_at": s.received_at, "payload": s.payload}
                                for s in self.store.all()]))


def handlers(preview: Preview, store: SubmissionStore, echo: Callable[[str], None]) -> list:
    state = {"preview": preview}
    return [
        (r"/__examsite/submissions", SubmissionsHandler, {"preview": preview, "store": store, "echo": echo}),
        (r"/__examsite/generation", GenerationHandler, state),
        (r"/__examsite/keys/([A-Za-z0-9_-]+)\.json", KeyHandler, state),
        (r"/__examsite/([a-z.-]+)", AidHandler, state),
        (r"/(.*)", SiteHandler, state),
    ]


class MisdirectedHandler(web.RequestHandler):
    """The answer to a request for another host: 421, and nothing of the preview."""

    def prepare(self) -> None:
        self.set_status(421, httputil.responses.get(421, "Misdirected Request"))
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("examsite serve answers only the host names it was started with\n")


class GuardedApplication(web.Application):
    """Every request, the live-reload socket's included, is checked against the host guard before
    any handler sees it."""

    def __init__(self, guard: HostGuard, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.guard = guard

    def find_handler(self, request: httputil.HTTPServerRequest, **kwargs):  # type: ignore[no-untyped-def]
        if not self.guard.allows(request.headers.get("Host", "")):
            return self.get_handler_delegate(request, MisdirectedHandler)
        return super().find_handler(request, **kwargs)


class LiveSocket(LiveReloadHandler):
    """livereload's socket, opened only from the preview's own pages (livereload accepts any origin)."""

    def check_origin(self, origin: str) -> bool:
        guard = self.application.guard  # type: ignore[attr-defined]
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and guard.allows(parts.netloc)


class DevServer(Server):
    """livereload's Server with our handlers in place of its static file handler, served by a
    GuardedApplication. (The pages get livereload's inline client snippet, which Proview's
    script-src 'unsafe-inline' already allows: the preview adds nothing to script-src for it.)"""

    def __init__(self, routes: list, watcher, guard: HostGuard) -> None:  # type: ignore[no-untyped-def]
        super().__init__(watcher=watcher)
        self._routes = routes
        self.guard = guard

    def application(self, port, host, liveport=None, debug=None, live_css=True):  # type: ignore[no-untyped-def]
        """livereload's own, on one port and without its /forcereload (which any page could
        call), in a GuardedApplication that reads no request body larger than a submission."""
        LiveReloadHandler.watcher = self.watcher
        LiveReloadHandler.live_css = live_css

        class Injector(LiveScriptInjector):
            script = escape.utf8(LIVE_SCRIPT)

        routes = [(r"/livereload", LiveSocket), (r"/livereload.js", LiveReloadJSHandler), *self._routes]
        application = GuardedApplication(self.guard, routes, transforms=[Injector])
        application.listen(port, address=host, max_body_size=MAX_SUBMISSION_BYTES)

    def _setup_logging(self) -> None:
        # livereload logs every poll and every browser at INFO; the command prints its own lines.
        logging.getLogger("livereload").setLevel(logging.WARNING)
