"""What the build puts in a page for `proview.sdk: legacy` (issue 5), checked on the built HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build.run import build
from tests.kit.pages import page_csp, page_data, parse
from tests.legacy.conftest import LEGACY_LOADER_URL, TOKEN, legacy_examples

PAGES = ("algebra-quiz/index.html", "data-structures-final/index.html", "data-structures-final/part-2/index.html")


@pytest.fixture(scope="module")
def built(legacy_sites):
    """The example exams with the legacy proview block, as the browser tests build them (conftest):
    real/ without and examples/ with --proview fake."""
    return legacy_sites


def test_tv_stub_comes_before_the_loader_which_is_the_last_script_and_there_is_no_v8_hook(built):
    for name in PAGES:
        html = (built / "real" / name).read_bytes()
        scripts = parse(html).scripts
        loader = scripts[-1][0]
        assert loader["id"] == "proview-loader" and loader["src"] == LEGACY_LOADER_URL
        assert "async" in loader and loader["crossorigin"] == "anonymous"
        stubs = [i for i, (a, text) in enumerate(scripts) if "window.TalviewProctor = 'tv'" in text]
        assert len(stubs) == 1 and stubs[0] < len(scripts) - 1
        assert "(window.tv.q = window.tv.q || []).push(arguments)" in scripts[stubs[0]][1]
        runtime = [i for i, (a, _) in enumerate(scripts) if "/assets/" in a.get("src", "")]
        assert [scripts[i][0]["src"].split("/")[-1].split(".")[0] for i in runtime] == ["sdk-legacy", "messages", "exam"]
        assert max(runtime) < stubs[0]
        for attributes, _ in scripts[:-1]:
            assert "async" not in attributes and "defer" not in attributes
        assert b"proviewOnLoad" not in html


def test_page_data_carries_the_legacy_options(built):
    quiz = page_data((built / "real" / "algebra-quiz" / "index.html").read_bytes())["proview"]
    assert quiz["sdk"] == "legacy"
    assert (quiz["token"], quiz["session_type"]) == (TOKEN, "ai_proctor")
    assert quiz["session_title"] == "Algebra quiz, week 6"  # defaults to the exam title
    assert quiz["preview_style"] is None
    assert quiz["refresh_after_seconds"] == 85 * 60  # the same 90-minute guard


def test_csp_covers_the_default_and_a_custom_legacy_loader(built, tmp_path):
    default = page_csp((built / "real" / "algebra-quiz" / "index.html").read_bytes())
    directives = {part.split()[0]: part.split()[1:] for part in default.split("; ")}
    assert directives["script-src"] == ["'self'", "'unsafe-inline'", "https://*.proview.io"]  # cdn.proview.io

    config = legacy_examples(tmp_path / "site")
    text = config.read_text().replace("  session_type: ai_proctor\n", "  session_type: ai_proctor\n"
                                      "  loader_url: https://proview-cdn.example.edu/legacy/init.js\n")
    config.write_text(text)
    build(config, None, tmp_path / "out", tmp_path / "keys")
    html = (tmp_path / "out" / "algebra-quiz" / "index.html").read_bytes()
    directives = {part.split()[0]: part.split()[1:] for part in page_csp(html).split("; ")}
    assert directives["script-src"] == ["'self'", "'unsafe-inline'", "https://*.proview.io",
                                        "https://proview-cdn.example.edu"]
    assert parse(html).scripts[-1][0]["src"] == "https://proview-cdn.example.edu/legacy/init.js"


def test_preview_build_ships_the_legacy_stand_in(built):
    assets = sorted(p.name.split(".")[0] for p in (built / "examples" / "assets").glob("*.js"))
    assert assets == ["exam", "messages", "messages", "proview-fake-legacy", "sdk-legacy"]  # messages: en, fr
    loader = parse((built / "examples" / "algebra-quiz" / "index.html").read_bytes()).scripts[-1][0]
    assert Path(loader["src"]).name.startswith("proview-fake-legacy.")
