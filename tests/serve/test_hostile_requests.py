"""The preview against hostile requests: other hosts' names (DNS rebinding), other sites' sockets,
oversized bodies, listening on the network, deep input; and the file that keeps candidates' answers."""

from __future__ import annotations

import http.client
import os
import socket
import stat

import pytest

from generator.preview.submissions import SubmissionStore

from .conftest import copy_examples, free_port, run_cli, save, start_server

ROUTES = ["/", "/algebra-quiz/", "/__examsite/keys/algebra-quiz.json", "/__examsite/submissions",
          "/__examsite/generation", "/__examsite/preview-aid.js", "/livereload.js", "/livereload"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    running = start_server(copy_examples(tmp_path_factory.mktemp("hostile") / "site"))
    yield running
    running.stop()


def request(port: int, path: str, host: str, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True)
        connection.putheader("Host", host)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def raw(port: int, head: bytes) -> bytes:
    """What the server answers to `head` alone, sent as is (no body follows)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        return sock.recv(200)


@pytest.mark.parametrize("host", ["attacker.example:{port}", "attacker.example", "127.0.0.1.attacker.example:{port}",
                                  "localhost:1", "", "[::1"])
def test_other_hosts_get_421_on_every_route(shared, host):
    host = host.format(port=shared.port)
    for path in ROUTES:
        status, body = request(shared.port, path, host)
        assert status == 421 and body == b"examsite serve answers only the host names it was started with\n", \
            (path, status, body[:200])
    status, _ = request(shared.port, "/__examsite/submissions", host, "POST", b'{"kind": "rebound-421"}',
                        {"Content-Type": "application/json"})
    assert status == 421
    database = shared.site / ".examsite" / "submissions.sqlite"
    assert not database.exists() or b"rebound-421" not in database.read_bytes()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST.:{port}"])
def test_its_own_host_names_are_answered(shared, host):
    status, body = request(shared.port, "/__examsite/keys/algebra-quiz.json", host.format(port=shared.port))
    assert status == 200 and b"solve-linear" in body


def upgrade(port: int, origin: str, host: str | None = None) -> bytes:
    host = host or f"127.0.0.1:{port}"
    return raw(port, (f"GET /livereload HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                      f"Origin: {origin}\r\n\r\n").encode())


def test_the_live_reload_socket_opens_only_for_the_previews_own_pages(shared):
    assert upgrade(shared.port, f"http://127.0.0.1:{shared.port}").startswith(b"HTTP/1.1 101 ")
    assert upgrade(shared.port, f"http://attacker.example:{shared.port}").startswith(b"HTTP/1.1 403 ")
    assert upgrade(shared.port, "null").startswith(b"HTTP/1.1 403 ")
    assert upgrade(shared.port, f"http://attacker.example:{shared.port}",
                   f"attacker.example:{shared.port}").startswith(b"HTTP/1.1 421 ")


def test_an_oversized_post_is_refused_from_its_content_length(shared):
    """The answer comes before any of the body is sent: it was never read."""
    answer = raw(shared.port, (f"POST /__examsite/submissions HTTP/1.1\r\nHost: 127.0.0.1:{shared.port}\r\n"
                               "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n").encode())
    assert answer.startswith(b"HTTP/1.1 413 ")
    # Sent in chunks, with no length said: cut off past 5 MiB, nothing stored.
    marker = b'{"kind": "chunked-6-mib", "padding": "' + b"x" * (6 << 20) + b'"}'
    with socket.create_connection(("127.0.0.1", shared.port), timeout=10) as sock:
        sock.sendall((f"POST /__examsite/submissions HTTP/1.1\r\nHost: 127.0.0.1:{shared.port}\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
        try:
            for start in range(0, len(marker), 1 << 16):
                piece = marker[start:start + (1 << 16)]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
            answer = sock.recv(200)
        except (BrokenPipeError, ConnectionResetError):
            answer = b""
    assert not answer.startswith(b"HTTP/1.1 201"), answer
    database = shared.site / ".examsite" / "submissions.sqlite"
    assert not database.exists() or b"chunked-6-mib" not in database.read_bytes()
    small = b'{"schema": 1, "submission_id": "s-413", "kind": "final", "exam_id": "algebra-quiz", "part": 1}'
    status, _ = request(shared.port, "/__examsite/submissions", f"127.0.0.1:{shared.port}", "POST", small,
                        {"Content-Type": "application/json"})
    assert status == 201


def test_listening_on_the_network_needs_allow_network(site):
    refused = run_cli(site, "serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert refused.returncode == 2
    assert "--host 0.0.0.0 makes the preview reachable from the network, with the answer keys" in refused.stderr
    assert "--allow-network" in refused.stderr and "Traceback" not in refused.stderr
    server = start_server(site, "--host", "0.0.0.0", "--allow-network")
    try:
        assert "warning: listening on 0.0.0.0 (--allow-network): every machine that reaches this one can read " \
               "the answer keys" in server.output
        assert request(server.port, "/__examsite/keys/algebra-quiz.json", f"127.0.0.1:{server.port}")[0] == 200
        assert request(server.port, "/__examsite/keys/algebra-quiz.json", f"attacker.example:{server.port}")[0] == 421
    finally:
        assert server.stop() == 0


def test_deep_nesting_shows_in_the_overlay_not_as_a_traceback(site):
    exam = site / "exams" / "algebra-quiz.yaml"
    original = exam.read_text()
    server = start_server(site)
    try:
        save(exam, original.replace("languages: [en]", "languages: " + "[" * 600 + "]" * 600))
        server.wait_for(r"1 error\(s\); the browser shows them")
        status, _, page = server.get("/algebra-quiz/")
        assert status == 200 and b'id="examsite-overlay"' in page
        assert b"the YAML here is nested more than 100 levels deep" in page
        assert "Traceback" not in server.output and "RecursionError" not in server.output
    finally:
        assert server.stop() == 0


@pytest.fixture
def open_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_the_submissions_file_is_its_owners_only(tmp_path, open_umask):
    store = SubmissionStore(tmp_path / ".examsite" / "submissions.sqlite")
    store.add('{"kind": "final"}')
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [s.body for s in store.all()] == ['{"kind": "final"}']


def test_the_preview_creates_its_submissions_file_0600(site, open_umask):
    server = start_server(site)
    try:
        status, _ = request(server.port, "/__examsite/submissions", f"127.0.0.1:{server.port}", "POST",
                            b'{"kind": "final"}', {"Content-Type": "application/json"})
        assert status == 201
    finally:
        server.stop()
    assert stat.S_IMODE((site / ".examsite" / "submissions.sqlite").stat().st_mode) == 0o600
