"""A site on the Python-Markdown engine (exams.yaml `markdown`) in Chromium: its admonition, definition
list and footnote shown under the page's CSP, the footnote's link leading to its note, axe-clean."""

from __future__ import annotations

import pytest
from tests.a11y.kit import axe_violations
from tests.a11y.test_axe import _BypassCspBrowser
from tests.browser.conftest import (
    DEV_LOADER_URL, FAKE_LOADER, FOCUS_CONFIG, _build, _finish, _site, harness_for, serving,
)

ENGINE = "\nmarkdown:\n  engine: python-markdown\n  extensions: [tables, fenced_code, admonition, def_list, footnotes]\n"
EXAM = """\
id: extensions
title: Extensions
time_limit: 30
questions:
  - id: x1
    type: short_text
    answers: [median]
    prompt: |
      !!! note "Before you answer"
          Round to the nearest whole number.

      Median
      :   The middle value of the sorted data.

      Which measure is least moved by outliers?[^1]

      [^1]: Outliers are values far from the rest.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example exams on this engine are built in tests/pipeline/test_markdown_engines.py."""
    src, out = tmp_path_factory.mktemp("python-markdown"), tmp_path_factory.mktemp("python-markdown-out")
    _finish([_build(_site(src / "site", FOCUS_CONFIG + ENGINE, {"extensions": EXAM}), out / "site")])
    with serving(out) as url:
        yield url


def test_extensions_render_under_the_csp_and_the_footnote_leads_to_its_note(browser, site):
    with harness_for(browser, site, DEV_LOADER_URL, FAKE_LOADER) as h:  # fails on any CSP violation
        h.goto("/site/extensions/?attendee=pm-1")
        h.start()
        prompt = h.question("x1")
        admonition = prompt.locator(".admonition.note")
        assert admonition.locator(".admonition-title").inner_text() == "Before you answer"
        assert admonition.evaluate("e => getComputedStyle(e).borderInlineStartWidth") == "4px"
        assert prompt.locator("dl dt").inner_text() == "Median"
        reference = prompt.locator("sup a")
        target = reference.get_attribute("href")
        assert target.startswith("#t") and target.endswith("-fn:1")
        reference.click()
        assert h.page.evaluate("location.hash") == target
        note = h.page.locator(f'li[id="{target[1:]}"]')
        assert "Outliers are values far from the rest." in note.inner_text() and note.is_visible()


def test_the_extensions_markup_has_no_axe_violations(browser, site):
    with harness_for(_BypassCspBrowser(browser), site, DEV_LOADER_URL, FAKE_LOADER) as h:
        h.goto("/site/extensions/?attendee=pm-axe")
        h.start()
        assert axe_violations(h.page) == []
