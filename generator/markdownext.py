"""Python-Markdown as examsite configures it: its extensions, and inline math ($...$) as MathML.

Apart from content.py so that Markdown and Pygments (which the code-highlighting extension
imports) are loaded only when a text has to be converted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import markdown
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor

from .content import MATH_PATTERN
from .highlight import LabelledFormatter

if TYPE_CHECKING:
    from .content import MarkdownRenderer


def make_converter(renderer: "MarkdownRenderer") -> markdown.Markdown:
    """The converter of one renderer; formulas go to `renderer.math`."""
    # Extensions as instances, not names: a name is looked up among every installed package's
    # entry points first (about 15 ms of each build that renders), and could find another's.
    return markdown.Markdown(
        extensions=[FencedCodeExtension(), TableExtension(), SaneListExtension(),
                    CodeHiliteExtension(css_class="highlight", guess_lang=False, pygments_formatter=LabelledFormatter),
                    _MathExtension(renderer)],
        output_format="html")


class _MathProcessor(InlineProcessor):
    def __init__(self, renderer: "MarkdownRenderer", md: markdown.Markdown) -> None:
        super().__init__(MATH_PATTERN, md)
        self.renderer = renderer

    def handleMatch(self, match: re.Match, data: str):  # noqa: N802 (Python-Markdown's name)
        display = match.group("display") is not None
        tex = match.group("display") if display else match.group("inline")
        mathml = self.renderer.math(tex, display)
        return self.md.htmlStash.store(mathml), match.start(0), match.end(0)


class _MathExtension(Extension):
    def __init__(self, renderer: "MarkdownRenderer") -> None:
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        # After code spans (190), so `$x$` in backticks stays code; before emphasis, so x_1 stays math.
        md.inlinePatterns.register(_MathProcessor(self.renderer, md), "examsite_math", 185)
