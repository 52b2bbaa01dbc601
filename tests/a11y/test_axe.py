"""axe-core finds no violation in any state of the page, on both Proview targets.

axe is injected with a script tag; the contexts of this module bypass the page's CSP for that
(Playwright's bypass_csp), and only for that: every other test in this folder runs the page under
its own CSP and fails on any violation (tests/browser's harness)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.a11y.kit import axe_violations


class _BypassCspBrowser:
    """The run's Chromium, whose new contexts bypass the page's CSP (for the injected axe only)."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        return self._browser.new_context(bypass_csp=True, **options)

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def browser(browser):  # this module only: tests/browser's harness and tests/legacy's legacy use it
    return _BypassCspBrowser(browser)


@pytest.fixture(params=["v8", "legacy"])
def target(request):
    """(harness, the stand-in's failure for an init error) per Proview target."""
    if request.param == "v8":
        return request.getfixturevalue("harness"), "init_reject"
    return request.getfixturevalue("legacy"), "init_error"


def target_name(h) -> str:
    return h.page.evaluate("window.ExamsiteSdk.name")


def check(h, state: str, seen: dict) -> None:
    h.expect_state(state)
    seen[state] = axe_violations(h.page)


def test_every_state_has_no_violations(target):
    h, init_failure = target
    seen: dict[str, list[str]] = {}
    h.goto("/focus/focus/")
    check(h, "identify", seen)
    h.page.locator("#attendee-id").fill("axe-1")
    h.page.locator("#attendee-id").press("Enter")
    check(h, "ready", seen)
    h.page.locator("#start-exam").click()
    check(h, "running", seen)  # every question type is on the page
    assert sorted(h.page.locator("fieldset[data-type]").evaluate_all("fs => fs.map(f => f.dataset.type)")) == \
        sorted(["single", "multiple", "true_false", "numeric", "short_text", "long_text", "true_false"])
    h.page.locator("#timer-toggle").click()  # the timer hidden
    expect(h.page.locator("#exam-timer")).to_be_hidden()
    seen["running, timer hidden"] = axe_violations(h.page)
    h.page.locator("#timer-toggle").click()
    h.question("q-short").get_by_label("Your answer").fill("red")
    h.page.locator("#submit-exam").click()
    expect(h.page.locator("#confirm-submit")).to_be_visible()
    seen["confirming"] = axe_violations(h.page)
    h.page.locator("#confirm-no").click()
    h.context.set_offline(True)
    check(h, "paused", seen)
    h.context.set_offline(False)
    h.expect_state("running", timeout=10000)  # legacy: through a renewed session
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    check(h, "submitted", seen)
    h.goto(f"/focus/focus/?attendee=axe-2&proview_fail={init_failure}")
    if target_name(h) == "legacy":  # the legacy embed initialises at Start (tv('init'))
        h.expect_state("ready")
        h.page.locator("#start-exam").click()
    check(h, "error", seen)
    problems = [f"{state}: {line}" for state, found in seen.items() for line in found]
    assert not problems, "\n".join(problems)
    assert len(seen) == 8


@pytest.mark.parametrize("exam", ["physics-kinematics", "chimie-etats", "algebra-quiz"])
def test_example_exams_running_have_no_violations(harness, exam):
    """Math (MathML), highlighted code, a table, an image, and French."""
    h = harness
    h.goto(f"/examples/{exam}/?attendee=axe-examples")
    h.start()
    assert axe_violations(h.page) == []


def test_arabic_right_to_left_has_no_violations(harness):
    h = harness
    h.goto("/focus/arabic/?attendee=axe-ar")
    h.start()
    assert axe_violations(h.page) == []


def test_legacy_example_with_math_and_code_has_no_violations(legacy):
    h = legacy
    h.goto("/examples/physics-kinematics/?attendee=axe-legacy")
    h.start()
    assert axe_violations(h.page) == []
