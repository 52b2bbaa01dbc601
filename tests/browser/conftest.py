"""Real-browser tests of the exam page runtime (issue 3).

One Chromium per session, a new context per test. Two sites are built once per session with the
real build (`python -m generator build --proview fake`): the repository's example exams, and a
small focused site (short and long time limits, every question type) for the failure cases.
Both are served from 127.0.0.1; the submission endpoints and every non-local host are
intercepted with routes, so nothing leaves the machine.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EXAMSITE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

EXAMPLE_SUBMIT_URL = "https://api.example.edu/submissions"  # the repository's exams.yaml
FOCUS_SUBMIT_URL = "https://api.examsite.test/submissions"

expect.set_options(timeout=5000)


# ---------------------------------------------------------------------------------------------- sites

FOCUS_CONFIG = f"""\
site:
  title: Focus tests
  base_url: https://exams.examsite.test/
proview:
  sdk: v8
  environment: dev
  dsn: test-dsn
  languages: [en, fr]
submission:
  url: {FOCUS_SUBMIT_URL}
exams:
  - exams/*.yaml
"""

# Every question type, a pool draw, shuffled choices; 10 minutes.
FOCUS_EXAM = """\
id: focus
title: Focus exam
workflow_identifier: focus-wf
instructions: Read each question carefully.
time_limit: 10
shuffle: {questions: false, choices: true}
pools:
  extra:
    - {id: p1, type: true_false, prompt: Pool one., answer: true}
    - {id: p2, type: true_false, prompt: Pool two., answer: false}
    - {id: p3, type: true_false, prompt: Pool three., answer: true}
questions:
  - id: q-single
    type: single
    prompt: Pick four.
    choices: [{text: "3"}, {text: "4", correct: true}, {text: "5"}]
  - id: q-multi
    type: multiple
    prompt: Pick the primes.
    choices: [{text: "2", correct: true}, {text: "4"}, {text: "7", correct: true}]
  - id: q-tf
    type: true_false
    prompt: The sky is blue.
    answer: true
  - id: q-num
    type: numeric
    prompt: Two plus two?
    answer: 4
  - id: q-short
    type: short_text
    prompt: Name a colour.
    answers: [red]
  - id: q-long
    type: long_text
    prompt: Explain.
    rubric: anything
  - pool: extra
    draw: 1
"""

# 90 minutes, the longest a part may be: the guard (default 85 minutes) must fire inside it.
LONG_EXAM = """\
id: long
title: Long exam
workflow_identifier: long-wf
time_limit: 90
questions:
  - {id: l1, type: short_text, prompt: First., answers: [a]}
  - {id: l2, type: single, prompt: Second., choices: [{text: "x", correct: true}, {text: "y"}]}
"""

MULTI_EXAM = """\
id: multi
title: Multi-part exam
workflow_identifier: multi-wf
parts:
  - title: One
    time_limit: 5
    questions:
      - {id: m1, type: short_text, prompt: Part one question., answers: [a]}
  - title: Two
    time_limit: 5
    questions:
      - {id: m2, type: short_text, prompt: Part two question., answers: [b]}
"""


def _build(config: Path, out: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--config", str(config), "--proview", "fake",
                             "--out", str(out), "--keys-dir", str(out.parent / (out.name + "-keys"))],
                            cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"examsite build failed for {config}:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def sites(tmp_path_factory) -> Path:
    """Builds both sites into one served folder: /examples/... and /focus/..."""
    root = tmp_path_factory.mktemp("sites")
    _build(REPO / "exams.yaml", root / "examples")
    src = tmp_path_factory.mktemp("focus-src")
    (src / "exams").mkdir()
    (src / "exams.yaml").write_text(FOCUS_CONFIG)
    for name, text in {"focus": FOCUS_EXAM, "long": LONG_EXAM, "multi": MULTI_EXAM}.items():
        (src / "exams" / f"{name}.yaml").write_text(text)
    _build(src / "exams.yaml", root / "focus")
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output readable
        pass


@pytest.fixture(scope="session")
def base_url(sites: Path):
    handler = functools.partial(_QuietHandler, directory=str(sites))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def browser() -> Browser:
    # Never skip: CI must run these. A missing browser is a failure, with the fix in the message.
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium) "
                    "or set EXAMSITE_CHROMIUM; the browser tests must run", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Endpoint:
    """The intercepted submission endpoint: records every POST and answers from a script of statuses
    (then 200). `accepted` holds the payloads answered with 2xx."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[dict] = []
        self.accepted: list[dict] = []

    def handle(self, route: Route) -> None:
        request = route.request
        cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type",
                "Access-Control-Allow-Methods": "POST"}
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        payload = json.loads(request.post_data or "null")
        status = self.statuses.pop(0) if self.statuses else 200
        self.requests.append({"status": status, "payload": payload,
                              "content_type": request.headers.get("content-type", "")})
        if 200 <= status < 300:
            self.accepted.append(payload)
        route.fulfill(status=status, headers=cors, content_type="application/json",
                      body=json.dumps({"ok": 200 <= status < 300}))


class Harness:
    """One test's page, endpoint and browser-reported problems."""

    def __init__(self, context: BrowserContext, page: Page, endpoint: Endpoint, base_url: str) -> None:
        self.context = context
        self.page = page
        self.endpoint = endpoint
        self.base_url = base_url
        self.csp_violations: list[dict] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        # A reload mid-exam meets the page's beforeunload guard: accept it, as a candidate would,
        # unless a test says otherwise. Every dialog's type is recorded.
        self.dialogs: list[str] = []
        self.accept_dialogs = True
        page.on("dialog", self._dialog)
        page.expose_function("__report_csp", lambda v: self.csp_violations.append(v))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.type)
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    # State, as integrators see it.
    def expect_state(self, state: str, timeout: float = 5000) -> None:
        expect(self.page.locator("html")).to_have_attribute("data-exam-state", state, timeout=timeout)

    def state(self) -> str:
        return self.page.evaluate("document.documentElement.dataset.examState")

    def calls(self) -> list[dict]:
        """Proview calls of this page view."""
        return self.page.evaluate("window.__proview_calls")

    def call_log(self) -> list[dict]:
        """Proview calls of every page view of this tab, with a 'load' entry per view."""
        return self.page.evaluate("JSON.parse(sessionStorage.getItem('__proview_calls_log') || '[]')")

    def start(self) -> None:
        self.expect_state("ready")
        self.page.locator("#start-exam").click()
        self.expect_state("running")

    def remaining(self) -> int:
        return int(self.page.locator("#exam-timer").get_attribute("data-remaining"))

    def record(self, exam: str, part: int, attendee: str) -> dict | None:
        return self.page.evaluate("k => JSON.parse(localStorage.getItem(k))", f"examsite:v1:{exam}:{part}:{attendee}")

    def status_text(self) -> str:
        return self.page.locator("#exam-status").inner_text()

    def question(self, qid: str):
        return self.page.locator(f'fieldset[data-question-id="{qid}"]')

    def advance_until(self, predicate, step_ms: int = 2000, limit: int = 60) -> None:
        """Moves the page's clock in steps until predicate() holds; network replies arrive in real time."""
        for _ in range(limit):
            if predicate():
                return
            self.page.clock.fast_forward(step_ms)
            self.page.wait_for_timeout(30)
        assert predicate(), "condition never held while the clock advanced"


# Reports CSP violations from the page to the test before any page script runs.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  window.__report_csp({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                       line: e.lineNumber, sample: e.sample});
});
"""


@pytest.fixture
def harness(browser: Browser, base_url: str):
    context = browser.new_context()
    endpoint = Endpoint()
    # Nothing may leave the machine: every non-local request is refused unless a route below serves it.
    context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
    context.route(EXAMPLE_SUBMIT_URL, endpoint.handle)
    context.route(FOCUS_SUBMIT_URL, endpoint.handle)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.clock.install()  # time flows normally until a test moves it
    h = Harness(context, page, endpoint, base_url)
    yield h
    context.close()
    assert not h.page_errors, f"uncaught errors in the page: {h.page_errors}"
