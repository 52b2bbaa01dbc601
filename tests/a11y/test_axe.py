"""axe-core finds no violation in any state of the page, on both Proview targets.

axe is injected with a script tag; the contexts of this module bypass the page's CSP for that
(Playwright's bypass_csp), and only for that: every other test in this folder runs the page under
its own CSP and fails on any violation (tests/browser's harness)."""

from __future__ import annotations

import pytest
from tests.a11y.kit import STATES, axe_violations, walk_every_state


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


def test_every_state_has_no_violations(target):
    h, init_failure = target
    seen: dict[str, list[str]] = {}
    walk_every_state(h, init_failure, lambda state: seen.__setitem__(state, axe_violations(h.page)))
    problems = [f"{state}: {line}" for state, found in seen.items() for line in found]
    assert not problems, "\n".join(problems)
    assert list(seen) == STATES


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


def test_one_question_a_page_has_no_violations_in_any_of_its_states(harness):
    """display: one_per_page: the first question (Previous disabled), answered and flagged, the
    last (Next disabled), at a desktop's and a phone's width."""
    h = harness
    h.goto("/focus/paged/?attendee=axe-paged")
    h.start()
    seen = {"first": axe_violations(h.page)}
    h.question("s1").get_by_role("radio").first.check()
    h.question("s1").locator(".flag").click()
    seen["answered and flagged"] = axe_violations(h.page)
    h.page.get_by_role("navigation", name="Question list").get_by_role("button").nth(2).click()
    h.page.set_viewport_size({"width": 375, "height": 740})
    seen["last, 375 px"] = axe_violations(h.page)
    problems = [f"{state}: {line}" for state, found in seen.items() for line in found]
    assert not problems, "\n".join(problems)
