"""The runtime as shipped: comments and indentation out, behaviour (tested in Chromium) intact."""

from __future__ import annotations

import gzip

import pytest

from generator.render.assets import runtime_assets
from generator.render.compact import compact_css, compact_js

# Issue 8's page-weight budget for the runtime's JS and CSS together.
RUNTIME_BUDGET_GZIPPED = 15 * 1024


def test_comment_lines_and_indentation_go_code_stays():
    source = """\
/* A header
 * over lines. */
(function () {
  'use strict';
  // why this is so
  var url = 'https://example.edu/a'; // a trailing comment goes: the "//" before it is in a string
  /* one line */ var after = 1;
  /* alone */

  return url;
})();
"""
    assert compact_js(source) == ("(function () {\n'use strict';\nvar url = 'https://example.edu/a';\n"
                                  "var after = 1;\nreturn url;\n})();\n")


@pytest.mark.parametrize("line", [
    "var half = a / 2; // a division first: the line is kept whole",
    "var re = /it's \\/\\//; // a regular expression may hold quotes and slashes",
    "var s = 'a // b';",
    "var s = \"it's // here\";",
    "var s = 'don\\'t // stop';",
    "var u = 'x';// no space before it: kept",
])
def test_a_trailing_comment_goes_only_when_it_cannot_be_code(line):
    assert compact_js(line + "\n") == line + "\n"


@pytest.mark.parametrize("line, kept", [
    ("var s = \"it's\"; // said", "var s = \"it's\";"),
    ("var s = 'a\\'b'; // escaped quote", "var s = 'a\\'b';"),
    ("if (x) return; // why", "if (x) return;"),
])
def test_trailing_comments_after_code_go(line, kept):
    assert compact_js(line + "\n") == kept + "\n"


@pytest.mark.parametrize("source", ["var s = `a\n  b`;\n", "var s = 'a\\\n  b';\n"])
def test_files_whose_strings_may_span_lines_ship_as_they_are(source):
    assert compact_js(source) == source


def test_css_comments_and_indentation_go():
    assert compact_css("/* why */\n.a {\n  color: red; /* note */\n}\n\n") == ".a {\ncolor: red;\n}\n"


@pytest.mark.parametrize("sdk", ["v8", "legacy"])
def test_shipped_runtime_fits_the_budget(sdk):
    # That the shipped code still works is what tests/browser, tests/legacy and tests/a11y prove:
    # they run these very bytes.
    assets = runtime_assets(sdk, fake_proview=False)
    shipped = b"".join(assets[name].content for name in ("exam.js", "sdk.js", "exam.css"))
    assert len(gzip.compress(shipped, 9)) < RUNTIME_BUDGET_GZIPPED
