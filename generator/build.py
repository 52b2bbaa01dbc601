"""The pipeline: load and validate the site, render its pages, write the output. Nothing else."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from . import __version__
from .assets import runtime_assets
from .config import SiteConfig, load_config
from .content import MarkdownRenderer
from .diagnostics import Diagnostic, Diagnostics, ExamsiteError, InvalidInput, Position, Severity
from .exams import load_exam
from .keys import key_bytes
from .model import Exam
from .output import MANIFEST, ROBOTS, check_locations, headers_bytes, manifest_bytes, swap_in, write_atomically
from .render import PageOptions, PageRenderer, make_environment, page_url
from .validate import validate_exam, validate_site


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    exams: tuple[Exam, ...]


@dataclass(frozen=True)
class Rendered:
    files: dict[str, bytes]  # the output folder's contents
    keys: dict[str, bytes]  # exam id -> private answer key


@dataclass(frozen=True)
class Summary:
    exams: int
    parts: int
    questions: int
    pages: int
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)

    def line(self, verb: str = "built") -> str:
        return (f"{verb} {self.exams} exam(s), {self.parts} part(s), {self.questions} question(s), "
                f"{self.pages} page(s) in {self.seconds:.2f} s")


def load_site(config_path: Path, env: str | None, diagnostics: Diagnostics, page_options: PageOptions,
              environ: Mapping[str, str] | None = None) -> Site | None:
    config = load_config(config_path, env, diagnostics, environ)
    if config is None:
        return None
    if page_options.fake_proview and config.requires_https:
        diagnostics.error(Position(str(config_path), 1, 1),
                          f"--proview fake is for previews; it cannot be used with the {config.proview.environment} "
                          "environment")
    exams = []
    for path in config.exam_files:
        exam = load_exam(path, diagnostics)
        if exam is not None:
            validate_exam(exam, diagnostics)
            exams.append(exam)
    validate_site(config, exams, diagnostics)
    return Site(config, tuple(exams))


@dataclass(frozen=True)
class ExamOutput:
    """Everything one exam contributes to a build; the unit an incremental rebuild replaces."""

    exam_id: str
    files: dict[str, bytes]  # its pages and images, by path under the output folder
    key: bytes
    policy: str  # the pages' Content-Security-Policy, for _headers
    manifest_entry: dict


class SiteRenderer:
    """Renders the exams of one site configuration, one exam at a time."""

    def __init__(self, config: SiteConfig, options: PageOptions, diagnostics: Diagnostics) -> None:
        self.config = config
        self.assets = runtime_assets(config.proview.sdk, options.fake_proview)
        self.pages = PageRenderer(config, make_environment(config),
                                  MarkdownRenderer(diagnostics, config.requires_https), self.assets, options)

    def exam(self, exam: Exam) -> ExamOutput:
        rendered = self.pages.exam_pages(exam)
        files = {page.path: page.html for page in rendered.pages}
        for image in rendered.images:
            files[f"assets/{image.name}"] = image.source.read_bytes()
        return ExamOutput(exam.id, files, key_bytes(exam), rendered.pages[0].csp if rendered.pages else "",
                          _manifest_entry(self.config, exam))

    def assemble(self, outputs: list[ExamOutput]) -> Rendered:
        """The whole output folder from the exams' outputs, in the order given."""
        files: dict[str, bytes] = {asset.name: asset.content for asset in self.assets.values()}
        for output in outputs:
            files.update(output.files)
        files["robots.txt"] = ROBOTS.encode()
        files["_headers"] = headers_bytes({output.exam_id: output.policy for output in outputs})
        files[MANIFEST] = manifest_bytes(files, [output.manifest_entry for output in outputs],
                                         f"examsite {__version__}")
        return Rendered(files, {output.exam_id: output.key for output in outputs})


def render_site(site: Site, options: PageOptions, diagnostics: Diagnostics) -> Rendered:
    renderer = SiteRenderer(site.config, options, diagnostics)
    return renderer.assemble([renderer.exam(exam) for exam in site.exams])


def _manifest_entry(config: SiteConfig, exam: Exam) -> dict:
    return {
        "id": exam.id,
        "title": exam.title,
        "workflow_identifier": exam.workflow_identifier,
        "parts": [{"index": part.index, "title": part.title, "time_limit_minutes": part.time_limit,
                   "questions": exam.question_count(part), "path": page_url(exam, part),
                   "url": config.base_url + page_url(exam, part) if config.base_url else None}
                  for part in exam.parts],
    }


def _summary(site: Site, seconds: float, diagnostics: Diagnostics) -> Summary:
    return Summary(
        exams=len(site.exams),
        parts=sum(len(exam.parts) for exam in site.exams),
        questions=sum(exam.question_count(part) for exam in site.exams for part in exam.parts),
        pages=sum(len(exam.parts) for exam in site.exams),
        seconds=seconds,
        diagnostics=tuple(diagnostics.items),
    )


def _fail_if_invalid(diagnostics: Diagnostics, strict: bool) -> None:
    items = diagnostics.items
    if strict:
        items = [Diagnostic(d.position, Severity.ERROR, d.message) for d in items]
    if any(d.severity is Severity.ERROR for d in items):
        raise InvalidInput(items)


def check(config_path: Path, env: str | None, strict: bool = False,
          page_options: PageOptions = PageOptions()) -> Summary:
    """Validate everything a build would, render in memory, write nothing."""
    started = time.perf_counter()
    diagnostics = Diagnostics()
    site = load_site(config_path, env, diagnostics, page_options)
    if site is not None and not diagnostics.has_errors:
        render_site(site, page_options, diagnostics)  # rendering finds Markdown problems (images, alt text)
    _fail_if_invalid(diagnostics, strict)
    assert site is not None
    return _summary(site, time.perf_counter() - started, diagnostics)


def build(config_path: Path, env: str | None, out_dir: Path, keys_dir: Path, strict: bool = False,
          page_options: PageOptions = PageOptions()) -> Summary:
    """Build the site into `out_dir` (swapped in atomically) and the answer keys into `keys_dir`."""
    started = time.perf_counter()
    check_locations(out_dir, keys_dir, config_path)
    diagnostics = Diagnostics()
    site = load_site(config_path, env, diagnostics, page_options)
    rendered = None
    if site is not None and not diagnostics.has_errors:
        rendered = render_site(site, page_options, diagnostics)
    _fail_if_invalid(diagnostics, strict)
    assert site is not None and rendered is not None
    swap_in(out_dir, rendered.files)
    for exam_id, content in sorted(rendered.keys.items()):
        write_atomically(keys_dir / f"{exam_id}.json", content)
    return _summary(site, time.perf_counter() - started, diagnostics)


__all__ = ["ExamOutput", "ExamsiteError", "InvalidInput", "PageOptions", "Site", "SiteRenderer", "Summary", "build",
           "check", "load_site", "render_site"]
