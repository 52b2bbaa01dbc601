"""Helpers for the accessibility tests (imported by name; fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

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
