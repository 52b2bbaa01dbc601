"""`examsite collect serve` over real HTTP, on SQLite and on PostgreSQL (the `service` and `db`
fixtures run every test on both): the submission semantics of issue 17, CORS, the input limits,
and the Proview callback receiver, with ratings fetched from the local fake Proview API."""

from __future__ import annotations

import copy
import json
import os
import socket
import stat
import time
import uuid

import httpx

from generator.collect.payload import canonical
from generator.collect.database import open_storage
from generator.results.store import Callback

from .conftest import ORIGIN, TOKEN, payloads, stored, wait_for

CALLBACK = {"message": "Session Has Been Terminated", "external_id": "5506693",
            "session_uuid": "f46bd560-53f6-11eb-b441-492a960aa0ba"}


def fresh(payload: dict | None = None, **changes) -> dict:
    """A payload the runtime sent, under a new submission_id."""
    result = copy.deepcopy(payload or payloads()[0])
    result["submission_id"] = str(uuid.uuid4())
    result.update(changes)
    return result


def session() -> str:
    return str(uuid.uuid4())


def rows_of(db: str, submission_id: str) -> tuple[list, list]:
    """The stored rows and recorded conflicts of one submission_id."""
    storage = stored(db)
    try:
        rows = [r for r in storage.rows() if json.loads(r.body)["submission_id"] == submission_id]
        conflicts = [c for c in storage.conflicts() if c["submission_id"] == submission_id]
    finally:
        storage.close()
    return rows, conflicts


def rating(db: str, session_uuid: str):
    storage = stored(db)
    try:
        return storage.ratings().get(session_uuid)
    finally:
        storage.close()


def rated(db: str, session_uuid: str, value: str) -> bool:
    row = rating(db, session_uuid)
    return row is not None and row.final_rating == value


def stored_rating(db: str, session_uuid: str) -> tuple:
    """(status, timestamps, system_info, fetched_at) as stored, on either database."""
    query = "SELECT status, timestamps, system_info, fetched_at FROM ratings WHERE session_uuid = "
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as connection:
            return connection.execute(query + "%s", (session_uuid,)).fetchone()
    import sqlite3

    with sqlite3.connect(db) as connection:
        return connection.execute(query + "?", (session_uuid,)).fetchone()


def raw(service, data: bytes, wait: float = 5.0) -> bytes:
    """Send bytes on a new connection; the answer's head (or b"" when the connection closes)."""
    with socket.create_connection((service.host, service.port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        try:
            while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def answers_quickly(service) -> None:
    """A legitimate submission is still stored and answered within a second."""
    began = time.monotonic()
    response = service.submit(fresh())
    assert response.status_code == 201 and time.monotonic() - began < 1.0


# ------------------------------------------------------------------------------------------- submissions

def test_stored_once_identical_resend_and_conflict(service):
    first = fresh()
    created = service.submit(first, Origin=ORIGIN)
    assert created.status_code == 201
    receipt = created.json()["receipt"]
    assert receipt.startswith("sha256:") and created.json()["submission_id"] == first["submission_id"]
    assert created.headers["access-control-allow-origin"] == ORIGIN
    again = service.submit(first)
    assert (again.status_code, again.json()["receipt"]) == (200, receipt)
    other = {**first, "answers": {"solve-linear": "a"}}
    conflict = service.submit(other)
    assert conflict.status_code == 409 and conflict.json()["receipt"] == receipt
    (row,), (recorded,) = rows_of(service.db, first["submission_id"])
    assert json.loads(row.body) == first and row.body == canonical(first)  # the first is kept
    assert json.loads(recorded["body"])["answers"] == {"solve-linear": "a"}
    wait_for(lambda: f"submission {first['submission_id']} sent again with different content" in service.output())


def test_malformed_payloads_are_400_and_not_stored(service):
    base = payloads()[0]
    cases = [
        ({k: v for k, v in base.items() if k != "submission_id"}, "submission_id"),
        (fresh(part="1"), "part"),
        (fresh(kind="draft"), "kind"),
        (fresh(answers=["b"]), "answers"),
        ([fresh()], "JSON object"),
        (fresh(exam_id="no-such-exam"), "no exam 'no-such-exam'"),  # --keys knows no such exam
        (fresh(part=2, part_count=2), "has no part 2"),
        (fresh(answers={"q-invented": "a"}), "q-invented"),
    ]
    for body, problem in cases:
        response = service.submit(body)
        assert response.status_code == 400 and problem in json.dumps(response.json()), body
        if isinstance(body, dict) and "submission_id" in body:
            assert rows_of(service.db, body["submission_id"]) == ([], [])
    assert service.post("/submissions", content=b"{not json").status_code == 400


def test_cors_for_the_listed_origin_only(service):
    allowed = service.post("/submissions", method="OPTIONS", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-allow-methods"] == "POST"
    assert allowed.headers["access-control-allow-headers"].lower() == "content-type"
    evil = "http://127.0.0.1:2"
    refused = service.post("/submissions", method="OPTIONS", headers={
        "Origin": evil, "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    forged = fresh()
    posted = service.submit(forged, Origin=evil)
    assert posted.status_code == 403 and "access-control-allow-origin" not in posted.headers
    assert rows_of(service.db, forged["submission_id"]) == ([], [])
    assert "access-control-allow-origin" not in service.submit(fresh()).headers  # no Origin: not a browser


def test_bad_input_is_a_clean_4xx_or_a_closed_connection(service):
    head = f"POST /submissions HTTP/1.1\r\nHost: {service.host}:{service.port}\r\nContent-Type: application/json\r\n"
    # Oversized: refused from the Content-Length, before any of the body is sent.
    assert raw(service, (head + "Content-Length: 5000000\r\n\r\n").encode()).startswith(b"HTTP/1.1 413 ")
    answers_quickly(service)
    # Deeply nested, a 5000-digit integer, NaN: 400 with a reason.
    for body, reason in ((b"[" * 200_000 + b"]" * 200_000, "nested"),
                         (b'{"schema": 1, "part": ' + b"9" * 5000 + b"}", "digits"),
                         (b'{"schema": NaN}', "NaN")):
        response = service.post("/submissions", content=body)
        assert response.status_code == 400 and reason in response.json()["error"]
        answers_quickly(service)
    assert service.post("/submissions", payloads()[0], {"Content-Type": "text/plain"}).status_code == 415
    assert service.post("/submissions", payloads()[0],
                        {"Content-Type": "application/json; charset=latin-1"}).status_code == 415
    answers_quickly(service)
    chunked = raw(service, (head + "Transfer-Encoding: chunked\r\n\r\n5\r\n{}{}{\r\n0\r\n\r\n").encode())
    assert chunked.startswith(b"HTTP/1.1 411 ")
    # Slow clients: headers that never end, a body that never comes. Each holds a connection only
    # for the service's header / body time (1 s in these tests), and others are served meanwhile.
    slow = [socket.create_connection((service.host, service.port)) for _ in range(200)]
    for sock in slow:
        sock.sendall(head.encode())
    answers_quickly(service)
    slow_body = socket.create_connection((service.host, service.port))
    slow_body.sendall((head + "Content-Length: 100\r\n\r\n{").encode())
    answers_quickly(service)
    slow_body.settimeout(5)
    assert slow_body.recv(65536).startswith(b"HTTP/1.1 408 ")
    for sock in slow:
        sock.settimeout(5)
        assert sock.recv(100) == b""  # closed by the service
        sock.close()
    slow_body.close()
    answers_quickly(service)
    assert "Traceback" not in service.output()


def test_healthz_and_unknown_paths(service):
    assert service.post("/healthz", method="GET", headers={}).json() == {"ok": True}
    assert service.post("/", method="GET", headers={}).status_code == 404
    assert service.post("/submissions", method="GET", headers={}).status_code == 405


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path, start):
    db = tmp_path / "collect.sqlite"
    running = start(str(db))
    db.rename(tmp_path / "moved.sqlite")
    assert running.post("/healthz", method="GET", headers={}).status_code == 503
    (tmp_path / "moved.sqlite").rename(db)
    assert running.post("/healthz", method="GET", headers={}).status_code == 200


def test_sqlite_file_is_private(tmp_path, start):
    db = tmp_path / "collect.sqlite"
    running = start(str(db))
    assert running.submit(fresh()).status_code == 201
    for path in (db, tmp_path / "collect.sqlite-wal"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# ------------------------------------------------------------------------------------------- callbacks

def test_callback_sent_three_times_is_stored_once_and_rated_once(service, module_api):
    uuid_ = session()
    module_api.add_session(uuid_, "5506693", rating="high")
    body = {**CALLBACK, "session_uuid": uuid_}
    answers = [service.callback(body) for _ in range(3)]
    assert [(a.status_code, a.json()) for a in answers] == [
        (200, {"stored": True, "duplicate": False}), (200, {"stored": True, "duplicate": True}),
        (200, {"stored": True, "duplicate": True})]
    wait_for(lambda: rated(service.db, uuid_, "high"))
    storage = stored(service.db)
    (callback,) = [c for c in storage.callbacks() if c["session_uuid"] == uuid_]
    storage.close()
    assert (callback["external_id"], callback["message"], callback["times_received"]) == (
        "5506693", "Session Has Been Terminated", 3)
    status, timestamps, system_info, fetched_at = stored_rating(service.db, uuid_)
    assert status == "completed" and json.loads(timestamps) == {"session_started_at": "2022-05-05T11:38:26.231Z"}
    assert json.loads(system_info)["os"] == "Linux" and fetched_at.endswith("Z")
    time.sleep(0.2)
    assert module_api.count("GET", f"/v1/sessions/{uuid_}") == 1  # fetched once, not once per repeat
    wait_for(lambda: f"rating {uuid_}: high" in service.output())
    output = service.output()
    assert TOKEN not in output
    for secret in (module_api.password, module_api.app_id, module_api.username):
        assert secret not in output


def test_bad_callbacks_are_refused_and_nothing_is_stored_or_fetched(service, module_api):
    uuid_ = session()
    module_api.add_session(uuid_, "5506693")
    good = {**CALLBACK, "session_uuid": uuid_}
    cases = [
        ("GET", None, {}, None, 405),
        ("PUT", good, None, None, 405),
        ("POST", good, {"Content-Type": "text/plain"}, None, 415),
        ("POST", good, {"Content-Type": "application/json; charset=latin-1"}, None, 415),
        ("POST", b'{"session_uuid": ', None, None, 400),
        ("POST", b"\xff\xfe{}", None, None, 400),
        ("POST", [good], None, None, 400),
        ("POST", {**good, "x": "y" * 20000}, None, None, 413),
        ("POST", {"session_uuid": uuid_, "external_id": "1"}, None, None, 400),
        ("POST", {**good, "external_id": 5506693}, None, None, 400),
        ("POST", {**good, "session_uuid": ""}, None, None, 400),
        ("POST", json.dumps(good)[:-1].encode() + b', "n": ' + b"9" * 5000 + b"}", None, None, 400),
        ("POST", good, None, "/proview/callback/wrong-token-wrong-token", 404),
        ("POST", good, None, "/proview/callback/", 404),
        ("POST", good, None, f"/proview/callback/{TOKEN}x", 404),
        ("POST", good, None, "/", 404),
    ]
    for method, body, headers, path, status in cases:
        content = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
        response = service.post(path or f"/proview/callback/{TOKEN}", method=method, content=content,
                                headers={"Content-Type": "application/json"} if headers is None else headers)
        assert response.status_code == status, (method, body, path)
        assert response.json()["error"]
    head = f"POST /proview/callback/{TOKEN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    assert raw(service, (head + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode()) \
        .startswith(b"HTTP/1.1 411 ")
    storage = stored(service.db)
    assert [c for c in storage.callbacks() if c["session_uuid"] == uuid_] == []
    storage.close()
    time.sleep(0.1)
    assert module_api.count("GET", f"/v1/sessions/{uuid_}") == 0
    assert TOKEN not in service.output()


def test_ratings_pending_unknown_and_retried(db, start, fake_api, api_env):
    """A pending rating is asked again until it is final; a session Proview does not know is an
    error, not retried, until the callback comes again; a rated session is never fetched again;
    expired tokens mean one new login; a failing login is retried."""
    pending, unknown, later = session(), session(), session()
    fake_api.add_session(pending, "1", rating="medium", pending_reads=3)
    fake_api.inject[:] = [500]  # the first login fails once, then works
    running = start(db, env=api_env)
    assert running.callback({**CALLBACK, "session_uuid": pending}).status_code == 200
    wait_for(lambda: rated(db, pending, "medium"))
    assert fake_api.count("GET", f"/v1/sessions/{pending}") == 4  # three pending answers, then the rating
    assert fake_api.count("POST", "/v1/user/login", 500) == 1
    running.callback({**CALLBACK, "session_uuid": unknown})
    wait_for(lambda: rating(db, unknown) is not None)
    assert "no such session" in rating(db, unknown).error
    time.sleep(0.2)
    assert fake_api.count("GET", f"/v1/sessions/{unknown}") == 1
    fake_api.add_session(unknown, "2", rating="high")
    assert running.callback({**CALLBACK, "session_uuid": unknown}).json() == {"stored": True, "duplicate": True}
    wait_for(lambda: rated(db, unknown, "high"))
    assert rating(db, unknown).error is None
    running.callback({**CALLBACK, "session_uuid": unknown})
    fake_api.clock.advance(fake_api.expires_in + 1)  # every token Proview gave out expires
    fake_api.add_session(later, "3", rating="low")
    running.callback({**CALLBACK, "session_uuid": later})
    wait_for(lambda: rated(db, later, "low"))
    assert fake_api.count("GET", f"/v1/sessions/{unknown}") == 2
    assert fake_api.count("POST", "/v1/user/login", 200) == 2


def test_callback_left_over_from_an_earlier_run_is_rated_at_start(db, start, fake_api, api_env):
    uuid_ = session()
    fake_api.add_session(uuid_, "77", rating="low")
    storage = open_storage(db)
    storage.add_callback(Callback(uuid_, "77", "done"))
    storage.close()
    running = start(db, env=api_env)
    wait_for(lambda: rated(db, uuid_, "low"))
    again = running.callback({"session_uuid": uuid_, "external_id": "77", "message": "done"})
    assert again.json()["duplicate"] is True


def test_json_with_utf8_charset_and_extra_fields_is_accepted(service):
    response = service.callback({**CALLBACK, "session_uuid": session(), "extra": 1},
                                headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    assert (response.status_code, response.json()) == (200, {"stored": True, "duplicate": False})


def test_a_new_token_goes_to_a_private_file_never_to_the_log(tmp_path, start):
    running = start(str(tmp_path / "collect.sqlite"), "--callback-url-file", str(tmp_path / "url.txt"), token=None)
    url_file = tmp_path / "url.txt"
    assert stat.S_IMODE(url_file.stat().st_mode) == 0o600
    url = url_file.read_text().strip()
    assert url.startswith(running.base + "/proview/callback/")
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 16 and token.replace("-", "").replace("_", "").isalnum()
    assert httpx.post(url, json=CALLBACK).status_code == 200
    output = running.stop()
    assert token not in output and f"/proview/callback/{token[:4]}…" in output


def test_a_weak_token_missing_credentials_and_a_bad_origin_are_clear_errors(tmp_path):
    from click.testing import CliRunner

    from generator.cli import main

    runner = CliRunner()
    db = str(tmp_path / "c.sqlite")
    weak = runner.invoke(main, ["collect", "serve", "--db", db, "--callback-token", "abc"])
    assert weak.exit_code == 1 and "callback token must be 16 to 128" in weak.stderr
    env = {"PROVIEW_USERNAME": "", "PROVIEW_PASSWORD": "", "PROVIEW_APP_ID": ""}
    missing = runner.invoke(main, ["collect", "serve", "--db", db, "--callback-token", TOKEN, "--env", "dev"], env=env)
    assert missing.exit_code == 1 and "PROVIEW_USERNAME, PROVIEW_PASSWORD, PROVIEW_APP_ID" in missing.stderr
    bad_origin = runner.invoke(main, ["collect", "serve", "--db", db, "--no-fetch", "--origin", "https://x.edu/path"])
    assert bad_origin.exit_code == 1 and "is not an origin" in bad_origin.stderr
    assert "Traceback" not in weak.output + missing.output + bad_origin.output


def test_the_default_origin_is_that_of_the_sites_base_url(tmp_path, start):
    from .conftest import REPO

    running = start(str(tmp_path / "collect.sqlite"), "--config", str(REPO / "exams.yaml"), origins=())
    wait_for(lambda: "origins allowed: https://exams.example.edu;" in running.output())
    preflight = running.post("/submissions", method="OPTIONS", headers={
        "Origin": "https://exams.example.edu", "Access-Control-Request-Method": "POST"})
    assert preflight.headers["access-control-allow-origin"] == "https://exams.example.edu"


def test_healthz_is_503_while_postgresql_refuses_connections(postgres, start):
    import psycopg

    db = postgres.database(f"health_{uuid.uuid4().hex[:8]}")
    running = start(db)
    name = db.rsplit("/", 1)[1]
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        assert running.post("/healthz", method="GET", headers={}).status_code == 503
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    wait_for(lambda: running.post("/healthz", method="GET", headers={}).status_code == 200)
    assert "Traceback" not in running.output()


def test_with_a_link_secret_only_submissions_with_a_valid_token_are_stored(db, start):
    """EXAMSITE_LINK_SECRET set: a missing, forged, expired or borrowed launch-link token is a 403
    with its reason, and nothing is stored; the candidate's own valid token is accepted."""
    from datetime import datetime, timedelta, timezone

    from generator.results.links import make_token, secrets_from_env

    secret = "s" * 40
    secrets = secrets_from_env({"EXAMSITE_LINK_SECRET": secret})
    service = start(db, env={"EXAMSITE_LINK_SECRET": secret})
    base = fresh()
    exam, attendee = base["exam_id"], base["attendee_identifier"]
    later, earlier = datetime.now(timezone.utc) + timedelta(days=1), datetime.now(timezone.utc) - timedelta(days=1)
    valid = make_token(secrets, exam, attendee, later)
    cases = {
        "missing": None,
        "forged": valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB"),
        "expired": make_token(secrets, exam, attendee, earlier),
        "for another exam": make_token(secrets, exam + "-other", attendee, later),
        "for another attendee": make_token(secrets, exam, attendee + "-other", later),
    }
    for reason, token in cases.items():
        body = fresh(base, token=token)
        response = service.submit(body)
        assert (response.status_code, response.json()["reason"]) == (403, reason), reason
        assert rows_of(db, body["submission_id"]) == ([], [])
    accepted = service.submit(fresh(base, token=valid))
    assert accepted.status_code == 201, accepted.text
    assert secret not in "".join(service.out + service.err)
