"""Real-browser tests of the legacy Proview embed target (issue 5): tv('init', ...) / ProctorClient3.

The same machinery as tests/browser (imported from its conftest, not copied): the run-wide Chromium,
sites built with the real build, served from 127.0.0.1, every non-local host refused or routed.
Sites, built once per session with `proview.sdk: legacy`:

/examples/   the repository's example exams (exams/, templates/), --proview fake
/real/       the same without --proview fake: the page loads https://cdn.proview.io/init.js, which
             the tests route to the legacy stand-in, cross-origin, as the CDN would serve it
/focus/      the focus exam (every question type, 10 min) and the long exam (90 min, default guard),
             with a preview style, --proview fake
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `pytest` (not `python -m pytest`) does not put the repository on the path
    sys.path.insert(0, str(REPO))

from tests.browser.conftest import (  # noqa: E402  (the shared browser helpers)
    FOCUS_EXAM, FOCUS_SUBMIT_URL, LONG_EXAM, _build, _finish, _site, harness_for, serving,
)

TOKEN = "b3f6224e-d072-4aea-9053-9216b9994d43"
LEGACY_LOADER_URL = "https://cdn.proview.io/init.js"  # the default (seeds' README)
FAKE_LEGACY_LOADER = REPO / "generator" / "render" / "runtime" / "proview-fake-legacy.js"
PREVIEW_STYLE = "position: fixed; bottom: 0; right: 0"
LEGACY_PROVIEW = f"proview:\n  sdk: legacy\n  token: {TOKEN}\n  session_type: ai_proctor\n"

FOCUS_CONFIG = f"""\
site:
  title: Legacy focus tests
  base_url: https://exams.examsite.test/
{LEGACY_PROVIEW}  preview_style: "{PREVIEW_STYLE}"
submission:
  url: {FOCUS_SUBMIT_URL}
exams:
  - exams/*.yaml
"""


def legacy_examples(dest: Path) -> Path:
    """A copy of the repository's example site whose proview block is the legacy one."""
    dest.mkdir(parents=True)
    shutil.copytree(REPO / "exams", dest / "exams")
    shutil.copytree(REPO / "templates", dest / "templates")
    text = (REPO / "exams.yaml").read_text()
    # The block runs from `proview:` to the next top-level key; environments are for the v8 target.
    text, count = re.subn(r"(?m)^proview:\n(?:[ #].*\n|\n)*?(?=^\S)", LEGACY_PROVIEW + "\n", text)
    assert count == 1, "the example exams.yaml has no proview block to replace"
    text = text.split("\nenvironments:")[0] + "\n"
    (dest / "exams.yaml").write_text(text)
    return dest / "exams.yaml"


@pytest.fixture(scope="session")
def legacy_sites(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("legacy-sites")
    src = tmp_path_factory.mktemp("legacy-src")
    examples = legacy_examples(src / "examples")
    # The real CLI, side by side in the background (tests/browser's _build), then waited for.
    _finish([_build(examples, root / "examples"), _build(examples, root / "real", fake=False),
             _build(_site(src / "focus", FOCUS_CONFIG, {"focus": FOCUS_EXAM, "long": LONG_EXAM}), root / "focus")])
    return root


@pytest.fixture(scope="session")
def legacy_base_url(legacy_sites: Path):
    with serving(legacy_sites) as url:
        yield url


@pytest.fixture
def legacy(browser: Browser, legacy_base_url: str):
    """tests/browser's Harness on the legacy sites."""
    with harness_for(browser, legacy_base_url, LEGACY_LOADER_URL, FAKE_LEGACY_LOADER) as h:
        yield h
