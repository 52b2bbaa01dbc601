"""Code highlighting at build time (Pygments), with colours that meet WCAG AA contrast."""

from __future__ import annotations

import functools
import html
import io

from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
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
def language_name(lang: str) -> str | None:
    # Cached: finding a lexer by name scans Pygments' whole lexer table (about 1 ms a code block).
    try:
        return get_lexer_by_name(lang).name
    except ClassNotFound:
        return None


class LabelledFormatter(HtmlFormatter):
    """Pygments' HTML, preceded by the language's name for screen readers ("Python code")."""

    # Pygments rebuilds its token -> CSS class tables for every formatter, that is for every code
    # block (about 3 ms); they depend only on the style and the class prefix, so they are made once.
    _tables: dict[tuple, tuple[dict, dict]] = {}

    def __init__(self, lang_str: str = "", **options) -> None:
        super().__init__(**options)
        self.language = language_name(lang_str.removeprefix("language-")) if lang_str else None

    def _create_stylesheet(self) -> None:
        key = (self.style, self.classprefix)
        if key not in self._tables:
            super()._create_stylesheet()
            self._tables[key] = (self.ttype2class, self.class2style)
        ttype2class, class2style = self._tables[key]
        self.ttype2class, self.class2style = dict(ttype2class), dict(class2style)

    def format_unencoded(self, tokensource, outfile) -> None:
        buffer = io.StringIO()
        super().format_unencoded(tokensource, buffer)
        code = buffer.getvalue()
        if self.language:
            # Inside the block's <div>, so Markdown keeps the block a block.
            label = f'<span class="visually-hidden">{html.escape(self.language)} code</span>'
            code = code.replace("<pre>", label + "<pre>", 1)
        outfile.write(code)
