"""One exam file loaded, validated and rendered: the unit of parallel and incremental builds.

`process_exams` is the whole per-exam pipeline. It runs in the building process or in a worker
process, and its result is what the cache stores, so a cached build and a fresh one assemble the
same things.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .config import SiteConfig
from .diagnostics import Diagnostic, Diagnostics, Severity
from .exams import load_exam
from .model import ChoiceQuestion, Exam, Text
from .pages import PageOptions
from .validate import validate_exam


@dataclass(frozen=True)
class ExamOutput:
    """Everything one exam contributes to a build; the unit an incremental rebuild replaces."""

    exam_id: str
    files: dict[str, bytes]  # its pages and images, by path under the output folder
    key: bytes
    policy: str  # the pages' Content-Security-Policy, for _headers
    manifest_entry: dict
    # The exam's language: its pages load that language's message catalogue, a file shared by the
    # exams in the language and so published by build.assemble, not held here.
    lang: str
    images: tuple[Path, ...] = ()  # the local image files its pages show (the cache checks them)
    digests: Mapping[str, str] = field(default_factory=dict)  # SHA-256 of each file, for the manifest


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
    dependencies: tuple[Path, ...] = ()  # files read besides the exam file: Markdown and images

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.load_diagnostics + self.render_diagnostics)


def identity(exam: Exam) -> Exam:
    """The exam without its content: small to send between processes and to cache."""
    return dataclasses.replace(exam, instructions=None, pools=(), parts=())


def text_files(exam: Exam) -> set[Path]:
    """The Markdown files the exam's texts were read from (a text's position names its file)."""
    texts: list[Text] = [exam.instructions] if exam.instructions else []
    for question in exam.all_questions():
        texts.append(question.prompt)
        if isinstance(question, ChoiceQuestion):
            texts.extend(choice.text for choice in question.choices)
    # Paths made once per distinct file, not once per text: an exam has thousands of texts.
    places = {(text.base_dir, text.position.path) for text in texts}
    return {Path(base_dir, Path(path).name) for base_dir, path in places}


def process_exams(config: SiteConfig, options: PageOptions, paths: Sequence[Path], render: bool,
                  done: Callable[[int, ExamResult], None] | None = None) -> list[ExamResult]:
    """Load, validate and (when `render` and the exam has no errors) render each exam file;
    `done(index, result)` is called as each one is finished."""
    from .build import SiteRenderer  # build imports this module: the renderer is build's

    capture = Diagnostics()  # taken exam by exam: what one exam reports never depends on the others
    renderer = SiteRenderer(config, options, capture) if render else None
    results = []
    for path in paths:
        exam = load_exam(path, capture)
        if exam is not None:
            validate_exam(exam, capture)
        loaded = capture.take()
        output, rendered, dependencies = None, (), ()
        if exam is not None and renderer is not None and not any(d.severity is Severity.ERROR for d in loaded):
            output = renderer.exam(exam)
            rendered = capture.take()
            files = text_files(exam) | set(output.images)
            dependencies = tuple(sorted(str(p) for p in files if p.resolve() != path.resolve()))
        result = ExamResult(
            source=path,
            exam=identity(exam) if exam is not None else None,
            parts=len(exam.parts) if exam is not None else 0,
            questions=sum(exam.question_count(part) for part in exam.parts) if exam is not None else 0,
            load_diagnostics=loaded,
            render_diagnostics=rendered,
            output=output,
            dependencies=tuple(Path(p) for p in dependencies),
        )
        results.append(result)
        if done is not None:
            done(len(results) - 1, result)
    return results
