"""Accessibility and language tests of the built pages in Chromium (issue 7).

The machinery is tests/browser's and tests/legacy's, imported, not copied: the run-wide Chromium,
the Harness, the intercepted endpoints and loaders, the real build. This folder only supplies its
own sites, served from one local server, by overriding `base_url` (tests/browser's `harness`) and
`legacy_base_url` (tests/legacy's `legacy`):

/v8/examples/      the repository's example exams (STEM with math and code, French, ...), --proview fake
/v8/focus/         every question type (focus, with an accommodation), a 15-minute timer exam, an
                   80-minute exam with 25% extra time for one attendee, one exam per shipped
                   language besides English (ar, fr, es, de), and one question a page (paged)
/legacy/examples/  the example exams with the legacy embed
/legacy/focus/     the focus exam with the legacy embed

axe-core is vendored (vendor/axe.min.js, MPL-2.0, see vendor/README.md): the README's test command
needs no npm and the tests need no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

from tests.browser.conftest import (  # noqa: F401  (fixtures are used by name)
    FOCUS_CONFIG, FOCUS_EXAM, PAGED_EXAM, _build, _finish, _site, harness, serving,
)
from tests.legacy.conftest import FOCUS_CONFIG as LEGACY_FOCUS_CONFIG
from tests.legacy.conftest import legacy, legacy_examples  # noqa: F401

A11Y_CONFIG = FOCUS_CONFIG.replace("  languages: [en, fr]\n", "  languages: [en, fr, es, de, ar]\n")

# Thresholds at 10, 5 and 1 minutes left all lie inside it.
TIMER_EXAM = """\
id: timer
title: Timer exam
time_limit: 15
questions:
  - {id: t1, type: short_text, prompt: Anything., answers: [a]}
"""

# 80 minutes, 25% more for acc-1: 100 minutes, longer than one 90-minute Proview session.
EXTRA_EXAM = """\
id: extra
title: Extra time exam
workflow_identifier: extra-wf
time_limit: 80
accommodations:
  - {extra_time: 25, attendees: [acc-1, acc-3]}
questions:
  - {id: e1, type: short_text, prompt: Anything., answers: [a]}
"""

ARABIC_EXAM = """\
id: arabic
title: اختبار العلوم
lang: ar
languages: [ar]
instructions: اقرأ كل سؤال بعناية.
time_limit: 10
questions:
  - id: a1
    type: single
    prompt: ما ناتج ٢ + ٢؟
    choices: [{text: "٣"}, {text: "٤", correct: true}]
  - {id: a2, type: true_false, prompt: الماء يغلي عند ١٠٠ درجة مئوية., answer: true}
  - {id: a3, type: short_text, prompt: ما اسم أقرب نجم إلى الأرض؟, answers: [الشمس]}
"""


def language_exam(lang: str, title: str) -> str:
    return f"""\
id: lang-{lang}
title: {title}
lang: {lang}
languages: [{lang}]
time_limit: 10
questions:
  - {{id: l1, type: true_false, prompt: "1 + 1 = 2", answer: true}}
"""


@pytest.fixture(scope="session")
def a11y_sites(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("a11y-sites")
    src = tmp_path_factory.mktemp("a11y-src")
    exams = {"focus": FOCUS_EXAM, "timer": TIMER_EXAM, "extra": EXTRA_EXAM, "arabic": ARABIC_EXAM,
             "lang-fr": language_exam("fr", "Examen"), "lang-es": language_exam("es", "Examen"),
             "lang-de": language_exam("de", "Prüfung"), "paged": PAGED_EXAM}
    _finish([  # side by side
        _build(REPO / "exams.yaml", root / "v8" / "examples"),
        _build(_site(src / "focus", A11Y_CONFIG, exams), root / "v8" / "focus"),
        _build(legacy_examples(src / "legacy-examples"), root / "legacy" / "examples"),
        _build(_site(src / "legacy-focus", LEGACY_FOCUS_CONFIG, {"focus": FOCUS_EXAM}), root / "legacy" / "focus"),
    ])
    return root


@pytest.fixture(scope="session")
def a11y_server(a11y_sites: Path):
    with serving(a11y_sites) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(a11y_server: str) -> str:
    """tests/browser's `harness` serves these pages."""
    return a11y_server + "/v8"


@pytest.fixture(scope="session")
def legacy_base_url(a11y_server: str) -> str:
    """tests/legacy's `legacy` serves these pages."""
    return a11y_server + "/legacy"


@pytest.fixture(params=["v8", "legacy"])
def target(request):
    """(harness, the stand-in's failure for an init error) per Proview target."""
    if request.param == "v8":
        return request.getfixturevalue("harness"), "init_reject"
    return request.getfixturevalue("legacy"), "init_error"
