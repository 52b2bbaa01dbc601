"""Screenshots of the candidate's page for a person to look at (issue 19): the start page, the
running page (with its question list, answers and a flag), the confirmation and the submitted
page, and a part shown one question at a time (issue 20), at 1280 and 375 px, written to
tests/screenshots/ (ignored by git) on every run. The report's are taken by tests/results."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("width, height", [(1280, 800), (375, 740)])
def test_screenshots_of_every_step(harness, width, height):
    h = harness
    h.page.set_viewport_size({"width": width, "height": height})
    SCREENSHOTS.mkdir(exist_ok=True)
    taken = []

    def shot(name: str, full_page: bool = False) -> None:
        path = SCREENSHOTS / f"{name}-{width}.png"
        h.page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
        taken.append(path)

    h.goto("/examples/algebra-quiz/?attendee=shot-1")
    h.expect_state("ready")
    shot("1-start")
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    h.question("solve-linear").get_by_label("x = 5", exact=True).check()
    h.question("primes").get_by_label("2", exact=True).check()
    h.question("primes").get_by_role("button", name="Flag for review").click()
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")
    shot("2-running")
    shot("2-running-full", full_page=True)
    h.page.locator("#submit-exam").click()
    expect(h.page.locator("#confirm-submit")).to_be_visible()
    shot("3-confirm")
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    shot("4-submitted")
    h.goto("/focus/paged/?attendee=shot-2")
    h.start()
    h.page.locator("#next-question").click()
    h.question("s2").get_by_label("Your answer").fill("an answer")
    h.question("s2").get_by_role("button", name="Flag for review").click()
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")
    h.page.locator("#exam-actions").scroll_into_view_if_needed()  # the list, the question, its buttons
    shot("5-one-per-page")
    assert all(path.read_bytes().startswith(PNG) for path in taken)
