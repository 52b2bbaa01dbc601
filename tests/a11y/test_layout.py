"""Layout at 360 px and at 200% zoom (a 1280 px window at 200% lays out in 640 CSS px), reduced
motion, and code and formulas kept left to right on a right-to-left page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.mark.parametrize("width", [360, 640])
@pytest.mark.parametrize("path", ["/examples/physics-kinematics/", "/examples/algebra-quiz/",
                                  "/focus/focus/", "/focus/arabic/"])
def test_no_horizontal_scroll_on_narrow_screens(harness, width, path):
    h = harness
    h.page.set_viewport_size({"width": width, "height": 740})
    h.goto(path + "?attendee=narrow-1")
    h.expect_state("ready")
    assert h.page.evaluate(NO_SIDEWAYS_SCROLL), "the intro scrolls sideways"
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    assert h.page.evaluate(NO_SIDEWAYS_SCROLL), "the questions scroll sideways"
    # Every question is within the screen, not cut off (a table or a formula may scroll inside its box).
    right = h.page.evaluate("Math.max(...[...document.querySelectorAll('fieldset.question')]"
                            ".map(f => f.getBoundingClientRect().right))")
    assert right <= width
    h.page.locator("#submit-exam").click()
    expect(h.page.locator("#confirm-submit")).to_be_visible()
    dialog = h.page.locator("#confirm-submit").bounding_box()
    assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= width
    assert h.page.evaluate(NO_SIDEWAYS_SCROLL)


def test_code_wraps_instead_of_scrolling_at_360_px(harness):
    h = harness
    h.page.set_viewport_size({"width": 360, "height": 740})
    h.goto("/examples/physics-kinematics/?attendee=narrow-2")
    h.start()
    code = h.question("euler-steps").locator("pre")
    assert code.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing to scroll to by keyboard
    assert code.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"  # indentation kept


def test_reduced_motion_is_honoured(harness):
    h = harness
    h.goto("/focus/focus/?attendee=motion-1")
    h.expect_state("ready")
    behaviour = "getComputedStyle(document.documentElement).scrollBehavior"
    h.page.emulate_media(reduced_motion="no-preference")
    assert h.page.evaluate(behaviour) == "smooth"
    h.page.emulate_media(reduced_motion="reduce")
    assert h.page.evaluate(behaviour) == "auto"


def test_code_and_formulas_stay_left_to_right_on_a_right_to_left_page(harness):
    h = harness
    h.goto("/focus/arabic/?attendee=rtl-1")
    h.expect_state("ready")
    directions = h.page.evaluate("""() => {
      const probe = document.createElement('div');
      probe.innerHTML = '<pre>x = 1</pre><code>y</code><math><mi>z</mi></math>';
      document.querySelector('.instructions').append(probe);
      return [...probe.children].map(e => getComputedStyle(e).direction);
    }""")
    assert directions == ["ltr", "ltr", "ltr"]
    assert h.page.evaluate("getComputedStyle(document.querySelector('.instructions')).direction") == "rtl"


@pytest.mark.parametrize("path", ["/focus/timer/", "/focus/lang-fr/", "/focus/lang-es/", "/focus/lang-de/",
                                  "/focus/arabic/"])
def test_the_header_keeps_to_one_line_per_row_at_360_px_in_every_language(harness, path):
    """The timer and its button share the first row however long the words (the figures alone on a
    phone; the words stay for screen readers); the header stays as short as in English."""
    h = harness
    h.page.set_viewport_size({"width": 360, "height": 740})
    h.goto(path + "?attendee=header-1")
    h.start()
    assert h.page.evaluate(NO_SIDEWAYS_SCROLL), "the header pushes the page sideways"
    timer, toggle = h.page.locator("#exam-timer").bounding_box(), h.page.locator("#timer-toggle").bounding_box()
    assert abs((timer["y"] + timer["height"] / 2) - (toggle["y"] + toggle["height"] / 2)) < 2  # one row
    assert h.page.locator("#exam-header").bounding_box()["height"] < 72
    assert timer["width"] < 100  # the figures alone show
    assert re.match(r"^\D+ \d\d:\d\d$", h.page.locator("#exam-timer").text_content())  # the words, to be read
