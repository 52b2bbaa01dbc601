"""One exam rendered: its pages, its images, its private key and its manifest entry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import jinja2

from generator.diagnostics import Diagnostics, Position, shown_path
from generator.render.assets import Asset, runtime_assets
from generator.render.markdown import MarkdownRenderer
from generator.render.pages import PACKAGE_TEMPLATES, PageOptions, PageRenderer, make_environment, page_url
from generator.site.config import SiteConfig
from generator.site.keys import key_bytes
from generator.site.model import Exam


@dataclass(frozen=True)
class ExamOutput:
    """Everything one exam contributes to a build; the unit the cache keeps and the preview replaces."""

    exam_id: str
    files: Mapping[str, bytes]  # its pages and images, by path under the output folder
    key: bytes  # its private answer key (keys/<exam-id>.json)
    policy: str  # the pages' Content-Security-Policy, for _headers
    manifest_entry: Mapping
    # The exam's language: its pages load that language's message catalogue, a file shared by the
    # exams in the language and so published once for the site (build.assemble), not held here.
    lang: str
    images: tuple[Path, ...] = ()  # the local image files its pages show
    digests: Mapping[str, str] | None = None  # SHA-256 of each file, made where the files were

    def digest(self, name: str) -> str:
        if self.digests is not None and name in self.digests:
            return self.digests[name]
        return hashlib.sha256(self.files[name]).hexdigest()


class ExamRenderer:
    """Renders the exams of one site configuration, one exam at a time."""

    def __init__(self, config: SiteConfig, options: PageOptions, diagnostics: Diagnostics) -> None:
        self.config = config
        self.assets: Mapping[str, Asset] = runtime_assets(config.proview.sdk, options.fake_proview)
        self.pages = PageRenderer(config, environment=make_environment(config),
                                  markdown=MarkdownRenderer(diagnostics, https_only=config.requires_https,
                                                            files=config.files, engine=config.markdown),
                                  assets=self.assets, options=options)

    def exam(self, exam: Exam) -> ExamOutput:
        rendered = self.pages.exam_pages(exam)
        files = {page.path: page.html for page in rendered.pages}
        for image in rendered.images:
            files[f"assets/{image.name}"] = image.source.read_bytes()
        return ExamOutput(
            exam_id=exam.id,
            files=files,
            key=key_bytes(exam),
            policy=rendered.pages[0].csp if rendered.pages else "",
            manifest_entry=manifest_entry(self.config, exam),
            lang=exam.lang,
            images=tuple(sorted({image.source for image in rendered.images})),
            # Hashed here, in the worker that made the files, rather than by the parent for the manifest.
            digests={name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
        )


def manifest_entry(config: SiteConfig, exam: Exam) -> dict:
    return {
        "id": exam.id,
        "title": exam.title,
        "workflow_identifier": exam.workflow_identifier,
        "parts": [{"index": part.index, "title": part.title, "time_limit_minutes": part.time_limit,
                   "questions": exam.question_count(part), "path": page_url(exam, part),
                   "url": config.base_url + page_url(exam, part) if config.base_url else None}
                  for part in exam.parts],
    }


def template_error(config: SiteConfig, error: jinja2.TemplateError) -> tuple[Position, str]:
    """Where a template error is (the site's templates/, else the package's page) and what it says."""
    name = getattr(error, "filename", None) or getattr(error, "name", None)
    line = getattr(error, "lineno", None) or 1
    path = Path(name) if name else (config.templates_dir or PACKAGE_TEMPLATES) / "page.html"
    return Position(shown_path(path), int(line), 1), f"template error: {error}"


def page_template_error(config: SiteConfig) -> tuple[Position, str] | None:
    """The page template's syntax error, if it has one (found when the template is compiled)."""
    try:
        make_environment(config).get_template("page.html")
    except jinja2.TemplateError as error:
        return template_error(config, error)
    return None
