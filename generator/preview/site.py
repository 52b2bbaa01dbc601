"""The dev server's build: the whole site once, then only what each change affects.

Per exam file it keeps the last model, the last good output and the last problems. An exam whose
file turns invalid keeps its last good pages, so the browser never goes blank, and its problems
go to the overlay. exams.yaml (when it changes what pages contain) and templates/ re-render
everything; an exam file, or a Markdown or image file it uses, re-renders that exam alone.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import jinja2

from generator.build.assemble import assemble
from generator.build.cache import BuildCache, Lookup, address, cache_dir, site_salt
from generator.build.parallel import Work, run_exams
from generator.build.pipeline import read_exam
from generator.diagnostics import Diagnostic, Diagnostics, Severity
from generator.preview.watch import Inputs, affected, exam_dependencies
from generator.render.csp import origin
from generator.render.exam import ExamOutput, ExamRenderer, template_error
from generator.render.pages import PageOptions
from generator.site.config import SiteConfig, load_config
from generator.site.model import Exam
from generator.site.validate import validate_site


@dataclass(frozen=True)
class ExamState:
    source: Path
    exam: Exam | None  # the last model read, None when the file could not be read at all
    output: ExamOutput | None  # the last good output, kept while the file is invalid
    diagnostics: tuple[Diagnostic, ...]
    dependencies: frozenset[Path]

    @property
    def broken(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


@dataclass(frozen=True)
class ExamLink:
    exam_id: str
    title: str
    parts: tuple[tuple[str, str], ...]  # (part title, URL path under the site) per part


@dataclass(frozen=True)
class Result:
    """One consistent state of the preview: what is served, and what the overlay says."""

    files: Mapping[str, bytes]  # the output folder
    keys: Mapping[str, bytes]  # exam id -> answer key; served to the preview aid, never written
    policies: Mapping[str, str]  # exam id -> the pages' Content-Security-Policy
    exams: tuple[ExamLink, ...]
    diagnostics: tuple[Diagnostic, ...]
    inputs: Inputs
    rendered: int  # exams rendered by this rebuild
    seconds: float

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    def same_files(self, other: "Result | None") -> bool:
        """The same output folder? (A save that changes no page needs no new folder.)"""
        if other is None or self.files.keys() != other.files.keys():
            return False
        return all(content is other.files[name] or content == other.files[name] for name, content in self.files.items())


def preview_options(config: SiteConfig, *, fake_proview: bool, submission_url: str,
                    extra_connect: tuple[str, ...]) -> PageOptions:
    """The preview's page options. The pages post to the dev server; the production endpoint's
    origin stays in connect-src, so the preview's policy is production's plus `extra_connect`."""
    production = origin(config.submission_url)
    return PageOptions(fake_proview=fake_proview, submission_url=submission_url,
                       extra_connect=((production,) if production else ()) + extra_connect)


TEXT_SUFFIXES = (".yaml", ".yml", ".md")
FULL_REBUILD_SLICE = 32  # exams per slice of a full rebuild in the server (a renderer each)


class Stopped(Exception):
    """The rebuild was abandoned because the server is stopping."""


class IncrementalSite:
    """Rebuilds a site on demand; one rebuild at a time (the caller serializes them)."""

    def __init__(self, config_path: Path, *, fake_proview: bool, submission_url: str,
                 extra_connect: tuple[str, ...] = (), cache: bool = False, env: str | None = None) -> None:
        # Resolved once: the exam files globbed under it are then resolved too, as the watcher's are.
        self.config_path = config_path.resolve()
        # Any environment previews: the local Proview stand-in never contacts Proview, and the
        # pages post to the preview's own endpoint.
        self.env = env
        self.templates = self.config_path.parent / "templates"
        self.fake_proview = fake_proview
        self.submission_url = submission_url
        self.extra_connect = extra_connect
        self.cache = cache  # use the build cache for full rebuilds
        self.stopping = threading.Event()  # set by another thread: abandon the rebuild under way
        self._config: SiteConfig | None = None
        self._config_ok = False
        self._exams: dict[Path, ExamState] = {}
        self._last: Result | None = None
        self._renderer: ExamRenderer | None = None
        self._options = PageOptions()  # the renderer's
        self._capture = Diagnostics()  # the renderer's problems, taken exam by exam
        self._config_items: tuple[Diagnostic, ...] = ()  # warnings of the last exams.yaml read
        self._known: frozenset[Path] = frozenset()  # every exam's dependencies

    def rebuild(self, changed: Iterable[Path] | None = None, jobs: int | None = 1) -> Result:
        """Rebuild after `changed` (resolved paths); None rebuilds everything. What every exam must
        render again (the first build, a template or exams.yaml change) goes to `jobs` worker
        processes (None: as many as a build of this site would use; parallel.pool_context keeps
        them safe from the dev server's threads)."""
        started = time.perf_counter()
        config_diagnostics = Diagnostics()
        if changed is not None:
            changed = frozenset(changed)
        if changed is not None and self._config_ok and all(p in self._known and p.exists() for p in changed):
            # Only files of known exams changed: exams.yaml and the exam list are as they were.
            config: SiteConfig | None = self._config
            config_diagnostics.extend(list(self._config_items))
        else:
            config = load_config(self.config_path, self.env, config_diagnostics, stand_in=self.fake_proview)
            self._config_items = tuple(config_diagnostics.items)
        if config is None:
            self._config_ok = False
            return self._keep_last(config_diagnostics, started)

        sources = set(config.exam_files)
        to_read = sources
        if changed is not None and self._config_ok and _same_pages(config, self._config):
            # exams.yaml itself was just compared; only the exam list may differ.
            scope = affected((p for p in changed if p != self.config_path), self._inputs())
            if not scope.everything:
                to_read = {s for s in sources if s not in self._exams or s in scope.exams}
        self._exams = {s: state for s, state in self._exams.items() if s in sources}
        self._config, self._config_ok = config, True

        # A renderer compiles the templates (tens of ms) and caches image digests: keep it while
        # only exam YAML and Markdown change.
        if to_read is sources or self._renderer is None or \
                any(p.suffix.lower() not in TEXT_SUFFIXES for p in changed or ()):
            options = preview_options(config, fake_proview=self.fake_proview, submission_url=self.submission_url,
                                      extra_connect=self.extra_connect)
            self._capture, self._options = Diagnostics(), options
            try:
                self._renderer = ExamRenderer(config, options, self._capture)
            except jinja2.TemplateError as error:
                self._renderer = None
                config_diagnostics.error(*template_error(config, error))
        renderer = self._renderer
        if to_read is sources and renderer is not None:
            self._read_all(config, renderer, jobs)  # a template error is each exam's (read_exam)
        else:
            for source in sorted(to_read):
                self._check_stop()
                self._exams[source] = self._read(source, config, renderer)

        site_diagnostics = Diagnostics()
        ordered = [self._exams[s] for s in config.exam_files]
        validate_site(config, [state.exam for state in ordered if state.exam is not None], site_diagnostics)
        outputs = [state.output for state in ordered if state.output is not None]
        diagnostics = set(config_diagnostics.items) | set(site_diagnostics.items)
        for state in ordered:
            diagnostics |= set(state.diagnostics)
        if renderer is None:
            return self._keep_last(config_diagnostics, started, tuple(sorted(diagnostics)))
        rendered = assemble(renderer.assets, outputs, config.messages)
        links = tuple(ExamLink(output.exam_id, output.manifest_entry["title"],
                               tuple((part["title"], part["path"]) for part in output.manifest_entry["parts"]))
                      for output in outputs)
        self._last = Result(
            files=rendered.files, keys=rendered.keys,
            policies={output.exam_id: output.policy for output in outputs},
            exams=links, diagnostics=tuple(sorted(diagnostics)), inputs=self._inputs(),
            rendered=len(to_read), seconds=time.perf_counter() - started)
        return self._last

    def _check_stop(self, finished: int = 0) -> None:
        """Between two exams: give up when the server is stopping (a full rebuild of a large site
        takes long; Ctrl-C must not wait for it)."""
        if self.stopping.is_set():
            raise Stopped

    def _read_all(self, config: SiteConfig, renderer: ExamRenderer, jobs: int | None) -> None:
        """Every exam, through the build's own per-exam pipeline: its worker processes and, when
        enabled, its cache (.examsite/cache), so restarting the preview of a large site is quick."""
        options = self._options
        cache = BuildCache(cache_dir(self.config_path)) if self.cache else None
        if cache is not None:
            salt = site_salt(config, options)
            lookups = [address(salt, path) for path in config.exam_files]
        else:
            lookups = [Lookup(path, None) for path in config.exam_files]
        found = {lookup.source: hit for lookup in lookups if cache and (hit := cache.load(lookup)) is not None}
        missing = [lookup for lookup in lookups if lookup.source not in found]
        work = Work(config=config, options=options, render=True, cache=cache, started=time.time())
        # In the server's thread, in slices: a stop request is seen between slices even where
        # the build's pipeline reports no progress.
        step = len(missing) if jobs != 1 else FULL_REBUILD_SLICE
        for start in range(0, len(missing), max(1, step)):
            self._check_stop()
            for result in run_exams(work, missing[start:start + step], jobs, progress=self._check_stop):
                found[result.source] = result
        for source, result in found.items():
            previous = self._exams.get(source)
            output = result.output if result.output is not None and not result.has_errors else \
                (previous.output if previous else None)
            dependencies = frozenset({source} | {path.resolve() for path in result.dependencies}) \
                if result.exam is not None else (previous.dependencies if previous else frozenset({source}))
            self._exams[source] = ExamState(source, result.exam, output,
                                            tuple(sorted(set(result.load_diagnostics + result.render_diagnostics))),
                                            dependencies)

    def _read(self, source: Path, config: SiteConfig, renderer: ExamRenderer | None) -> ExamState:
        previous = self._exams.get(source)
        self._capture.take()  # nothing from an earlier exam
        read = read_exam(source, config, renderer, self._capture)
        dependencies = exam_dependencies(read.exam) if read.exam is not None else \
            (previous.dependencies if previous else frozenset({source.resolve()}))
        # An exam that turns invalid keeps its last good pages: the browser never goes blank.
        output = read.output if read.output is not None else (previous.output if previous else None)
        return ExamState(source, read.exam, output, read.loaded + read.rendered, dependencies)

    def _inputs(self) -> Inputs:
        inputs = Inputs(self.config_path, self.templates,
                        {s: state.dependencies for s, state in self._exams.items()},
                        frozenset(s for s, state in self._exams.items() if state.broken))
        self._known = frozenset().union(*inputs.exam_dependencies.values())
        return inputs

    def _keep_last(self, diagnostics: Diagnostics, started: float,
                   items: tuple[Diagnostic, ...] | None = None) -> Result:
        """The last good site with these problems: the pages stay, the overlay tells."""
        last = self._last
        return Result(
            files=last.files if last else {}, keys=last.keys if last else {},
            policies=last.policies if last else {}, exams=last.exams if last else (),
            diagnostics=items if items is not None else tuple(diagnostics.items),
            inputs=self._inputs(), rendered=0, seconds=time.perf_counter() - started)


def _same_pages(config: SiteConfig, previous: SiteConfig | None) -> bool:
    """Does `config` render every page as `previous` did? (The exam list may differ.)"""
    if previous is None:
        return False
    return dataclasses.replace(config, exam_files=()) == dataclasses.replace(previous, exam_files=())
