"""The runtime as shipped: comments and indentation out, behaviour (tested in Chromium) intact."""

from __future__ import annotations

import gzip

import pytest

from generator.render.assets import messages_asset, runtime_assets
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
  var url = 'https://example.edu/a'; // after code: goes
  var half = n / 2; // after a "/", which may open a regular expression: kept
  var text = "it's; // in a string"; // goes; the string stays whole
  var odd = 'a \\' // b'; // an escaped quote does not end the string
  /* one line */ var after = 1;
  /* alone */

  return url;
})();
"""
    assert compact_js(source) == ("(function () {\n'use strict';\nvar url = 'https://example.edu/a';\n"
                                  "var half = n / 2; // after a \"/\", which may open a regular expression: kept\n"
                                  "var text = \"it's; // in a string\";\nvar odd = 'a \\' // b';\n"
                                  "var after = 1;\nreturn url;\n})();\n")


@pytest.mark.parametrize("source", ["var s = `a\n  b`;\n", "var s = 'a\\\n  b';\n"])
def test_files_whose_strings_may_span_lines_ship_as_they_are(source):
    assert compact_js(source) == source


def test_css_comments_and_unneeded_white_space_go():
    assert compact_css("/* why */\n.a {\n  color: red; /* note */\n}\n\n") == ".a{color:red}\n"
    # A space before a colon is a descendant selector; strings keep every space; calc keeps its own.
    source = 'nav :focus , a > b {\n  content: "x :  ;  y" / "";\n  width: calc(100% - 2rem);\n}\n'
    assert compact_css(source) == 'nav :focus,a>b{content:"x :  ;  y" / "";width:calc(100% - 2rem)}\n'


@pytest.mark.parametrize("sdk", ["v8", "legacy"])
def test_shipped_runtime_fits_the_budget(sdk):
    # That the shipped code still works is what tests/browser, tests/legacy and tests/a11y prove:
    # they run these very bytes.
    assets = runtime_assets(sdk, fake_proview=False)
    # What every page loads: its code, the SDK adapter, its stylesheet and its messages (English here).
    shipped = b"".join(assets[name].content for name in ("exam.js", "sdk.js", "exam.css"))
    shipped += messages_asset("en").content
    assert len(gzip.compress(shipped, 9)) < RUNTIME_BUDGET_GZIPPED
