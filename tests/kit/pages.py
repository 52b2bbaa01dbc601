"""Reading a built page: its tags in order, its scripts, its CSP and its embedded exam data."""

from __future__ import annotations

import json
from html.parser import HTMLParser


class PageParser(HTMLParser):
    """Collects the tags of a page in order, with their attributes and the text of scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)
        else:
            self.text.append(data)


def parse(html: bytes) -> PageParser:
    parser = PageParser()
    parser.feed(html.decode("utf-8"))
    return parser


def page_csp(html: bytes) -> str:
    return next(a["content"] for tag, a in parse(html).tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy")


def page_data(html: bytes) -> dict:
    scripts = [text for attributes, text in parse(html).scripts if attributes.get("id") == "examsite-data"]
    assert len(scripts) == 1
    return json.loads(scripts[0])
