"""One exam file loaded, validated and rendered: the unit of work of a build.

`process_exams` is the whole per-exam pipeline. It runs in the building process or in a worker
process, and its result is what the cache stores, so a cached build and a fresh one assemble the
same things.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import jinja2

from generator.diagnostics import Diagnostic, Diagnostics, Severity
from generator.render.exam import ExamOutput, ExamRenderer, template_error
from generator.render.pages import PageOptions
from generator.site.config import SiteConfig
from generator.site.exams import load_exam
from generator.site.model import Exam
from generator.site.validate import validate_exam


@dataclass(frozen=True)
class ExamResult:
    source: Path  # the exam file
    # The exam's identity without its questions: what site-wide rules (validate_site) read.
    exam: Exam | None
    parts: int
    questions: int
    load_diagnostics: tuple[Diagnostic, ...]  # reading the files and the exam's own rules
    render_diagnostics: tuple[Diagnostic, ...]  # found while rendering (images, math, headings)
    output: ExamOutput | None  # None when the exam has errors or was not rendered
    dependencies: tuple[Path, ...] = ()  # files read besides the exam file (Markdown, images)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.load_diagnostics + self.render_diagnostics)


def identity(exam: Exam) -> Exam:
    """The exam without its content: small to send between processes and to cache."""
    return dataclasses.replace(exam, instructions=None, pools=(), parts=(), accommodations=())


def dependencies(exam: Exam, output: ExamOutput) -> tuple[Path, ...]:
    """The files besides the exam file whose bytes its output depends on."""
    files = exam.text_files() | set(output.images)
    own = exam.source.resolve()
    return tuple(sorted(path for path in files if path.resolve() != own))


@dataclass(frozen=True)
class ExamRead:
    """One exam file read and rendered: the per-exam step of a build and of the preview."""

    exam: Exam | None  # None when the file could not be read
    loaded: tuple[Diagnostic, ...]  # reading the files and the exam's own rules
    rendered: tuple[Diagnostic, ...]  # found while rendering (images, math, headings, the templates)
    output: ExamOutput | None  # the pages, when neither reading nor rendering found an error


def read_exam(path: Path, config: SiteConfig, renderer: ExamRenderer | None, capture: Diagnostics) -> ExamRead:
    """Load, validate and (with a renderer) render one exam file. `capture` is the renderer's
    diagnostics: what this exam reports is taken from it, so nothing depends on other exams."""
    exam = load_exam(path, capture, config.files)
    if exam is not None:
        validate_exam(exam, capture)
    loaded = capture.take()
    output, rendered = None, ()
    if exam is not None and renderer is not None:
        # Rendered even when the exam broke a rule, so that a missing image or invalid TeX is
        # reported in the same run as a missing correct choice; its pages are kept only if valid.
        try:
            output = renderer.exam(exam)
        except jinja2.TemplateError as error:  # in a site's own template
            capture.error(*template_error(config, error))
        rendered = capture.take()
        if any(d.severity is Severity.ERROR for d in loaded + rendered):
            output = None
    return ExamRead(exam, tuple(loaded), tuple(rendered), output)


def process_exams(config: SiteConfig, options: PageOptions, paths: Sequence[Path], *, render: bool,
                  done: Callable[[int, ExamResult], None] | None = None) -> list[ExamResult]:
    """Read each exam file (rendering it when `render`); `done(index, result)` is called as each
    one is finished."""
    capture = Diagnostics()
    renderer = ExamRenderer(config, options, capture) if render else None
    results = []
    for path in paths:
        read = read_exam(path, config, renderer, capture)
        exam = read.exam
        result = ExamResult(
            source=path,
            exam=identity(exam) if exam is not None else None,
            parts=len(exam.parts) if exam is not None else 0,
            questions=sum(exam.question_count(part) for part in exam.parts) if exam is not None else 0,
            load_diagnostics=read.loaded,
            render_diagnostics=read.rendered,
            output=read.output,
            dependencies=dependencies(exam, read.output) if exam is not None and read.output is not None else (),
        )
        results.append(result)
        if done is not None:
            done(len(results) - 1, result)
    return results
