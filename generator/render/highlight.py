"""Code highlighting at build time (Pygments), with colours that meet WCAG AA contrast."""

from __future__ import annotations

import functools
import html
import io

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

CODE_BACKGROUND = "#f6f8fa"
TEXT_COLOUR = "#1f2328"
MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal text
STYLE = "default"


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _darken_to_contrast(colour: str, background: str) -> str:
    """The colour, darkened step by step (keeping its hue) until it reads on the background."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    while contrast(f"#{r:02x}{g:02x}{b:02x}", background) < MIN_CONTRAST:
        r, g, b = int(r * 0.92), int(g * 0.92), int(b * 0.92)
    return f"#{r:02x}{g:02x}{b:02x}"


def stylesheet() -> str:
    """CSS for the token classes Pygments emits, every colour at least AA on the code background."""
    style = get_style_by_name(STYLE)
    rules = [f".highlight {{ background: {CODE_BACKGROUND}; color: {TEXT_COLOUR}; }}"]
    for token, definition in style:
        css_class = STANDARD_TYPES.get(token)
        if not css_class:
            continue
        declarations = []
        if definition["color"]:
            declarations.append(f"color: {_darken_to_contrast('#' + definition['color'], CODE_BACKGROUND)}")
        if definition["bold"]:
            declarations.append("font-weight: bold")
        if definition["italic"]:
            declarations.append("font-style: italic")
        if declarations:
            rules.append(f".highlight .{css_class} {{ {'; '.join(declarations)} }}")
    rules.append(".visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; "
                 "clip: rect(0 0 0 0); white-space: nowrap; }")
    return "\n".join(rules) + "\n"


@functools.lru_cache(maxsize=None)
def _lexer(lang: str) -> tuple[Lexer, str | None]:
    """The lexer for a fence's language and the name to announce; plain text when unknown.

    Cached: finding a lexer by name scans Pygments' whole lexer table (about 1 ms a code block),
    and a lexer keeps no state between texts.
    """
    if lang:
        try:
            lexer = get_lexer_by_name(lang)
            return lexer, lexer.name
        except ClassNotFound:
            pass
    return TextLexer(), None


@functools.lru_cache(maxsize=None)
def _formatter(language: str | None) -> "LabelledFormatter":
    # Cached: a formatter builds its token -> CSS class tables when made (about 3 ms).
    return LabelledFormatter(language, cssclass="highlight", wrapcode=True)


def highlight_code(code: str, lang: str) -> str:
    """A fenced block as highlighted HTML, labelled with its language for screen readers."""
    lexer, language = _lexer(lang)
    return highlight(code, lexer, _formatter(language))


class LabelledFormatter(HtmlFormatter):
    """Pygments' HTML, preceded by the language's name for screen readers ("Python code")."""

    def __init__(self, language: str | None, **options) -> None:
        super().__init__(**options)
        self.language = language

    def format_unencoded(self, tokensource, outfile) -> None:
        buffer = io.StringIO()
        super().format_unencoded(tokensource, buffer)
        code = buffer.getvalue()
        if self.language:
            # Inside the block's <div>, so the label travels with the block.
            label = f'<span class="visually-hidden">{html.escape(self.language)} code</span>'
            code = code.replace("<pre>", label + "<pre>", 1)
        outfile.write(code)
