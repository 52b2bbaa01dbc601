"""What a page is and where it goes: the light part of rendering.

The pipeline needs these names even when every exam comes from the cache; the renderer itself
(render.py, with Jinja, Markdown, Pygments and the MathML converter) loads only when something
has to be rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .model import Exam, Part

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class PageOptions:
    """How pages differ between a publishable build and a preview."""

    fake_proview: bool = False
    submission_url: str | None = None  # overrides submission.url (the dev server's endpoint)
    extra_connect: tuple[str, ...] = ()  # e.g. the dev server's live-reload socket


def page_path(exam: Exam, part: Part) -> str:
    return f"{exam.id}/index.html" if part.index == 1 else f"{exam.id}/part-{part.index}/index.html"


def page_url(exam: Exam, part: Part) -> str:
    """The page's URL relative to the output folder (a folder URL, as a CDN serves it)."""
    return page_path(exam, part).removesuffix("index.html")
