"""Markdown -> safe HTML: sanitized raw HTML, checked and content-hashed images.

The dialect is CommonMark with tables and ~~strikethrough~~ (markdown-it-py), plus $math$.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping
from urllib.parse import unquote, urlsplit

import nh3

from .diagnostics import Diagnostics, Position, shown_path
from .mathml import MATHML_ATTRIBUTES, MATHML_TAGS, TexError, tex_to_mathml
from .model import Text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    **MATHML_ATTRIBUTES,
}
ALLOWED_TAGS |= MATHML_TAGS
URL_SCHEMES = {"https", "http", "mailto"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"}
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


class MarkdownRenderer:
    """Renders the Markdown of one build; holds that build's caches (one per process)."""

    def __init__(self, diagnostics: Diagnostics, https_only: bool) -> None:
        self.diagnostics = diagnostics
        self.https_only = https_only
        self._md: MarkdownIt | None = None  # made at the first text to convert
        self._hashes: dict[Path, str | None] = {}
        self._text: Text | None = None  # the text being rendered, for messages from the math rule
        self.known: Mapping[str, str] = {}  # fragments: HTML by fragment_key, from an earlier build
        self.made: dict[str, str] | None = None  # the fragments of this exam's texts, when collected

    def reuse(self, known: Mapping[str, str] | None) -> None:
        """Start an exam: `known` holds the HTML of texts an earlier build rendered (its fragments).
        None: no fragments are used nor collected (the dev server keeps outputs in memory)."""
        self.known, self.made = known or {}, ({} if known is not None else None)

    def _parser(self) -> MarkdownIt:
        # Imported here: an exam whose texts are all known fragments needs neither markdown-it nor
        # Pygments (about 0.1 s to import).
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False}).enable(["table", "strikethrough"])
        md.validateLink = _allowed_link
        # Before backslash escapes, so `\$` stays a dollar; a code span is consumed from its
        # backtick, so `$x$` in backticks stays code; x_1 inside $...$ is math, not emphasis.
        md.inline.ruler.before("escape", "examsite_math", self._math_rule)
        md.add_render_rule("examsite_math", _render_math)
        md.add_render_rule("fence", _render_fence)
        md.add_render_rule("code_block", _render_fence)
        return md

    def render(self, text: Text, asset_prefix: str) -> Rendered:
        """HTML for `text`; `asset_prefix` is the relative URL of the output's assets/ from the page."""
        source = text.source.strip()
        if not _MARKDOWN_SYNTAX.search(source):
            return Rendered(f"<p>{html.escape(source, quote=False)}</p>" if source else "")
        key = fragment_key(source)
        known = self.known.get(key)
        if known is not None:
            if self.made is not None:
                self.made[key] = known
            return Rendered(known)
        problems = len(self.diagnostics)
        if self._md is None:
            self._md = self._parser()
        self._text = text
        try:
            tokens = self._md.parse(source)
        finally:
            self._text = None
        trusted = _prepare(tokens)
        converted = self._md.renderer.render(tokens, self._md.options, {}).rstrip("\n")
        # markdown-it escapes text and attributes and keeps only the link schemes allowed above,
        # so a text without raw HTML or math needs no sanitizing (nh3 was a tenth of the build).
        clean = converted if trusted else nh3.clean(
            converted, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
            clean_content_tags={"script", "style"})
        self._check_structure(text, clean)
        if "<img" not in clean:
            if self.made is not None and len(self.diagnostics) == problems:
                # A fragment: HTML that depends on nothing but the text (with the code, the libraries
                # and the configuration, which the cache's salt covers). Not one that reported a
                # problem (it must report it again) nor one with images (it depends on their files).
                self.made[key] = clean
            return Rendered(clean)
        # Images are checked after sanitizing, so those written as raw HTML are checked too.
        images: list[Image] = []
        origins: list[str] = []

        def check(match: re.Match) -> str:
            attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(match.group(0))}
            src = self._check_image(text, attributes, asset_prefix, images, origins)
            attributes["src"] = src
            return "<img " + " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items()) + ">"

        clean = _IMG_TAG.sub(check, clean)
        return Rendered(clean, tuple(images), tuple(sorted(set(origins))))

    def _math_rule(self, state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != "$":
            return False
        match = MATH_PATTERN.match(state.src, state.pos)
        if match is None or match.end() > state.posMax:
            return False
        if not silent:
            display = match.group("display") is not None
            token = state.push("examsite_math", "math", 0)
            token.content = self.math(match.group("display") if display else match.group("inline"), display)
        state.pos = match.end()
        return True

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

    def _check_image(self, text: Text, attributes: dict[str, str], asset_prefix: str,
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
        # markdown-it percent-encodes what a URL cannot hold ("my figure.svg" -> "my%20figure.svg").
        path = (text.base_dir / unquote(parts.path)).resolve()
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            self.diagnostics.error(position, f"image '{src}' is not an image file ({', '.join(sorted(IMAGE_SUFFIXES))})")
            return src
        digest = self._digest(path)
        if digest is None:
            self.diagnostics.error(position, f"image file '{src}' not found (looked in {shown_path(text.base_dir)})")
            return src
        image = Image(path, f"img/{path.stem}.{digest}{path.suffix.lower()}")
        images.append(image)
        return asset_prefix + image.name

    def _digest(self, path: Path) -> str | None:
        if path not in self._hashes:
            try:
                self._hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            except OSError:
                self._hashes[path] = None
        return self._hashes[path]


def fragment_key(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:32]


def _allowed_link(url: str) -> bool:
    """Links and images may be relative or use an allowed scheme (the sanitizer's list)."""
    scheme = _LINK_SCHEME.match(url.strip())
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


def _prepare(tokens: list[Token]) -> bool:
    """Table alignment as `align` (the CSP forbids style attributes); True when nothing needs sanitizing."""
    trusted = True
    for token in tokens:
        if token.type in ("th_open", "td_open") and token.attrs.get("style"):
            token.attrs["align"] = str(token.attrs.pop("style")).removeprefix("text-align:")
        elif token.type == "html_block":
            trusted = False
        elif token.type == "inline":
            for child in token.children or ():
                if child.type in ("html_inline", "examsite_math"):
                    trusted = False
                elif child.type == "link_open":
                    child.attrs["rel"] = "noopener noreferrer"  # as the sanitizer writes it
    return trusted


def _render_math(renderer: RendererHTML, tokens: list[Token], index: int, options, env) -> str:
    return tokens[index].content


def _render_fence(renderer: RendererHTML, tokens: list[Token], index: int, options, env) -> str:
    from .highlight import highlight_code  # Pygments loads at the first code block

    token = tokens[index]
    lang = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    return highlight_code(token.content, lang)


def _position_of(text: Text, needle: str) -> Position:
    """Where `needle` stands in the instructor's file, for messages about a part of a text."""
    index = text.source.find(needle) if needle else -1
    if index < 0:
        return text.position
    before = text.source[:index]
    line = before.count("\n")
    col = index - (before.rfind("\n") + 1) + 1
    return Position(text.position.path, text.position.line + line,
                    col if line else text.position.col + col - 1)
