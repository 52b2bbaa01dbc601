"""The callback receiver over real HTTP, fetching ratings from the local fake Proview API."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from generator.results.callbacks import Receiver, check_token, make_server, public_url, TokenError
from generator.results.poller import RatingPoller
from generator.results.store import Store

TOKEN = "tok_" + "A1b2C3d4E5f6G7h8"
UUID = "f46bd560-53f6-11eb-b441-492a960aa0ba"
BODY = {"message": "Session Has Been Terminated", "external_id": "5506693", "session_uuid": UUID}


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError("condition not met in time")


class Running:
    def __init__(self, tmp_path, client, pending_retry=0.02, fetch=True):
        self.logs: list[str] = []
        self.store = Store(tmp_path / "results.sqlite").initialise()
        self.poller = RatingPoller(client, self.store, pending_retry, self.logs.append).start() if fetch else None
        self.receiver = Receiver(self.store, TOKEN, self.poller, self.logs.append)
        self.server = make_server("127.0.0.1", 0, self.receiver)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = public_url(self.server, self.receiver)

    def request(self, method="POST", body=BODY, headers=None, path=None):
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json"} if headers is None else headers
        conn.request(method, path or parts.path, body=data, headers=hdrs)
        response = conn.getresponse()
        text = response.read()
        conn.close()
        return response.status, json.loads(text) if text else None

    def rating(self, uuid=UUID):
        row = self.store.ratings().get(uuid)
        return row.final_rating if row else None

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        if self.poller:
            self.poller.stop()


@pytest.fixture
def running(tmp_path, client):
    r = Running(tmp_path, client)
    yield r
    r.close()


def test_url_shape_and_token_rules(running):
    assert running.url.endswith(f"/proview/callback/{TOKEN}")
    assert running.url.startswith("http://127.0.0.1:")
    with pytest.raises(TokenError):
        check_token("short")
    with pytest.raises(TokenError):
        check_token("has/a/slash/in/it/which/is/bad")


def test_callback_sent_three_times_is_stored_once_and_rated(running, fake_api):
    fake_api.add_session(UUID, "5506693", rating="high")
    answers = [running.request() for _ in range(3)]
    assert answers == [(200, {"stored": True, "duplicate": False}),
                       (200, {"stored": True, "duplicate": True}),
                       (200, {"stored": True, "duplicate": True})]
    (stored,) = running.store.callbacks()
    assert (stored["session_uuid"], stored["external_id"], stored["message"]) == (
        UUID, "5506693", "Session Has Been Terminated")
    assert stored["times_received"] == 3
    wait_for(lambda: running.rating() == "high")
    assert fake_api.count("GET", "/v1/sessions/") == 1  # fetched once, not once per repeat
    assert not any(TOKEN in line for line in running.logs)


def test_a_session_queued_after_its_rating_was_stored_is_not_fetched_again(running, fake_api):
    """The receiver checks is_rated, then queues: a rating stored in between must not be fetched twice."""
    fake_api.add_session(UUID, "5506693", rating="high")
    running.request()
    wait_for(lambda: running.rating() == "high")
    running.poller.submit(UUID, "5506693")  # as a repeat that saw the session unrated just before
    running.poller.submit("another-session", None)  # queued after it: done means the first was handled
    wait_for(lambda: any("another-session" in line for line in running.logs))
    assert fake_api.count("GET", "/v1/sessions/") == 2  # UUID once, another-session once


def test_stored_rating_keeps_status_timestamps_and_system_info(running, fake_api, tmp_path):
    import sqlite3
    fake_api.add_session(UUID, "5506693", rating="medium")
    running.request()
    wait_for(lambda: running.rating() == "medium")
    with sqlite3.connect(tmp_path / "results.sqlite") as conn:
        status, ts, info, fetched = conn.execute(
            "SELECT status, timestamps, system_info, fetched_at FROM ratings").fetchone()
    assert status == "completed"
    assert json.loads(ts) == {"session_started_at": "2022-05-05T11:38:26.231Z"}
    assert json.loads(info)["os"] == "Linux" and fetched.endswith("Z")


@pytest.mark.parametrize("method, body, headers, path, status", [
    ("GET", None, {}, None, 405),
    ("PUT", BODY, None, None, 405),
    ("POST", BODY, {"Content-Type": "text/plain"}, None, 415),
    ("POST", BODY, {"Content-Type": "application/json; charset=latin-1"}, None, 415),
    ("POST", b"{\"session_uuid\": ", None, None, 400),
    ("POST", b"\xff\xfe{}", None, None, 400),
    ("POST", [BODY], None, None, 400),
    ("POST", {**BODY, "x": "y" * 20000}, None, None, 413),
    ("POST", {"session_uuid": UUID, "external_id": "1"}, None, None, 400),
    ("POST", {**BODY, "external_id": 5506693}, None, None, 400),
    ("POST", {**BODY, "session_uuid": ""}, None, None, 400),
    ("POST", BODY, None, "/proview/callback/wrong-token-wrong-token", 404),
    ("POST", BODY, None, "/proview/callback/", 404),
    ("POST", BODY, None, f"/proview/callback/{TOKEN}x", 404),
    ("POST", BODY, None, "/", 404),
])
def test_bad_requests_are_refused_and_nothing_is_stored(running, fake_api, method, body, headers,
                                                        path, status):
    fake_api.add_session(UUID, "5506693")
    got, answer = running.request(method, body, headers, path)
    assert got == status
    if method != "HEAD":
        assert answer["error"]
    assert running.store.callbacks() == []
    time.sleep(0.02)
    assert fake_api.log == []  # nothing was fetched either


def test_chunked_body_is_refused(running):
    parts = urlsplit(running.url)
    body = json.dumps(BODY).encode()
    request = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
               f"Transfer-Encoding: chunked\r\n\r\n{len(body):x}\r\n").encode() + body + b"\r\n0\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request)
        response = sock.makefile("rb").readline()
    assert response.split()[1] == b"411"
    assert running.store.callbacks() == []


def test_token_expiry_between_callbacks_is_handled(running, fake_api):
    second = "0b0d9a1e-0000-4000-8000-000000000002"
    fake_api.add_session(UUID, "1", rating="high")
    fake_api.add_session(second, "2", rating="low")
    running.request()
    wait_for(lambda: running.rating() == "high")
    fake_api.clock.advance(fake_api.expires_in + 1)
    running.request(body={**BODY, "session_uuid": second, "external_id": "2"})
    wait_for(lambda: running.rating(second) == "low")
    assert fake_api.count("POST", "/v1/user/login", 200) == 2
    assert fake_api.count("GET", "/v1/sessions/", 401) == 0


def test_api_500_is_retried(running, fake_api):
    fake_api.add_session(UUID, "5506693", rating="low")
    fake_api.inject[:] = [500, 500]  # the login fails twice, then works
    assert running.request()[0] == 200
    wait_for(lambda: running.rating() == "low")
    assert fake_api.count("POST", "/v1/user/login", 500) == 2


def test_pending_rating_is_filled_in_later(running, fake_api):
    fake_api.add_session(UUID, "5506693", rating="medium", pending_reads=3)
    running.request()
    wait_for(lambda: UUID in running.store.ratings())
    wait_for(lambda: running.rating() == "medium")
    assert fake_api.count("GET", "/v1/sessions/") == 4  # three pending answers, then the rating
    assert running.store.unrated_callbacks() == []


def test_unknown_session_is_recorded_as_an_error_not_retried(running, fake_api):
    running.request()
    wait_for(lambda: UUID in running.store.ratings())
    row = running.store.ratings()[UUID]
    assert row.final_rating is None and "no such session" in row.error
    time.sleep(0.1)
    assert fake_api.count("GET", "/v1/sessions/") == 1


def test_a_repeated_callback_retries_a_failed_fetch_but_not_a_rated_one(running, fake_api):
    running.request()  # Proview does not know the session yet: 404, stored as an error
    wait_for(lambda: UUID in running.store.ratings())
    fake_api.add_session(UUID, "5506693", rating="high")
    assert running.request() == (200, {"stored": True, "duplicate": True})
    wait_for(lambda: running.rating() == "high")
    assert running.store.ratings()[UUID].error is None
    running.request()
    time.sleep(0.05)
    assert fake_api.count("GET", "/v1/sessions/") == 2


def test_exam_id_of_the_wrong_type_is_a_problem_not_a_crash():
    from generator.results.grade import grade
    from generator.results.sources import Record
    result = grade({}, [Record("x.jsonl:1", {"schema": 1, "kind": "final", "submission_id": "s",
                                             "exam_id": ["not", "text"]})])
    assert [str(p) for p in result.problems] == ["x.jsonl:1: unknown exam ['not', 'text'] (no answer key)"]


def test_json_with_utf8_charset_and_extra_fields_is_accepted(running, fake_api):
    fake_api.add_session(UUID, "5506693")
    status, answer = running.request(body={**BODY, "extra": 1},
                                     headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    assert (status, answer) == (200, {"stored": True, "duplicate": False})
    assert len(running.store.callbacks()) == 1
