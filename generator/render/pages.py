"""Pages: the Jinja environment (package templates, overridable from the site's templates/) and
each page's context, including the exam data the runtime reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import jinja2
from markupsafe import Markup

from generator.site import i18n
from generator.render.assets import HIGHLIGHT, MESSAGES, Asset, messages_asset
from generator.site.config import SESSION_LIMIT_MINUTES, SiteConfig
from generator.render.markdown import Image, MarkdownRenderer
from generator.render.contract import contract_problems
from generator.render.csp import PageSources, build_policy
from generator.diagnostics import Position, shown_path
from generator.site.model import Exam, Part, PoolDraw, Question

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
HIGHLIGHTED = '<div class="highlight"'  # what render/highlight.py wraps code in
RTL_LANGUAGES = {"ar", "fa", "he", "ur", "yi", "ps", "sd", "ug", "dv"}
LOADER_TIMEOUT_SECONDS = 30
# (character, escape) pairs, applied with str.replace: C-speed scans, where str.translate with a
# dict looks every character up in Python and cost about 15 ms per 40-question page.
_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


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


@dataclass(frozen=True)
class Page:
    path: str  # under the output folder
    html: bytes
    csp: str


@dataclass
class ExamPages:
    exam: Exam
    pages: list[Page] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)


def make_environment(config: SiteConfig) -> jinja2.Environment:
    """The site's templates/ first, then the package's; `examsite/page.html` always names the
    package's own, so an override can extend it and replace only a block."""
    package = jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = [package, jinja2.PrefixLoader({"examsite": package})]
    if config.templates_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(config.templates_dir)))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def script_json(data: object) -> Markup:
    """JSON that no text can turn into markup: `</script>`, `<!--` and line separators are escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for character, escape in _SCRIPT_SAFE:
        if character in text:
            text = text.replace(character, escape)
    return Markup(text)


def accommodation_data(exam: Exam) -> dict:
    """Extra time by salted hashes of the attendee identifiers, so the page does not publish the list.

    The page hashes the candidate's identifier the same way: SHA-256 of `<salt>:<attendee>`, in hex.
    The salt is the exam's own, so a table computed for one exam is useless for another.
    """
    salt = hashlib.sha256(f"examsite-accommodations:{exam.id}".encode()).hexdigest()[:32]
    return {
        "salt": salt,
        "extra_time": [{"percent": a.extra_time_percent,
                        "attendees": sorted(hashlib.sha256(f"{salt}:{who}".encode()).hexdigest() for who in a.attendees)}
                       for a in exam.accommodations],
    }


def _next_url(exam: Exam, part: Part) -> str | None:
    if part.index >= len(exam.parts):
        return None
    return f"part-{part.index + 1}/" if part.index == 1 else f"../part-{part.index + 1}/"


class PageRenderer:
    """Renders the pages of the exams of one build."""

    def __init__(self, config: SiteConfig, *, environment: jinja2.Environment, markdown: MarkdownRenderer,
                 assets: Mapping[str, Asset], options: PageOptions) -> None:
        self.config = config
        self.template = environment.get_template("page.html")
        self.markdown = markdown
        self.assets = assets
        self.options = options
        self._catalogues: dict[str, Asset] = {}  # lang -> its messages file, made once a build
        # The site's own page template, whose pages are checked against the page contract.
        own = config.templates_dir / "page.html" if config.templates_dir is not None else None
        self.site_page = Position(shown_path(own), 1, 1) if own is not None and own.is_file() else None

    def exam_pages(self, exam: Exam) -> ExamPages:
        result = ExamPages(exam)
        messages = i18n.messages_for(exam.lang, self.config.messages)
        warning = i18n.missing_warning(messages)
        if warning is not None:  # once per exam; the page still gets English, never an empty button
            self.markdown.diagnostics.warning(exam.position, warning)
        for part in exam.parts:
            result.pages.append(self._page(exam, part, images=result.images, messages=messages))
        return result

    def _page(self, exam: Exam, part: Part, *, images: list[Image], messages: i18n.Messages) -> Page:
        prefix = "../assets/" if part.index == 1 else "../../assets/"
        origins: set[str] = set()
        code = False  # does the page show highlighted code (and so load its colours)?

        def html(text, blanks: bool = False) -> str:
            nonlocal code
            rendered = self.markdown.render(text, prefix, blanks)
            images.extend(rendered.images)
            origins.update(rendered.remote_origins)
            code = code or HIGHLIGHTED in rendered.html
            return i18n.localize_code_labels(rendered.html, messages)

        def question(q: Question) -> dict:
            return q.page_data(html, exam.shuffle_choices)

        items = []
        for item in part.items:
            if isinstance(item, PoolDraw):
                pool = exam.pool(item.pool)
                items.append({"kind": "pool", "pool": item.pool, "draw": item.draw,
                              "questions": [question(q) for q in pool.questions] if pool else []})
            else:
                items.append({"kind": "question", "question": question(item)})
        instructions = html(exam.instructions) if exam.instructions else ""

        proview = self.config.proview
        if exam.lang not in self._catalogues:
            self._catalogues[exam.lang] = messages_asset(exam.lang, self.config.messages)
        assets = {**self.assets, MESSAGES: self._catalogues[exam.lang]}
        loader_url = self.assets["proview-fake.js"].url_from(prefix) if self.options.fake_proview else proview.loader_url
        submission_url = self.options.submission_url or self.config.submission_url
        data = {
            "schema": 1,
            "exam": {"id": exam.id, "title": exam.title, "workflow_identifier": exam.workflow_identifier,
                     "lang": exam.lang, "languages": list(exam.languages), "part_count": len(exam.parts)},
            "part": {"index": part.index, "title": part.title, "time_limit_seconds": part.time_limit * 60,
                     "next_url": _next_url(exam, part), "question_count": exam.question_count(part),
                     "display": part.display},
            "proview": {"sdk": proview.sdk, "dsn": proview.dsn, "environment": proview.environment,
                        "fake": self.options.fake_proview,
                        "languages": list(exam.languages or proview.languages),
                        "session_limit_seconds": SESSION_LIMIT_MINUTES * 60,
                        "refresh_after_seconds": proview.refresh_after_minutes * 60,
                        "loader_timeout_seconds": LOADER_TIMEOUT_SECONDS,
                        **self._legacy(exam)},
            "submission": {"url": submission_url,
                           **({"require_signed_links": True} if self.config.require_signed_links else {})},
            "shuffle": {"questions": exam.shuffle_questions, "choices": exam.shuffle_choices},
            "accommodations": accommodation_data(exam),
            "items": items,
        }
        csp = build_policy(PageSources(loader_url, submission_url, tuple(sorted(origins)),
                                       self.options.extra_connect))
        context = {
            "lang": exam.lang,
            "dir": "rtl" if exam.lang.split("-")[0] in RTL_LANGUAGES else "ltr",
            "csp": csp,
            "site_title": self.config.title,
            "exam_title": exam.title,
            "part_title": part.title,
            "part_index": part.index,
            "part_count": len(exam.parts),
            "time_limit_minutes": part.time_limit,
            "question_count": exam.question_count(part),
            "instructions_html": Markup(instructions),
            "data_json": script_json(data),
            # The runtime's files and, as `messages.js`, the exam language's catalogue (a file of
            # its own, cached across pages; the build publishes it once).
            "assets": {name: {"url": asset.url_from(prefix), "integrity": asset.integrity}
                       for name, asset in assets.items()},
            "loader_url": loader_url,
            "sdk": proview.sdk,
            "preview": self.options.fake_proview,
            "highlight": HIGHLIGHT if code else None,
            # The template's static text, from the same catalogue as the runtime's.
            "t": messages.text,
            "tn": messages.plural,
        }
        page = self.template.render(context)
        if self.site_page is not None:
            runtime = [(context["assets"][name]["url"], context["assets"][name]["integrity"])
                       for name in ("sdk.js", MESSAGES, "exam.js")]
            for problem in contract_problems(page, runtime=runtime, loader_url=loader_url, policy=csp):
                self.markdown.diagnostics.error(self.site_page, "a page made from this template breaks the page "
                                                                f"contract (docs/page-contract.md): {problem}")
        return Page(page_path(exam, part), page.encode("utf-8"), csp)

    def _legacy(self, exam: Exam) -> dict:
        """The legacy embed's options (docs/proview.md); the account token is meant to be in the page."""
        proview = self.config.proview
        if proview.sdk != "legacy":
            return {}
        return {"token": proview.token, "session_type": proview.session_type,
                "session_title": proview.session_title or exam.title, "preview_style": proview.preview_style}
