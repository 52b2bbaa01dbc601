"""A local fake of Proview's login and session-details APIs (seed 002), on 127.0.0.1.

What it can do, for the tests:
- log in with one username/password, handing out tokens that expire after `expires_in` seconds
  of a shared `FakeClock` (so tests move time instead of waiting);
- answer `GET /v1/sessions/<uuid>` only with a live token and the right app-id (401 / 403);
- keep a rating pending (`final_rating: ""`) for the first N reads of a session;
- fail the next requests with injected status codes (e.g. 500) or drop the connection;
- revoke every token, so the next read gets a 401.
Every request is logged (method, path, auth header present, app-id) for assertions.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class FakeProview:
    clock: FakeClock
    username: str = "admin@example.edu"
    password: str = field(default="s3cret-pass", repr=False)
    app_id: str = "app-123"
    expires_in: int = 10800
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending_reads: dict[str, int] = field(default_factory=dict)  # uuid -> reads still pending
    inject: list[int] = field(default_factory=list)  # statuses for the next requests; 0 = drop
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry on the clock
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_session(self, uuid: str, external_id: str, rating: str = "high",
                    pending_reads: int = 0) -> None:
        self.sessions[uuid] = {
            "id": len(self.sessions) + 1, "uuid": uuid, "title": "Test assessment",
            "external_id": external_id, "type": "ai_proctor", "final_rating": rating,
            "status": "completed", "video_stream_url": None, "attendee_id": 4042,
            "proctor_event_id": None, "session_started_at": "2022-05-05T11:38:26.231Z",
            "system_info": {"ip": "203.0.113.7", "browser": "Chrome", "os": "Linux"},
        }
        self.pending_reads[uuid] = pending_reads

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def count(self, method: str, prefix: str, status: int | None = None) -> int:
        with self.lock:
            return sum(1 for m, p, s in self.log
                       if m == method and p.startswith(prefix) and (status is None or s == status))

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        with self.lock:
            if self.inject:
                return self.inject.pop(0), {"message": "injected failure"}
            if method == "POST" and path == "/v1/user/login":
                try:
                    creds = json.loads(body)
                except ValueError:
                    return 400, {"message": "bad json"}
                if creds != {"username": self.username, "password": self.password}:
                    return 401, {"message": "invalid credentials"}
                token = secrets.token_hex(16)
                self.tokens[token] = self.clock() + self.expires_in
                return 200, {"access_token": token, "refresh_token": "r-" + token,
                             "grant_type": "Bearer", "expires_in": self.expires_in}
            if method == "GET" and path.startswith("/v1/sessions/"):
                auth = headers.get("Authorization", "")
                token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
                if self.tokens.get(token, 0) <= self.clock():
                    return 401, {"message": "token expired or unknown"}
                if headers.get("app-id") != self.app_id:
                    return 403, {"message": "app-id not white-listed"}
                uuid = path[len("/v1/sessions/"):]
                if uuid not in self.sessions:
                    return 404, {"message": "not found"}
                details = dict(self.sessions[uuid])
                if self.pending_reads.get(uuid, 0) > 0:
                    self.pending_reads[uuid] -= 1
                    details["final_rating"] = ""
                return 200, details
            return 404, {"message": "no route"}


def serve(fake: FakeProview) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = fake.handle(self.command, self.path, self.headers, body)
            with fake.lock:
                fake.log.append((self.command, self.path, status))
            if status == 0:  # simulate a dropped connection
                self.close_connection = True
                self.connection.shutdown(2)
                return
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
