"""Markdown at build time: sanitizing, math to MathML, highlighted code, authoring warnings."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest

from generator.render.markdown import MarkdownRenderer
from generator.diagnostics import Diagnostics, Position
from generator.render.highlight import CODE_BACKGROUND, MIN_CONTRAST, contrast, stylesheet
from generator.render.mathml import TexError, tex_to_mathml
from generator.site.files import SiteFiles
from generator.site.model import Text


def render(source: str, line: int = 10):
    diagnostics = Diagnostics()
    rendered = MarkdownRenderer(diagnostics, https_only=True, files=SiteFiles.of(Path("."))).render(
        Text(source, Position("exam.yaml", line, 5), Path(".")), "../assets/")
    return rendered.html, [str(d) for d in diagnostics.items]


def test_inline_and_display_math_become_mathml_with_the_tex_annotated():
    html, problems = render("The area is $\\pi r^2$.\n\n$$\\frac{a}{b}$$")
    assert problems == []
    maths = re.findall(r"<math .*?</math>", html, re.S)
    assert len(maths) == 2
    inline = etree.fromstring(maths[0])
    assert inline.get("display") == "inline"
    ns = "{http://www.w3.org/1998/Math/MathML}"
    annotation = inline.find(f"{ns}semantics/{ns}annotation")
    assert annotation.get("encoding") == "application/x-tex" and annotation.text == "\\pi r^2"
    assert etree.fromstring(maths[1]).get("display") == "block"
    assert "<script" not in html


def test_dollars_that_are_money_or_code_stay_text():
    html, _ = render("It costs $5 and $10. `$x$` is code.")
    assert "<math" not in html and "$5 and $10" in html and "<code>$x$</code>" in html


@pytest.mark.parametrize("tex,message", [
    ("\\frac{a}", "'mfrac' is missing a part"),
    ("x^{2", "'{' never closed"),
    ("\\notacommand{x}", "unknown TeX command \\notacommand"),
    ("\\begin{pmatrix}1", "invalid TeX"),
])
def test_invalid_tex_is_an_error(tex, message):
    with pytest.raises(TexError, match=re.escape(message)):
        tex_to_mathml(tex, display=False)


def test_invalid_tex_is_reported_at_its_line():
    _, problems = render("First line.\n\nSecond has $\\frac{a}$ in it.", line=20)
    assert len(problems) == 1 and problems[0].startswith("exam.yaml:22:") and ": error: " in problems[0]


def test_code_is_highlighted_and_names_its_language():
    html, _ = render("```python\nprint('hi')\n```")
    assert html.startswith('<div class="highlight"><span class="visually-hidden">Python code</span><pre>')
    assert '<span class="nb">print</span>' in html


def test_highlight_colours_meet_aa_contrast():
    colours = re.findall(r"color: (#[0-9a-f]{6})", stylesheet())
    assert len(colours) > 10
    assert min(contrast(colour, CODE_BACKGROUND) for colour in colours) >= MIN_CONTRAST


def test_raw_html_is_sanitized():
    html, _ = render('<script>alert(1)</script><a href="javascript:alert(2)">x</a><p onclick="y">ok</p>')
    assert "alert(1)" not in html and "javascript:" not in html and "onclick" not in html and "ok" in html


def test_authoring_warnings_for_skipped_headings_and_empty_links():
    _, problems = render("# Title\n\n### Deep\n\n[](https://example.edu/help)")
    assert any("warning: a level-3 heading follows a level-1 one" in p for p in problems)
    assert any("warning: the link to 'https://example.edu/help' has no text" in p for p in problems)


def test_table_alignment_is_kept_without_style_attributes():
    html, _ = render("| n | time |\n|---|---:|\n| 1 | 20 |")
    assert '<th align="right">time</th>' in html and '<td align="right">20</td>' in html
    assert "style=" not in html  # the page's CSP refuses inline styles


def test_links_keep_only_allowed_schemes_and_open_safely():
    html, _ = render("[help](https://example.edu/help), [file](ftp://example.edu/x) and [mail](mailto:a@b.c)")
    assert '<a href="https://example.edu/help" rel="noopener noreferrer">help</a>' in html
    assert "ftp:" not in html and '<a rel="noopener noreferrer">file</a>' in html  # the text, leading nowhere
    assert '<a href="mailto:a@b.c" rel="noopener noreferrer">mail</a>' in html


def test_commonmark_nests_lists_by_two_spaces():
    html, _ = render("- outer\n  - inner")
    assert html == "<ul>\n<li>outer\n<ul>\n<li>inner</li>\n</ul>\n</li>\n</ul>"


def test_local_image_names_with_spaces_are_found(tmp_path):
    (tmp_path / "my figure.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    diagnostics = Diagnostics()
    rendered = MarkdownRenderer(diagnostics, https_only=True, files=SiteFiles.of(tmp_path)).render(
        Text("![A figure](<my figure.svg>)", Position("exam.yaml", 1, 1), tmp_path), "../assets/")
    assert diagnostics.items == [] and rendered.images[0].source == tmp_path / "my figure.svg"


def test_dollars_in_code_spans_and_code_blocks_stay_literal():
    html, problems = render("Type `echo $HOME$` or `$x$`:\n\n```sh\necho $PATH$ '$a$'\n```\n\nand $y$.")
    assert problems == [] and html.count("<math") == 1
    assert "<code>echo $HOME$</code>" in html and "<code>$x$</code>" in html
    code = re.search(r'<div class="highlight">.*?<pre>(.*?)</pre>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", code).replace("&#39;", "'").replace("&#x27;", "'") == "echo $PATH$ '$a$'\n"


def test_dollars_in_a_link_title_and_url_stay_literal_and_the_html_is_well_formed():
    html, _ = render('[see $x$ here](https://example.edu/a$b$c "about $x$") or '
                     '![a $y$ plot](https://example.edu/$y$.png)')
    assert '<a href="https://example.edu/a$b$c" title="about $x$" rel="noopener noreferrer">' in html
    assert 'src="https://example.edu/$y$.png"' in html and 'alt="a $y$ plot"' in html
    assert html.count("<math") == 1  # in the link's text only: not in attributes (alt is one)
    etree.fromstring(f"<root>{re.sub(r'<img [^>]*>', '', html)}</root>")  # well-formed (but for the void <img>)


def test_inline_math_cannot_span_a_paragraph_break():
    html, problems = render("It costs $a\n\nb$ in all, and $c$ is math.")
    assert problems == [] and html.startswith("<p>It costs $a</p>\n<p>b$ in all, and <math")
    assert html.count("<math") == 1


@pytest.mark.parametrize("source", [
    "[a](javascript:alert(1))", "[b](JavaScript:alert(2) 'title')", "[c](java&#115;cript:alert(3))",
    "[d](javascript&colon;alert(4))", "[e]\n\n[e]: javascript:alert(5)", "<javascript:alert(6)>",
    "[f](javascript:alert(7)) and $x$", "![g](javascript:alert(8))",
])
def test_script_links_never_get_an_href(source):
    html, _ = render(source)
    assert "<a" in html or "<img" in html
    assert all(url == "" for url in re.findall(r'(?:href|src)="([^"]*)"', html))  # leads nowhere


def test_a_text_holding_the_placeholder_character_renders_safely():
    for source in ("\ue0000\ue001 and $x$", "&#xe000;7&#xe001; and $x$ <b>bold</b>", "\ue000 $x$ `\ue000`"):
        html, problems = render(source)
        assert "<math" not in html and "$x$" in html  # no math then, and nothing lost; the author is told why
        assert problems == ["exam.yaml:10:5: warning: this text holds the private-use character U+E000, so its "
                            "$...$ formulas are shown as written; remove that character to get math"]
    assert render("\ue000 costs $5 or more")[1] == []  # no formula: nothing to say
    html, _ = render("\ue000<script>alert(1)</script>")
    assert "<script" not in html and "alert" not in html


def test_raw_html_is_sanitized_alongside_math_and_code():
    html, _ = render('$x$ <script>alert(1)</script> `<b>` <img src="a.png" alt="A" onerror="alert(2)">\n\n'
                     '<div onclick="alert(3)">$y$</div>')
    assert "<script" not in html and "alert" not in html and "onclick" not in html and "onerror" not in html
    assert "<code>&lt;b&gt;</code>" in html and html.count("<math") == 2


def test_formulas_are_sanitized_too():
    # latex2mathml writes \href and \style as attributes: a text with math always goes through nh3.
    html, _ = render(r"$\href{javascript:alert(1)}{x}$ and $\style{color:red}{y}$")
    assert html.count("<math") == 2 and not re.search(r"\s(href|style)=", html)


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_rendering_does_not_leak_memory():
    """cmarkgfm's own functions lose the tree and the HTML of every text (about 2.5 KB each):
    over a large build, or a long preview, that was hundreds of MB."""
    texts = [f"Text {i} with *emphasis*, `code` and a [link](https://example.edu/{i}).\n\n"
             "| a | b |\n| -: | --- |\n| 1 | 2 |\n\n- one\n- two\n" for i in range(2000)]
    renderer = MarkdownRenderer(Diagnostics(), https_only=True, files=SiteFiles.of(Path(".")))

    def render_all() -> None:
        for index, source in enumerate(texts):
            renderer.render(Text(source, Position("exam.yaml", index + 1, 1), Path(".")), "../assets/")

    render_all()  # warm: the allocator's arenas, the extensions, Python's caches
    before = _resident_bytes()
    for _ in range(5):
        render_all()
    # 10,000 texts: a leak of 2.5 KB each would add 25 MB.
    assert _resident_bytes() - before < 4 * 2 ** 20


def test_where_cmarks_frees_cannot_be_reached_the_html_is_the_same(monkeypatch):
    from generator.render import cmark

    texts = ["*a* `b` [c](https://d.e)", "| x | y |\n| -: | :- |\n| 1 | 2 |", "~~gone~~ ~kept~", "<b>raw</b>\n\n- i"]
    freed = [cmark.to_html(text) for text in texts]
    monkeypatch.setattr(cmark, "_freeing", lambda: None)
    assert [cmark.to_html(text) for text in texts] == freed
    assert 'align="right"' in freed[1] and "<del>gone</del>" in freed[2] and "~kept~" in freed[2]
