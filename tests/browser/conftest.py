"""Real-browser tests of the exam page runtime (issue 3).

One Chromium per session, a new context per test. Two sites are built once per session with the
real build (`python -m generator build --proview fake`): the repository's example exams, and a
small focused site (short and long time limits, every question type) for the failure cases.
Both are served from 127.0.0.1; the submission endpoints and every non-local host are
intercepted with routes, so nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

REPO = Path(__file__).resolve().parents[2]

EXAMPLE_SUBMIT_URL = "https://api.example.edu/submissions"  # the repository's exams.yaml
FOCUS_SUBMIT_URL = "https://api.examsite.test/submissions"
DEV_LOADER_URL = "https://dev.proview.io/cdn/init.js"
FAKE_LOADER = REPO / "generator" / "render" / "runtime" / "proview-fake.js"

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

# Every question type, a pool draw, shuffled choices; 10 minutes, 50% more for extra-1.
FOCUS_EXAM = """\
id: focus
title: Focus exam
workflow_identifier: focus-wf
instructions: Read each question carefully.
time_limit: 10
accommodations:
  - {extra_time: 50, attendees: [extra-1]}
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

# Ordering (partial credit), matching with a distractor, cloze with a text and a number blank.
TYPES_EXAM = """\
id: types
title: Question types
workflow_identifier: types-wf
time_limit: 10
questions:
  - id: ord
    type: ordering
    points: 3
    partial_credit: true
    prompt: Put the planets in order, nearest the Sun first.
    items: [Mercury, Venus, Earth, "**Mars**"]
  - id: match
    type: matching
    points: 3
    prompt: Match each country with its capital, and the formula with its value.
    pairs:
      - {prompt: France, answer: Paris}
      - {prompt: Spain, answer: Madrid}
      - {prompt: "$x^2$ at $x = 3$", answer: "9"}
    distractors: [Lisbon]
  - id: cloze
    type: cloze
    points: 2
    prompt: Fill in the blanks.
    text: "The capital of *France* is [[city]]; 2 + 2 is [[sum]]."
    blanks:
      city: {answers: [Paris]}
      sum: {answer: 4}
"""

# Issue 20's "done when": all nine question types on one page each, with flags.
NINE_EXAM = """\
id: nine
title: Every question type
workflow_identifier: nine-wf
time_limit: 20
display: one_per_page
questions:
  - {id: one, type: single, prompt: Two plus two?, choices: ["3", {text: "4", correct: true}, "5"]}
  - {id: many, type: multiple, prompt: Primes?, choices: [{text: "2", correct: true}, "4", {text: "7", correct: true}]}
  - {id: tf, type: true_false, prompt: The Earth is round., answer: true}
  - {id: short, type: short_text, prompt: The closest planet to the Sun?, answers: [Mercury]}
  - {id: essay, type: long_text, points: 2, prompt: Why is the sky blue?, rubric: Rayleigh scattering}
  - {id: num, type: numeric, prompt: Three times four?, answer: 12}
  - id: ord
    type: ordering
    points: 3
    partial_credit: true
    prompt: Put the planets in order, nearest the Sun first.
    items: [Mercury, Venus, Earth, Mars]
  - id: match
    type: matching
    points: 2
    prompt: Match each country with its capital.
    pairs: [{prompt: France, answer: Paris}, {prompt: Spain, answer: Madrid}]
  - id: cloze
    type: cloze
    points: 2
    prompt: Fill in the blanks.
    text: "The capital of France is [[city]]; 2 + 2 is [[sum]]."
    blanks: {city: {answers: [Paris]}, sum: {answer: 4}}
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

# One question at a time (display: one_per_page), questions of different heights.
PAGED_EXAM = """\
id: paged
title: Paged exam
workflow_identifier: paged-wf
time_limit: 10
display: one_per_page
questions:
  - {id: s1, type: single, prompt: First., choices: [{text: "x", correct: true}, {text: "y"}, {text: "z"}]}
  - {id: s2, type: short_text, prompt: Second., answers: [a]}
  - {id: s3, type: long_text, prompt: Third., rubric: anything}
"""


# A configured guard: refresh after 30 minutes of session time, inside a 60-minute exam.
GUARD30_CONFIG = FOCUS_CONFIG.replace("  languages: [en, fr]\n", "  languages: [en, fr]\n  refresh_after_minutes: 30\n")
GUARD30_EXAM = LONG_EXAM.replace("time_limit: 90", "time_limit: 60")


def _build(config: Path, out: Path, fake: bool = True) -> subprocess.Popen:
    """Starts `examsite build` (the real CLI) in the background; _finish waits for it."""
    command = [sys.executable, "-m", "generator", "build", "--config", str(config), "--out", str(out),
               "--keys-dir", str(out.parent / (out.name + "-keys")), "--no-cache"] + (["--proview", "fake"] if fake else [])
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if k != "PROVIEW_DSN"})


def _finish(builds: list[subprocess.Popen]) -> None:
    for build in builds:
        out, err = build.communicate(timeout=120)
        if build.returncode != 0:
            pytest.fail(f"examsite build failed: {' '.join(build.args)}\n{out}\n{err}")


def _site(src: Path, config: str, exams: dict[str, str]) -> Path:
    (src / "exams").mkdir(parents=True)
    (src / "exams.yaml").write_text(config)
    for name, text in exams.items():
        (src / "exams" / f"{name}.yaml").write_text(text)
    return src / "exams.yaml"


@pytest.fixture(scope="session")
def sites(tmp_path_factory) -> Path:
    """Builds every site once into one served folder:
    /examples/  the repository's exams.yaml with --proview fake
    /real/      the same without it: the page loads the dev loader URL (routed to the fake)
    /focus/     focus, long (90 min, default guard), multi (two 5-minute parts), types (ordering,
                matching, cloze), paged (one question a page) and nine (every type, one a page),
                --proview fake; its keys in focus-keys/
    /guard30/   long (60 min) with proview.refresh_after_minutes: 30, --proview fake"""
    root = tmp_path_factory.mktemp("sites")
    src = tmp_path_factory.mktemp("src")
    _finish([  # side by side: four builds cost one
        _build(REPO / "exams.yaml", root / "examples"),
        _build(REPO / "exams.yaml", root / "real", fake=False),
        _build(_site(src / "focus", FOCUS_CONFIG, {"focus": FOCUS_EXAM, "long": LONG_EXAM, "multi": MULTI_EXAM,
                                                 "types": TYPES_EXAM, "paged": PAGED_EXAM, "nine": NINE_EXAM}),
               root / "focus"),
        _build(_site(src / "guard30", GUARD30_CONFIG, {"long": GUARD30_EXAM}), root / "guard30"),
    ])
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output readable
        pass


@contextlib.contextmanager
def serving(root: Path) -> Iterator[str]:
    """Serves `root` on 127.0.0.1, on a free port, while the block runs; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def base_url(sites: Path):
    with serving(sites) as url:
        yield url


# ---------------------------------------------------------------------------------------------- browser

class Endpoint:
    """The intercepted submission endpoint: records every POST and answers from a script of statuses
    (then 200). `accepted` holds the payloads answered with 2xx."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.failing_ids: set[str] = set()  # submission ids always answered 503
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
        if isinstance(payload, dict) and payload.get("submission_id") in self.failing_ids:
            status = 503
        else:
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
        def holds() -> bool:
            try:
                return bool(predicate())
            except PlaywrightError:  # the page is between two views (a guard refresh)
                return False

        for _ in range(limit):
            if holds():
                return
            try:
                self.page.clock.fast_forward(step_ms)
            except PlaywrightError:
                pass
            self.page.wait_for_timeout(30)
        assert holds(), "condition never held while the clock advanced"


# Reports CSP violations from the page to the test before any page script runs.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  window.__report_csp({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                       line: e.lineNumber, sample: e.sample});
});
"""


@contextlib.contextmanager
def harness_for(browser: Browser, base_url: str, loader_url: str, loader_file: Path) -> Iterator[Harness]:
    """A fresh browser context on the sites at `base_url`, the loader URL served by a stand-in."""
    context = browser.new_context()
    endpoint = Endpoint()
    # Nothing may leave the machine: every non-local request is refused unless a route below serves it.
    context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
    context.route(EXAMPLE_SUBMIT_URL, endpoint.handle)
    context.route(FOCUS_SUBMIT_URL, endpoint.handle)
    # The loader URL of a real build: served by the stand-in, cross-origin, as the CDN would.
    context.route(loader_url, lambda route: route.fulfill(
        status=200, content_type="text/javascript", headers={"Access-Control-Allow-Origin": "*"},
        body=loader_file.read_bytes()))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.clock.install()  # time flows normally until a test moves it
    h = Harness(context, page, endpoint, base_url)
    yield h
    context.close()
    assert not h.page_errors, f"uncaught errors in the page: {h.page_errors}"
    # Every test doubles as a CSP check: the built policy must never block the page's own code.
    assert not h.csp_violations, f"CSP violations: {h.csp_violations}"


@pytest.fixture
def harness(browser: Browser, base_url: str):
    with harness_for(browser, base_url, DEV_LOADER_URL, FAKE_LOADER) as h:
        yield h
