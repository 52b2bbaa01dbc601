"""Markdown -> safe HTML: sanitized raw HTML, checked and content-hashed images.

The dialect is CommonMark with tables and ~~strikethrough~~ (cmark-gfm, through cmarkgfm), plus $math$;
or, when exams.yaml chooses it, Python-Markdown with the extensions it names (pymarkdown.py). Whichever
engine converts, the same sanitizing, image checks, math and highlighting follow.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import linecache
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from generator.diagnostics import Diagnostics, Position, shown_path
from generator.render import cmark
from generator.render.highlight import highlight_code
from generator.render.mathml import MATHML_ATTRIBUTES, MATHML_TAGS, TexError, tex_to_mathml
from generator.site.config import MarkdownConfig
from generator.site.fields import closest
from generator.site.files import Refused, SiteFiles
from generator.site.model import BLANK_MARKER, Text
from generator.site.pymarkdown import Converter

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "p": {"class"},  # Python-Markdown's admonition titles
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    **MATHML_ATTRIBUTES,
}
ALLOWED_TAGS |= MATHML_TAGS
URL_SCHEMES = {"https", "http", "mailto"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"}
# Anything an HTML parser could read as an id attribute ("ID =" too); more is harmless.
_ID_ATTRIBUTE = re.compile(r"\bid\s*=", re.I)
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
# Text with none of these characters renders to a plain paragraph: no Markdown pass needed.
_MARKDOWN_SYNTAX = re.compile(r"[\\`*_\[\]<>#|&!~$\n]|^\s*(\d+[.)]|[-+=])|^\s{4}")
# $$display$$ and $inline$ math. Inline math must hug its dollars ($x$, not "$5 and $10"), and a
# closing dollar followed by a digit is money, as in Pandoc. No backticks inside: a formula never
# holds one, and "$10 `$x$`" must leave the code span alone.
MATH_PATTERN = re.compile(r"(?<!\\)\$\$(?P<display>[^`\n]+?)\$\$|(?<![\\$])\$(?P<inline>[^\s$`](?:[^$`]*?[^\s\\$`])?)\$(?!\d)")
_LINK_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
_HEADING = re.compile(r"<h([1-6])\b")
_EMPTY_LINK = re.compile(r"<a\b([^>]*)>(?:\s|<(?!img)[^>]*>)*</a>")
_HREF = re.compile(r'href="([^"]*)"')
_URL = re.compile(r'(?:href|src)="([^"]*)"')
_LINK_OPEN = re.compile(r"<a\b([^>]*)>")
_BLANK_LINE = re.compile(r"\n\s*\n")
# Formulas are hidden from cmark behind placeholders, "\ue000" index "\ue001": private-use characters
# are no Markdown syntax. Found again in cmark's HTML: inside a code span or block, inside a tag (an
# attribute, where a URL holds it percent-encoded), or anywhere else.
_PLACEHOLDER = "\ue000"
_PLACED = re.compile(r"""(<code\b[^>]*>.*?</code>|<(?:[^>"']|"[^"]*"|'[^']*')*>)|\ue000(\d+)\ue001""", re.S)
_PLACED_LITERALLY = re.compile(r"\ue000(\d+)\ue001|%EE%80%80(\d+)%EE%80%81")
_URL_SAFE = "!#$%&'()*+,/:;=?@"  # what cmark leaves unencoded in a URL, besides letters, digits and -._~
# A cloze text's blanks are hidden from the engine the same way, "\ue002" number "\ue003", and become
# answer boxes' places after sanitizing: only where a box can go (not in code, a formula, a link or a tag).
_BLANK = re.compile(r"""(<(code|math|a)\b.*?</\2>|<(?:[^>"']|"[^"]*"|'[^']*')*>)|\ue002(\d+)\ue003""", re.S)
_CODE_BLOCK = re.compile(r'<pre><code(?: class="language-([^"]*)")?>(.*?)</code></pre>', re.S)


@dataclass(frozen=True)
class Image:
    """A local image the page uses, published as assets/img/<stem>.<hash><suffix>."""

    source: Path
    name: str  # relative to the output's assets folder


@dataclass(frozen=True)
class Rendered:
    html: str
    images: tuple[Image, ...] = ()
    remote_origins: tuple[str, ...] = ()


def _sanitized(converted: str, source: str) -> str:
    """`converted` (the HTML of `source`) with what is not allowed removed. Ids (Python-Markdown's
    footnotes, attr_list's {#id}, raw HTML) are kept only with a prefix of the text's own, as are
    the text's links to them: its footnotes work, and no id can be the page's or another text's."""
    import nh3  # here: a site whose texts need no sanitizing never loads it

    if not _ID_ATTRIBUTE.search(converted):  # no id is allowed at all: no filter to call per attribute
        return nh3.clean(converted, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                         clean_content_tags={"script", "style"})
    prefix = f"t{hashlib.sha256(source.encode('utf-8')).hexdigest()[:8]}-"

    def rename(tag: str, attribute: str, value: str) -> str:
        if attribute == "id":
            return prefix + value
        return "#" + prefix + value[1:] if attribute == "href" and value.startswith("#") else value

    # nh3 writes rel="noopener noreferrer" on every link
    return nh3.clean(converted, tags=ALLOWED_TAGS, attributes={**ALLOWED_ATTRIBUTES, "*": {"id"}},
                     attribute_filter=rename, url_schemes=URL_SCHEMES, clean_content_tags={"script", "style"})


class MarkdownRenderer:
    """Renders the Markdown of one build; holds that build's caches (one per process)."""

    def __init__(self, diagnostics: Diagnostics, *, https_only: bool, files: SiteFiles,
                 engine: MarkdownConfig = MarkdownConfig()) -> None:
        self.diagnostics = diagnostics
        self.https_only = https_only
        self.files = files  # what images may be read
        self.engine = engine
        self._python_markdown: Converter | None = None  # made at the first text it converts
        self._hashes: dict[Path, str | None] = {}
        self._text: Text | None = None  # the text being rendered, for messages about its formulas

    def render(self, text: Text, asset_prefix: str, blanks: bool = False) -> Rendered:
        """HTML for `text`; `asset_prefix` is the relative URL of the output's assets/ from the page.
        `blanks`: each [[name]] becomes `<span data-blank="N"></span>` (N from 0), an attribute the
        sanitizer never lets a text write, so the page's blanks are these and only these."""
        if not blanks:
            return self._render(text, text.source.strip(), asset_prefix)
        markers = list(BLANK_MARKER.finditer(text.source))
        if "\ue002" in text.source or "\ue003" in text.source:
            self.diagnostics.error(text.position, "this text holds the private-use character U+E002 or U+E003, "
                                                  "which blanks need; remove it")
            return Rendered("")
        numbers = itertools.count()
        hidden = BLANK_MARKER.sub(lambda marker: f"\ue002{next(numbers)}\ue003", text.source)
        rendered = self._render(text, hidden.strip(), asset_prefix)
        placed: set[int] = set()

        def place(match: re.Match) -> str:
            if match.group(1) is not None:  # in code, a formula, a link or a tag: the marker as written
                return re.sub("\ue002(\\d+)\ue003", lambda m: html.escape(markers[int(m.group(1))].group(0)),
                              match.group(1))
            placed.add(int(match.group(3)))
            return f'<span data-blank="{match.group(3)}"></span>'

        placed_html = _BLANK.sub(place, rendered.html)
        for index, marker in enumerate(markers):
            if index not in placed:
                self.diagnostics.error(text.position_at(marker.start()), f"blank {marker.group(0)} stands in code, "
                                       "a formula, a link or an image, where no answer box can go")
        return Rendered(placed_html, rendered.images, rendered.remote_origins)

    def _render(self, text: Text, source: str, asset_prefix: str) -> Rendered:
        # Python-Markdown's extensions may change any text ("smarty" turns -- into a dash).
        if not _MARKDOWN_SYNTAX.search(source) and (self.engine.engine == "cmark-gfm" or not source):
            return Rendered(f"<p>{html.escape(source, quote=False)}</p>" if source else "")
        self._text = text
        try:
            converted, trusted = self._convert(source)
        finally:
            self._text = None
        # cmark escapes text and attributes, so a text without raw HTML or math, whose links all
        # use allowed schemes, needs no sanitizing (nh3 was a tenth of the build).
        clean = _LINK_OPEN.sub(r'<a\1 rel="noopener noreferrer">', converted) if trusted else _sanitized(converted, source)
        self._check_structure(text, clean)
        if "<img" not in clean:
            return Rendered(clean)
        # Images are checked after sanitizing, so those written as raw HTML are checked too.
        images: list[Image] = []
        origins: list[str] = []

        def check(match: re.Match) -> str:
            attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(match.group(0))}
            src = self._check_image(text, attributes, asset_prefix=asset_prefix, images=images, origins=origins)
            attributes["src"] = src
            return "<img " + " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items()) + ">"

        clean = _IMG_TAG.sub(check, clean)
        return Rendered(clean, tuple(images), tuple(sorted(set(origins))))

    def _convert(self, source: str) -> tuple[str, bool]:
        """The engine's HTML for `source`, with formulas and highlighted code; True when it needs no sanitizing."""
        formulas: list[re.Match] = []
        # "$" first: MATH_PATTERN takes as long as cmark to find nothing. Not where cmark could write
        # a placeholder of the text's own (no math then: rare and safe); cmark decodes character
        # references such as &#xe000; too.
        if "$" in source:
            if _PLACEHOLDER not in source and ("&#" not in source or _PLACEHOLDER not in html.unescape(source)):
                source = _hide_formulas(source, formulas)
            elif MATH_PATTERN.search(source):
                assert self._text is not None
                self.diagnostics.warning(self._text.position, "this text holds the private-use character U+E000, "
                                                              "so its $...$ formulas are shown as written; remove "
                                                              "that character to get math")
        if self.engine.engine == "cmark-gfm":
            converted = cmark.to_html(source).rstrip("\n")
            # Raw HTML (and autolinks, which cmark does not check) all start with "<".
            trusted = not formulas and "<" not in source and all(
                _allowed_link(html.unescape(url)) for url in _URL.findall(converted))
        else:
            # Always sanitized: an extension may write any attribute (attr_list: {: onclick=...}).
            converted, trusted = self._python_markdown_html(source), False

        def put_back(match: re.Match) -> str:
            if match.group(1) is not None:  # code or a tag: the formula as written
                return _PLACED_LITERALLY.sub(lambda placed: _literally(placed, formulas), match.group(1))
            formula = formulas[int(match.group(2))]
            display = formula.group("display") is not None
            return self.math(formula.group("display" if display else "inline"), display)

        if formulas:
            converted = _PLACED.sub(put_back, converted)
        if "<pre><code" in converted:  # after putting back the formulas in code
            converted = _CODE_BLOCK.sub(_highlight, converted)
        return converted, trusted

    def _python_markdown_html(self, source: str) -> str:
        if self._python_markdown is None:
            self._python_markdown = Converter(self.engine.extensions, self.engine.extension_configs)
        try:
            return self._python_markdown.to_html(source)
        except Exception as error:  # an extension's code may fail on a text its settings did not foresee
            assert self._text is not None
            self.diagnostics.error(self._text.position, f"Python-Markdown could not convert this text: "
                                                        f"{type(error).__name__}: {error} (check markdown.extensions "
                                                        "and extension_configs in exams.yaml)")
            return f"<p>{html.escape(source, quote=False)}</p>"

    def math(self, tex: str, display: bool) -> str:
        """MathML for a formula of the text being rendered; invalid TeX is an error at its line."""
        try:
            return tex_to_mathml(tex, display)
        except TexError as error:
            assert self._text is not None
            self.diagnostics.error(_position_of(self._text, tex), f"{error} in formula ${tex}$")
            return f"<code>{html.escape(tex)}</code>"

    def _check_structure(self, text: Text, clean: str) -> None:
        """Warnings for what screen-reader users trip over: skipped heading levels, links with no text."""
        levels = [int(level) for level in _HEADING.findall(clean)]
        for previous, level in zip(levels, levels[1:]):
            if level > previous + 1:
                self.diagnostics.warning(text.position, f"a level-{level} heading follows a level-{previous} one; "
                                                        "screen readers navigate by heading levels, so don't skip one")
        for attributes in _EMPTY_LINK.findall(clean):
            href = html.unescape(next(iter(_HREF.findall(attributes)), ""))
            self.diagnostics.warning(text.position, f"the link to '{href}' has no text; say where it leads")

    def _check_image(self, text: Text, attributes: dict[str, str], *, asset_prefix: str,
                     images: list[Image], origins: list[str]) -> str:
        """Checks one image (alt text, file present, https); returns the src to publish."""
        src = attributes.get("src", "")
        position = _position_of(text, src)
        if not attributes.get("alt", "").strip():
            self.diagnostics.error(position, f"image '{src}' has no alt text; write ![what it shows]({src}) so "
                                             "candidates using screen readers get the question too")
        parts = urlsplit(src)
        if parts.scheme in ("http", "https"):
            if self.https_only and parts.scheme != "https":
                self.diagnostics.error(position, f"image '{src}' must use https in the staging and prod environments")
            origins.append(f"{parts.scheme}://{parts.netloc}")
            return src
        if parts.scheme or parts.netloc or src.startswith("/") or not parts.path:
            self.diagnostics.error(position, f"image '{src}' must be a file next to the exam or an https URL")
            return src
        # cmark percent-encodes what a URL cannot hold ("my figure.svg" -> "my%20figure.svg").
        written = text.base_dir / unquote(parts.path)
        try:
            path = self.files.confined(written, "image", src)
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                self.diagnostics.error(position, f"image '{src}' is not an image file "
                                                 f"({', '.join(sorted(IMAGE_SUFFIXES))})")
                return src
            digest = self._digest(written, path, src)
        except Refused as error:
            self.diagnostics.error(position, str(error))
            return src
        if digest is None:
            self.diagnostics.error(position, f"image file '{src}' not found (looked in {shown_path(path.parent)})"
                                             + _closest_file_hint(path))
            return src
        image = Image(path, f"img/{path.stem}.{digest}{path.suffix.lower()}")
        images.append(image)
        return asset_prefix + image.name

    def _digest(self, written: Path, path: Path, src: str) -> str | None:
        """The short digest of the image `written` (resolved: `path`); None when it cannot be read,
        Refused when it may not be."""
        if path not in self._hashes:
            try:
                self._hashes[path] = hashlib.sha256(self.files.read_bytes(written, "image", src)).hexdigest()[:16]
            except OSError:
                self._hashes[path] = None
        return self._hashes[path]


def _allowed_link(url: str) -> bool:
    """Links and images may be relative or use an allowed scheme (the sanitizer's list)."""
    scheme = _LINK_SCHEME.match(url.strip())
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


def _hide_formulas(source: str, formulas: list[re.Match]) -> str:
    """`source` with a placeholder for each formula (appended to `formulas`), which cmark leaves alone."""
    parts, start, position = [], 0, 0
    while match := MATH_PATTERN.search(source, position):
        if match.group("inline") is not None and _BLANK_LINE.search(match.group("inline")):
            position = match.start() + 1  # inline math stays within its paragraph
            continue
        parts += (source[start:match.start()], f"\ue000{len(formulas)}\ue001")
        formulas.append(match)
        start = position = match.end()
    return "".join(parts) + source[start:]


def _literally(placed: re.Match, formulas: list[re.Match]) -> str:
    """A formula's text as written, escaped for HTML; percent-encoded too where cmark wrote a URL."""
    if placed.group(1) is not None:
        return html.escape(formulas[int(placed.group(1))].group(0))
    return html.escape(quote(formulas[int(placed.group(2))].group(0), safe=_URL_SAFE))


def _highlight(match: re.Match) -> str:

    lang, code = match.groups()
    return highlight_code(html.unescape(code), html.unescape(lang or "")).removesuffix("\n")


def _position_of(text: Text, needle: str) -> Position:
    """Where `needle` stands in the instructor's file, for messages about a part of a text."""
    index = text.source.find(needle) if needle else -1
    if index < 0:
        return text.position
    before = text.source[:index]
    line = before.count("\n")
    col = index - (before.rfind("\n") + 1) + 1
    # A block scalar's lines are indented in the file; the text holds them without the indent.
    written = ""
    if line:
        linecache.checkcache(str(text.file))  # the preview reads the same file again after each save
        written = linecache.getline(str(text.file), text.position.line + line)
    if needle in written:
        col = written.index(needle) + 1
    return Position(text.position.path, text.position.line + line,
                    col if line else text.position.col + col - 1)


def _closest_file_hint(missing: Path) -> str:
    """"; did you mean 'bst.svg'?" for a mistyped image name, when its folder has a close one."""
    try:
        names = [entry.name for entry in missing.parent.iterdir() if entry.is_file()]
    except OSError:
        return ""
    close = closest(missing.name, names)
    return f"; did you mean '{close}'?" if close else ""
