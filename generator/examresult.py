"""One exam file loaded, validated and rendered: the unit of parallel and incremental builds.

`process_exams` is the whole per-exam pipeline. It runs in the building process or in a worker
process, and its result is what the cache stores, so a cached build and a fresh one assemble the
same things.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .assets import Published
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
    # exams in the language and so published once by the build (build.py), not held here.
    lang: str
    images: tuple[Path, ...] = ()  # the local image files its pages show (the cache checks them)
    digests: Mapping[str, str] = field(default_factory=dict)  # SHA-256 of each file, for the manifest
    # The HTML of its texts by content.fragment_key, kept in its cache entry: when the exam changes,
    # the texts that did not are not rendered again.
    fragments: Mapping[str, str] = field(default_factory=dict)

    def facts(self) -> "OutputFacts":
        from .output import entry_text

        return OutputFacts(self.exam_id,
                           {name: (self.digests.get(name) or hashlib.sha256(content).hexdigest(), len(content))
                            for name, content in self.files.items()},
                           hashlib.sha256(self.key).hexdigest(), self.policy, entry_text(self.manifest_entry))


@dataclass(frozen=True)
class OutputFacts:
    """What a build needs of an exam's output short of its bytes: enough to make the manifest and
    _headers and to know which published files and keys are already right. A rebuild that reuses
    an exam from the build index (buildindex.py) has only these; it fetches the bytes from the
    cache entry for the few files it must write."""

    exam_id: str
    files: Mapping[str, tuple[str, int]]  # path under the output folder -> (SHA-256, size)
    key_digest: str  # SHA-256 of the answer key file
    policy: str
    manifest_text: str  # the exam's entry in manifest.json, as it is written there (output.entry_text)


@dataclass(frozen=True)
class ExamResult:
    source: Path  # the exam file
    # The exam's identity without its questions: what site-wide rules (validate_site) read.
    exam: Exam | None
    parts: int
    questions: int
    load_diagnostics: tuple[Diagnostic, ...]  # reading the files and the exam's own rules
    render_diagnostics: tuple[Diagnostic, ...]  # found while rendering (images, math, headings)
    output: ExamOutput | None  # None when the exam has errors, was not rendered, or comes from the index
    # Files read besides the exam file (Markdown, images), for the cache entry and the preview's
    # watcher: listed by results made by this build. One reused from the build index has them in
    # its index entry; making 1000 Paths cost a one-exam rebuild 20 ms.
    dependencies: tuple[Path, ...] = ()
    known: OutputFacts | None = None  # the output's facts, when the output itself was not loaded

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.load_diagnostics + self.render_diagnostics)

    @functools.cached_property
    def facts(self) -> OutputFacts | None:
        """What was published for this exam; None when nothing was (errors, or not rendered)."""
        if self.known is not None:
            return self.known
        return self.output.facts() if self.output is not None else None


def identity(exam: Exam) -> Exam:
    """The exam without its content: small to send between processes and to cache."""
    return dataclasses.replace(exam, instructions=None, pools=(), parts=(), accommodations=())


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
                  done: Callable[[int, ExamResult], None] | None = None,
                  known: Callable[[int], Mapping[str, str]] | None = None,
                  runtime: Mapping[str, Published] | None = None,
                  compiled_templates: tuple[Path, str] | None = None) -> list[ExamResult]:
    """Load, validate and (when `render` and the exam has no errors) render each exam file;
    `done(index, result)` is called as each one is finished. `known(index)`: the fragments of an
    earlier version of the exam (ExamOutput.fragments), whose texts need no rendering."""
    from .build import SiteRenderer  # build imports this module: the renderer is build's

    capture = Diagnostics()  # taken exam by exam: what one exam reports never depends on the others
    renderer = SiteRenderer(config, options, capture, runtime, compiled_templates) if render else None
    results = []
    for path in paths:
        exam = load_exam(path, capture, config.files)
        if exam is not None:
            validate_exam(exam, capture)
        loaded = capture.take()
        output, rendered, dependencies = None, (), ()
        if exam is not None and renderer is not None and not any(d.severity is Severity.ERROR for d in loaded):
            output = renderer.exam(exam, known(len(results)) if known is not None else None)
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
