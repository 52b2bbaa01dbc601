"""Receive Proview's termination callbacks (docs/proview.md).

Proview POSTs `{session_uuid, external_id, message}` (all required strings) to a URL the client
shares. Proview does not sign callbacks, so the URL carries a secret token:
`http://HOST:PORT/proview/callback/<token>`; any other path is 404 and stores nothing.

Each distinct callback is stored once (repeats only bump a counter) and answered 200 right away;
the session's rating is then fetched by a `RatingPoller` in the background. Everything else is a
4xx with a JSON `{"error": ...}`: 404 wrong path or token, 405 wrong method, 415 not JSON,
411 no Content-Length, 413 body over the limit, 400 malformed JSON or missing/non-string fields.
Log lines never show the token.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

from .store import Callback, Store, StoreError

CALLBACK_PATH = "/proview/callback/"
MAX_BODY_BYTES = 16 * 1024  # the documented body is under 200 bytes
FIELDS = ("session_uuid", "external_id", "message")
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")


class TokenError(ValueError):
    """A callback token that is too short or not URL-safe."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def check_token(token: str) -> str:
    if not _TOKEN_PATTERN.fullmatch(token):
        raise TokenError("the callback token must be 16 to 128 characters of A-Z, a-z, 0-9, "
                         "'-' and '_' (it becomes part of the URL)")
    return token


@dataclass(frozen=True)
class Rejection:
    status: int
    message: str


def parse_callback(content_type: str | None, body: bytes) -> Callback | Rejection:
    """The callback in a request body, or why it is refused. Pure."""
    media, _, params = (content_type or "").partition(";")
    if media.strip().lower() != "application/json":
        return Rejection(415, "Content-Type must be application/json")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        return Rejection(415, "the body must be UTF-8")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Rejection(400, "the body is not valid JSON")
    if not isinstance(data, dict):
        return Rejection(400, "the body must be a JSON object")
    missing = [f for f in FIELDS if not isinstance(data.get(f), str) or not data[f].strip()]
    if missing:
        return Rejection(400, f"missing or not a non-empty string: {', '.join(missing)}")
    return Callback(data["session_uuid"], data["external_id"], data["message"])


class RatingQueue(Protocol):
    def submit(self, session_uuid: str, external_id: str | None, delay: float = 0.0) -> None: ...


@dataclass(frozen=True)
class Receiver:
    store: Store
    token: str
    queue: RatingQueue | None  # None: store callbacks only, fetch nothing
    log: Callable[[str], None]
    max_body: int = MAX_BODY_BYTES

    @property
    def path(self) -> str:
        return CALLBACK_PATH + self.token


def make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    expected = receiver.path.encode()

    class CallbackHandler(BaseHTTPRequestHandler):
        server_version = "examsite-callbacks"
        sys_version = ""
        timeout = 10  # seconds; a client that stalls mid-request loses its thread's attention

        def _answer(self, status: int, payload: dict[str, Any], allow: bool = False) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            if allow:
                self.send_header("Allow", "POST")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _refuse(self, status: int, message: str, allow: bool = False) -> None:
            if self.close_connection:
                self._drain()
            self._answer(status, {"error": message}, allow)

        def _drain(self) -> None:
            """Read (and drop) what the client has already sent of a body we refuse, within a bound:
            closing a socket with unread data resets the connection, and the client may then lose
            the answer that says what was wrong."""
            self.connection.settimeout(0.2)
            remaining = 4 * receiver.max_body
            try:
                while remaining > 0:
                    chunk = self.rfile.read1(min(65536, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            except OSError:
                pass  # nothing more arrived in time, or the client went away

        def _route(self) -> None:
            path = urlsplit(self.path).path.encode("latin-1", "replace")
            if not hmac.compare_digest(path, expected):  # constant time: the token is a secret
                self._refuse(404, "not found")
                return
            if self.command != "POST":
                self._refuse(405, "only POST is accepted here", allow=True)
                return
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True  # we do not read chunked bodies
                self._refuse(411, "send a Content-Length, not a chunked body")
                return
            length_header = self.headers.get("Content-Length")
            if length_header is None or not length_header.strip().isdigit():
                self.close_connection = True
                self._refuse(411, "Content-Length required")
                return
            length = int(length_header)
            if length > receiver.max_body:
                self.close_connection = True  # the body is left unread
                self._refuse(413, f"body over {receiver.max_body} bytes")
                return
            body = self.rfile.read(length)
            if len(body) != length:
                self.close_connection = True
                self._refuse(400, "body shorter than its Content-Length")
                return
            parsed = parse_callback(self.headers.get("Content-Type"), body)
            if isinstance(parsed, Rejection):
                self._refuse(parsed.status, parsed.message)
                return
            try:
                new = receiver.store.add_callback(parsed)
            except StoreError as exc:
                receiver.log(f"callback not stored: {exc}")
                self._refuse(503, "could not store the callback; try again")  # Proview may retry
                return
            self._answer(200, {"stored": True, "duplicate": not new})
            if receiver.queue is not None and (new or not receiver.store.is_rated(parsed.session_uuid)):
                # A repeat of a callback whose fetch failed earlier is a cue to try again; the
                # queue ignores sessions already waiting, so repeats do not multiply fetches.
                receiver.queue.submit(parsed.session_uuid, parsed.external_id)

        do_POST = do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _route

        def log_message(self, format: str, *args: Any) -> None:
            # The request line holds the token; never let it reach a log.
            receiver.log((format % args).replace(receiver.token, "<token>"))

    return CallbackHandler


def make_server(host: str, port: int, receiver: Receiver) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(receiver))
    server.daemon_threads = True
    return server


def public_url(server: ThreadingHTTPServer, receiver: Receiver) -> str:
    host, port = server.server_address[:2]
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}{receiver.path}"
