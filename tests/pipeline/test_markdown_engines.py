"""exams.yaml `markdown`: Python-Markdown with extensions beside cmark-gfm, the default; the same
sanitizing, math, highlighting and image checks after either; the cache keyed by the engine."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from tests.kit.sites import CONFIG, EXAM, build_site, dedent, make_site, problems

from generator.build.run import RunOptions
from generator.build.cache import site_salt
from generator.site.config import MarkdownConfig, load_config
from generator.render.markdown import MarkdownRenderer
from generator.diagnostics import Diagnostics, Position, Severity
from generator.site.files import SiteFiles
from generator.site.model import Text
from generator.render.pages import PageOptions
from generator.site.pymarkdown import Converter

REPO = Path(__file__).resolve().parents[2]
EXTENSIONS = ["tables", "fenced_code", "admonition", "def_list", "footnotes", "attr_list", "abbr"]
PYTHON_MARKDOWN = MarkdownConfig("python-markdown", tuple(EXTENSIONS))
ENGINE_SECTION = f"markdown:\n  engine: python-markdown\n  extensions: [{', '.join(EXTENSIONS)}]\n"


def render(source: str, engine: MarkdownConfig = PYTHON_MARKDOWN, base: Path = Path(".")):
    diagnostics = Diagnostics()
    rendered = MarkdownRenderer(diagnostics, https_only=True, files=SiteFiles.of(base.resolve()), engine=engine).render(
        Text(source, Position("exam.yaml", 10, 5), base), "../assets/")
    return rendered.html, [str(d) for d in diagnostics.items]


def test_python_markdown_builds_the_example_exams(tmp_path):
    shutil.copytree(REPO / "exams", tmp_path / "exams")
    config = (REPO / "exams.yaml").read_text(encoding="utf-8") + "\n" + ENGINE_SECTION
    (tmp_path / "exams.yaml").write_text(config, encoding="utf-8")
    summary = build_site(tmp_path / "exams.yaml", tmp_path / "output", tmp_path / "keys")
    assert [str(d) for d in summary.diagnostics if d.severity is Severity.ERROR] == []
    assert summary.exams == len(list((REPO / "exams").glob("*.yaml"))) and summary.pages >= summary.exams
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "output").rglob("index.html"))
    assert "<math" in pages and 'class="highlight"' in pages  # math and code went through as with cmark


def test_admonition_definition_list_and_footnote_render_and_are_sanitized():
    source = dedent("""
        !!! note "Careful"
            Read **every** part. <script>alert(1)</script>

        Facility
        :   The mean score over the maximum.
        {: onclick="steal()" }

        A claim[^1] about $x^2$.

        [^1]: Its source.
        """)
    html, found = render(source)
    assert found == []
    assert '<div class="admonition note">\n<p class="admonition-title">Careful</p>' in html
    assert "<strong>every</strong>" in html
    assert "<dl>\n<dt>Facility</dt>\n<dd>The mean score over the maximum.</dd>\n</dl>" in html
    # The footnote's link and its target share the text's own prefix: the link works.
    reference = re.search(r'<sup id="(t[0-9a-f]{8}-)fnref:1"><a href="#(t[0-9a-f]{8}-)fn:1"', html)
    assert reference and reference.group(1) == reference.group(2)
    assert f'<li id="{reference.group(1)}fn:1">' in html and "Its source." in html
    assert "<math" in html  # formulas are placed before and after the engine as for cmark
    assert "<script" not in html and "alert(1)" not in html and "onclick" not in html and "steal" not in html
    assert 'onclick="steal()"' in Converter(EXTENSIONS, {}).to_html(source)  # what attr_list wrote, removed


@pytest.mark.parametrize("engine", [MarkdownConfig(), PYTHON_MARKDOWN], ids=["cmark-gfm", "python-markdown"])
def test_scripts_and_event_handlers_are_removed_under_both_engines(engine):
    html, _ = render('Text <script>alert(1)</script> and <img src="x.png" alt="x" onerror="alert(2)">\n\n'
                     '<div onclick="alert(3)">block</div>\n\n[go](javascript:alert(4))', engine)
    assert "alert" not in html and "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "block" in html and "Text" in html


@pytest.mark.parametrize("engine", [MarkdownConfig(), PYTHON_MARKDOWN], ids=["cmark-gfm", "python-markdown"])
def test_ids_are_kept_only_with_a_prefix_of_the_texts_own(engine):
    """An id in a text can never be one of the page's (exam-timer) nor another text's."""
    first, _ = render('<span id="exam-timer">x</span> <b ID = "b">z</b> [back](#exam-timer)', engine)
    second, _ = render('<span id="exam-timer">y</span>', engine)
    ids = re.findall(r'id="([^"]*)"', first + second)
    assert len(ids) == 3 and len(set(ids)) == 3 and all(re.fullmatch(r"t[0-9a-f]{8}-(exam-timer|b)", i) for i in ids)
    assert f'href="#{ids[0]}"' in first
    assert 'id="' not in render("<span>no ids</span> [here](#top)", engine)[0]


@pytest.mark.parametrize("engine", [MarkdownConfig(), PYTHON_MARKDOWN], ids=["cmark-gfm", "python-markdown"])
def test_images_are_checked_under_both_engines(engine, tmp_path):
    _, found = render("![](missing.png)", engine, tmp_path)
    assert any("image 'missing.png' has no alt text" in problem for problem in found)
    assert any("image file 'missing.png' not found" in problem for problem in found)


def test_code_is_highlighted_and_texts_without_markup_still_go_through_the_extensions():
    html, _ = render("```python\nprint('hi')\n```")
    assert '<span class="nb">print</span>' in html
    smarty = MarkdownConfig("python-markdown", ("smarty",))
    assert render("Wait -- really", smarty)[0] == "<p>Wait \u2013 really</p>"


def test_the_differences_the_readme_tells_authors_of():
    cmark = MarkdownConfig()
    nested = "<ul>\n<li>outer\n<ul>\n<li>inner</li>\n</ul>\n</li>\n</ul>"
    assert render("- outer\n  - inner", cmark)[0] == nested
    assert render("- outer\n  - inner")[0] == "<ul>\n<li>outer</li>\n<li>inner</li>\n</ul>"  # 2 spaces: no nesting
    assert render("- outer\n    - inner")[0] == nested.replace("outer\n", "outer")
    assert "<em>b</em>" in render("<div>\n*a*\n\n*b*\n</div>", cmark)[0]
    assert render("<div>\n*a*\n\n*b*\n</div>")[0] == "<div>\n*a*\n\n*b*\n</div>"
    assert render("| a |\n|---|\n| 1 |", MarkdownConfig("python-markdown"))[0].startswith("<p>| a |")
    assert render("Costs \\$5", cmark)[0] == "<p>Costs $5</p>" and render("Costs \\$5")[0] == "<p>Costs \\$5</p>"


def test_unknown_extension_or_setting_is_an_error_at_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = make_site(tmp_path, config=CONFIG + dedent("""
        markdown:
          engine: python-markdown
          extensions:
            - admonition
            - def_lists
          extension_configs:
            admonition: {colour: red}
        """))
    assert problems(config) == [
        "exams.yaml:9:7: error: unknown Markdown extension 'def_lists': no installed module has that name; "
        "did you mean 'def_list'?",
        "exams.yaml:11:18: error: Markdown extension 'admonition' has no setting 'colour'; it has none",
    ]


def test_an_extension_failing_on_a_text_is_an_error_at_that_text_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    broken = "markdown: {engine: python-markdown, extensions: [toc], extension_configs: {toc: {slugify: lower}}}\n"
    exam = EXAM.replace("prompt: Pick four.", 'prompt: "# Pick\\n\\nfour."')
    config = make_site(tmp_path, {"sample": exam}, config=CONFIG + broken)
    assert problems(config) == [
        "exams/sample.yaml:7:13: error: Python-Markdown could not convert this text: TypeError: 'str' object is "
        "not callable (check markdown.extensions and extension_configs in exams.yaml)"]


def test_an_unknown_engine_and_extensions_without_python_markdown_are_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = make_site(tmp_path, config=CONFIG + "markdown: {engine: python_markdown}\n")
    assert problems(config) == ["exams.yaml:5:20: error: markdown.engine must be one of cmark-gfm, python-markdown, "
                                "not 'python_markdown'; did you mean 'python-markdown'?"]
    config = make_site(tmp_path, config=CONFIG + "markdown: {extensions: [footnotes]}\n")
    assert problems(config) == ["exams.yaml:5:12: error: markdown.extensions are Python-Markdown's: set "
                                "markdown.engine to python-markdown to use them (cmark-gfm has tables and "
                                "~~strikethrough~~ built in)"]


@pytest.mark.parametrize("section", [
    "markdown: {engine: python-markdown}\n",
    "markdown: {engine: python-markdown, extensions: [admonition]}\n",
    "markdown: {engine: python-markdown, extensions: [footnotes], extension_configs: {footnotes: {SEPARATOR: '-'}}}\n",
])
def test_the_engine_and_its_settings_change_the_cache_address(tmp_path, section):
    def salt(config_text: str) -> bytes:
        make_site(tmp_path, config=config_text)
        config = load_config(tmp_path / "exams.yaml", None, Diagnostics())
        return site_salt(config, PageOptions())

    default = salt(CONFIG)
    assert salt(CONFIG + section) not in (default, salt(CONFIG + "markdown: {engine: python-markdown, "
                                                              "extensions: [tables]}\n"))
    assert salt(CONFIG + "markdown: {engine: cmark-gfm}\n") == default  # the default, written out


def test_switching_engines_rebuilds_every_page_from_the_cache(tmp_path):
    """Fragments are reused by their text alone: a cached page or fragment of the other engine must not stand."""
    exam = EXAM.replace("prompt: Pick four.", 'prompt: "!!! note\\n    Pick *four*."')
    config = make_site(tmp_path, {"sample": exam})
    os.utime(tmp_path / "exams" / "sample.yaml", (time.time() - 60,) * 2)  # old enough to be cached
    out, keys = tmp_path / "output", tmp_path / "keys"

    def page(config_text: str) -> str:
        config.write_text(dedent(config_text), encoding="utf-8")
        build_site(config, out, keys, run=RunOptions(cache=True, jobs=1))
        return (out / "sample" / "index.html").read_text(encoding="utf-8")

    cmark = page(CONFIG)  # the prompt's HTML is in the page's JSON data
    assert "admonition note" not in cmark and "!!! note" in cmark
    assert "admonition note" in page(CONFIG + "markdown: {engine: python-markdown, "
                                                            "extensions: [admonition]}\n")
    assert page(CONFIG + "markdown: {engine: python-markdown}\n").count("!!! note") == 1
    assert page(CONFIG) == cmark
