"""The command itself, over HTTP: CSP, endpoints, port in use, Ctrl-C, startup with bad input."""

from __future__ import annotations

import html
import json
import urllib.error
import re
import socket
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path

from generator.build.run import RunOptions, render_site
from generator.render.pages import PageOptions

import pytest

from .conftest import copy_examples, run_cli, save, start_server

META_CSP = re.compile(rb'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def production_policy(site: Path, page: str) -> str:
    built = render_site(site / "exams.yaml", None, strict=False, page_options=PageOptions(), run=RunOptions(jobs=1),
                        keep_cache=False)
    match = META_CSP.search(built.site.files[page])
    assert match
    return html.unescape(match.group(1).decode())


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests that only read (the endpoint's rows are checked by content)."""
    running = start_server(copy_examples(tmp_path_factory.mktemp("shared") / "site"))
    yield running
    running.stop()


def post(server, body: bytes, content_type: str = "application/json") -> int:
    request = urllib.request.Request(server.url + "__examsite/submissions", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_csp_is_production_plus_the_live_reload_socket(shared):
    server = shared
    status, headers, page = server.get("/algebra-quiz/")
    assert status == 200
    served = html.unescape(META_CSP.search(page).group(1).decode())
    production = production_policy(server.site, "algebra-quiz/index.html")
    expected = production.replace("; img-src", f" ws://127.0.0.1:{server.port}; img-src")
    assert served == expected != production
    assert headers["Content-Security-Policy"] == served  # as the production host sends it (_headers)
    assert headers["Cache-Control"] == "no-store"


def test_fake_and_real_proview_loaders(shared, site):
    _, _, page = shared.get("/algebra-quiz/")
    assert re.search(rb'<script id="proview-loader" src="\.\./assets/proview-fake\.[0-9a-f]+\.js"', page)
    real = start_server(site, "--proview", "real")
    try:
        _, _, page = real.get("/algebra-quiz/")
        assert b'<script id="proview-loader" src="https://dev.proview.io/cdn/init.js"' in page
        assert b"proview-fake" not in page
    finally:
        real.stop()


def test_submission_endpoint_stores_json_and_refuses_the_rest(shared):
    server = shared
    assert post(server, b"not json") == 400
    assert post(server, b"[1, 2]") == 400
    assert post(server, b'{"kind": "final"}', "text/plain") == 415  # what a cross-site form could send
    payload = {"schema": 1, "submission_id": "7d1c", "kind": "final", "exam_id": "algebra-quiz", "part": 1}
    assert post(server, json.dumps(payload).encode()) == 201
    database = server.site / ".examsite" / "submissions.sqlite"
    with sqlite3.connect(database) as connection:
        columns = [row[1:3] for row in connection.execute("PRAGMA table_info(submissions)")]
        rows = connection.execute("SELECT body FROM submissions").fetchall()
    assert columns[:3] == [("id", "INTEGER"), ("received_at", "TEXT"), ("body", "TEXT")]
    assert [json.loads(body) for (body,) in rows] == [payload]
    assert "submissions: .examsite/submissions.sqlite" in server.output
    listed = run_cli(server.site, "submissions", "--json")
    assert [entry["payload"] for entry in json.loads(listed.stdout)] == [payload]
    # The grader (issue 6) reads the same file as it is.
    from generator.results.sources import read_source

    assert [record.payload for record in read_source(database)] == [payload]


def test_exam_urls_index_and_not_found(shared):
    server = shared
    for exam in ("algebra-quiz", "data-structures-final"):
        assert f"http://127.0.0.1:{server.port}/{exam}/" in server.output
    status, _, index = server.get("/")
    assert status == 200 and b'href="/data-structures-final/part-2/"' in index
    status, _, _ = server.get("/nope/")
    assert status == 404
    status, _, page = server.get("/data-structures-final/part-2/")
    assert status == 200 and b"/__examsite/preview-aid.js" in page


def test_build_output_has_no_preview_aid(tmp_path):
    site = copy_examples(tmp_path / "site")
    built = run_cli(site, "build", "--proview", "fake")
    assert built.returncode == 0, built.stderr
    for path in (site / "output").rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert b"__examsite" not in content and b"preview-aid" not in content and b"livereload" not in content


def test_port_in_use_is_a_clear_error(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(site, "serve", "--port", str(port))
    assert result.returncode == 1
    assert f"error: port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_starts_with_invalid_input_serves_once_fixed_and_stops_cleanly(site):
    config = site / "exams.yaml"
    original = config.read_text()
    save(config, original.replace("submission:\n  url:", "submission:\n  link:"))
    server = start_server(site)
    try:
        assert "error:" in server.output
        status, _, index = server.get("/")
        assert status == 200 and b'id="examsite-overlay"' in index and b"exams.yaml:" in index
        save(config, original)
        server.wait_for(rf"fixed; rebuilt {len(list((site / 'exams').glob('*.yaml')))} exam\(s\)")
        status, _, page = server.get("/algebra-quiz/")
        assert status == 200 and b"examsite-overlay" not in page
        assert "(held in memory, never written to output/)" in server.output
        assert not (site / "output").exists()  # never the build's output folder
    finally:
        code = server.stop()
    # Ctrl-C: exit 0, no traceback.
    assert code == 0
    assert server.lines[-1] == "stopped" and "Traceback" not in server.output


def test_open_shows_the_exam_list_in_the_browser(site, tmp_path):
    """--open hands the exam list's URL to the system's browser ($BROWSER here: a command that
    writes down the URL it is given)."""
    opened = tmp_path / "opened.txt"
    browser = f"{sys.executable} -c \"import sys; open({str(opened)!r}, 'w').write(sys.argv[1])\" %s"
    server = start_server(site, "--open", env={"BROWSER": browser})
    try:
        deadline = time.monotonic() + 10
        while not (opened.exists() and opened.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text() == server.url
        status, _, index = server.get("/")
        assert status == 200 and b"algebra-quiz/" in index
    finally:
        assert server.stop() == 0
