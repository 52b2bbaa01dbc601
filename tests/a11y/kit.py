"""Helpers for the accessibility tests (imported by name; fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from typing import Callable

from playwright.sync_api import Page, expect

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now, one line per failing node; every rule axe
    runs by default (WCAG 2.0-2.2 A/AA and best practices). Also checks that the contrast rule
    really ran, so a page axe could not examine does not pass by default."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SOURCE))
    result = page.evaluate("""async () => {
      // The stand-in's PREVIEW badge exists only in --proview fake builds, never in a published page.
      const r = await axe.run({exclude: [['.proview-fake-badge']]}, {resultTypes: ['violations']});
      return {
        violations: r.violations.flatMap(v => v.nodes.map(n =>
          `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary.replace(/\\s+/g, ' ')}`)),
        ran: r.passes.concat(r.violations, r.incomplete).map(v => v.id),
      };
    }""")
    assert "color-contrast" in result["ran"], "axe did not check contrast"
    return result["violations"]


# Every state of the page, in the order walk_every_state visits them.
STATES = ["identify", "ready", "running", "running, timer hidden", "running, answered and flagged", "confirming", "paused", "submitted", "error"]


def walk_every_state(h, init_failure: str, visit: Callable[[str], None]) -> None:
    """Takes the focus exam through every state of the page and calls visit(state) in each:
    identify, ready, running (every question type; then with the timer hidden; then with answers and
    flags; then confirming, flagged questions listed),
    paused (offline), submitted, and error (the stand-in's init failure, `init_failure`)."""
    def at(state: str, label: str | None = None) -> None:
        h.expect_state(state, timeout=10000)  # legacy: leaving a pause goes through a renewed session
        visit(label or state)

    h.goto("/focus/focus/")
    at("identify")
    h.page.locator("#attendee-id").fill("walk-1")
    h.page.locator("#attendee-id").press("Enter")
    at("ready")
    h.page.locator("#start-exam").click()
    at("running")
    types = h.page.locator("fieldset[data-type]").evaluate_all("fs => fs.map(f => f.dataset.type)")
    assert sorted(types) == sorted(["single", "multiple", "true_false", "numeric", "short_text", "long_text",
                                    "true_false"])
    h.page.locator("#timer-toggle").click()
    expect(h.page.locator("#exam-timer")).to_be_hidden()
    at("running", "running, timer hidden")
    h.page.locator("#timer-toggle").click()
    h.question("q-short").get_by_label("Your answer").fill("red")
    for flagged in ("q-short", "q-tf"):  # the question list shows answered, flagged and both
        h.question(flagged).locator(".flag").click()
    expect(h.question("q-tf").locator(".flag")).to_have_attribute("aria-pressed", "true")
    at("running", "running, answered and flagged")
    h.page.locator("#submit-exam").click()
    expect(h.page.locator("#confirm-submit")).to_be_visible()
    at("running", "confirming")
    h.page.locator("#confirm-no").click()
    h.context.set_offline(True)
    at("paused")
    h.context.set_offline(False)
    h.expect_state("running", timeout=10000)
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    at("submitted")
    h.goto(f"/focus/focus/?attendee=walk-2&proview_fail={init_failure}")
    if h.page.evaluate("window.ExamsiteSdk.name") == "legacy":  # the legacy embed initialises at Start
        h.expect_state("ready")
        h.page.locator("#start-exam").click()
    at("error")
