"""The pipeline: load and validate the site, render its pages, write the output. Nothing else."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from . import __version__
from .assets import Asset, language_assets, runtime_assets
from .cache import BuildCache, Lookup, address, cache_dir, site_salt
from .config import SiteConfig, load_config
from .diagnostics import Diagnostic, Diagnostics, ExamsiteError, InvalidInput, Position, Severity
from .examresult import ExamOutput, ExamResult
from .exams import load_exam
from .i18n import Overrides
from .keys import key_bytes
from .model import Exam
from .output import MANIFEST, ROBOTS, check_locations, headers_bytes, manifest_bytes, swap_in, write_atomically
from .parallel import Work, default_jobs, run_exams
from .pages import PageOptions, page_url
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
    reused: int = 0  # exams taken unchanged from the build cache

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)

    def line(self, verb: str = "built") -> str:
        line = (f"{verb} {self.exams} exam(s), {self.parts} part(s), {self.questions} question(s), "
                f"{self.pages} page(s) in {self.seconds:.2f} s")
        return line + (f" ({self.reused} unchanged, from the cache)" if self.reused else "")


def _load_config(config_path: Path, env: str | None, diagnostics: Diagnostics, page_options: PageOptions,
                 environ: Mapping[str, str] | None = None) -> SiteConfig | None:
    """The site configuration, refusing the local Proview stand-in where pages are published."""
    config = load_config(config_path, env, diagnostics, environ)
    if config is not None and page_options.fake_proview and config.requires_https:
        diagnostics.error(Position(str(config_path), 1, 1),
                          f"--proview fake is for previews; it cannot be used with the {config.proview.environment} "
                          "environment")
    return config


def load_site(config_path: Path, env: str | None, diagnostics: Diagnostics, page_options: PageOptions,
              environ: Mapping[str, str] | None = None) -> Site | None:
    config = _load_config(config_path, env, diagnostics, page_options, environ)
    if config is None:
        return None
    exams = []
    for path in config.exam_files:
        exam = load_exam(path, diagnostics)
        if exam is not None:
            validate_exam(exam, diagnostics)
            exams.append(exam)
    validate_site(config, exams, diagnostics)
    return Site(config, tuple(exams))


class SiteRenderer:
    """Renders the exams of one site configuration, one exam at a time."""

    def __init__(self, config: SiteConfig, options: PageOptions, diagnostics: Diagnostics) -> None:
        # Imported here: a build whose exams all come from the cache never loads the renderer's
        # libraries (Jinja, Markdown, Pygments, the MathML converter), a third of its run time.
        from .content import MarkdownRenderer
        from .render import PageRenderer, make_environment

        self.config = config
        self.assets = runtime_assets(config.proview.sdk, options.fake_proview)
        self.pages = PageRenderer(config, make_environment(config),
                                  MarkdownRenderer(diagnostics, config.requires_https), self.assets, options)

    def exam(self, exam: Exam) -> ExamOutput:
        rendered = self.pages.exam_pages(exam)
        files = {page.path: page.html for page in rendered.pages}
        for image in rendered.images:
            files[f"assets/{image.name}"] = image.source.read_bytes()
        # Hashed here, in the worker that made the files, rather than by the parent for the manifest.
        digests = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
        return ExamOutput(exam.id, files, key_bytes(exam), rendered.pages[0].csp if rendered.pages else "",
                          _manifest_entry(self.config, exam), exam.lang,
                          tuple(sorted({image.source for image in rendered.images})), digests)

    def assemble(self, outputs: list[ExamOutput]) -> Rendered:
        """The whole output folder from the exams' outputs, in the order given."""
        return assemble(self.assets, outputs, self.config.messages)


def shared_files(assets: Mapping[str, Asset], outputs: list[ExamOutput], overrides: Overrides) -> dict[str, bytes]:
    """The runtime's files and the message catalogue of each language the exams' pages are in.

    The languages come from the outputs, not from what this build rendered: an exam taken from the
    cache needs its language's file as much as one rendered afresh. `overrides` (exams.yaml's
    `messages`) are the ones the pages were rendered with."""
    files: dict[str, bytes] = {asset.name: asset.content for asset in assets.values()}
    for asset in language_assets((output.lang for output in outputs), overrides).values():
        files[asset.name] = asset.content
    return files


def assemble(assets: Mapping[str, Asset], outputs: list[ExamOutput], overrides: Overrides) -> Rendered:
    """The whole output folder from the runtime's files and the exams' outputs, in the order given."""
    files = shared_files(assets, outputs, overrides)
    for output in outputs:
        files.update(output.files)
    files["robots.txt"] = ROBOTS.encode()
    files["_headers"] = headers_bytes({output.exam_id: output.policy for output in outputs})
    digests = {name: digest for output in outputs for name, digest in output.digests.items()}
    files[MANIFEST] = manifest_bytes(files, [output.manifest_entry for output in outputs],
                                     f"examsite {__version__}", digests)
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


def _summary(results: list[ExamResult], seconds: float, diagnostics: Diagnostics, reused: int = 0) -> Summary:
    loaded = [result for result in results if result.exam is not None]
    return Summary(
        exams=len(loaded),
        parts=sum(result.parts for result in loaded),
        questions=sum(result.questions for result in loaded),
        pages=sum(result.parts for result in loaded),
        seconds=seconds,
        diagnostics=tuple(diagnostics.items),
        reused=reused,
    )


def _fail_if_invalid(diagnostics: Diagnostics, strict: bool) -> None:
    items = diagnostics.items
    if strict:
        items = [Diagnostic(d.position, Severity.ERROR, d.message) for d in items]
    if any(d.severity is Severity.ERROR for d in items):
        raise InvalidInput(items)


@dataclass(frozen=True)
class RunOptions:
    """How a build runs; none of it changes what is built."""

    jobs: int | None = None  # worker processes; None: one per CPU
    # Reuse and keep each exam's result under .examsite/cache. Off for library callers unless
    # asked (nothing appears beside their exams.yaml); the CLI turns it on unless --no-cache.
    cache: bool = False
    progress: Callable[[int, int], None] | None = None  # (exams done, exams in all), as they finish


@dataclass(frozen=True)
class _Built:
    config: SiteConfig
    assets: dict[str, Asset]
    results: list[ExamResult]
    reused: int  # exams taken from the cache
    cache: BuildCache | None
    lookups: list[Lookup]


def _run(config_path: Path, env: str | None, diagnostics: Diagnostics, page_options: PageOptions,
         run: RunOptions, write_cache: bool) -> _Built | None:
    """Every exam loaded, validated and rendered (from the cache when it can be), in the
    configuration's order; the diagnostics a one-process, cacheless build would report."""
    started = time.time()
    config = _load_config(config_path, env, diagnostics, page_options)
    if config is None:
        return None
    assets = runtime_assets(config.proview.sdk, page_options.fake_proview)
    render = not diagnostics.has_errors
    cache = BuildCache(cache_dir(config_path)) if run.cache else None
    if cache is not None:
        salt = site_salt(config, page_options, assets)
        lookups = [address(salt, path) for path in config.exam_files]
    else:
        lookups = [Lookup(path, None) for path in config.exam_files]
    total, finished = len(lookups), 0

    def progress(count: int) -> None:
        nonlocal finished
        finished += count
        if run.progress is not None:
            run.progress(finished, total)

    found: dict[int, ExamResult] = {}
    if cache is not None and render:
        for index, lookup in enumerate(lookups):
            hit = cache.load(lookup)
            if hit is not None:
                found[index] = hit
        progress(len(found))
    missing = [index for index in range(total) if index not in found]
    work = Work(config, page_options, render, cache if write_cache else None, started)
    made = run_exams(work, [lookups[index] for index in missing], run.jobs or default_jobs(), progress)
    found.update(zip(missing, made))
    results = [found[index] for index in range(total)]

    for result in results:
        diagnostics.extend(list(result.load_diagnostics))
    validate_site(config, [result.exam for result in results if result.exam is not None], diagnostics)
    if not diagnostics.has_errors:
        # As in a build that renders only a valid site: rendering problems are reported once the
        # site loads without errors.
        for result in results:
            diagnostics.extend(list(result.render_diagnostics))
    return _Built(config, assets, results, len(found) - len(made), cache, lookups)


def _write_if_changed(path: Path, content: bytes) -> None:
    """Write atomically, unless the file already holds exactly this (a rebuild rewrites no key)."""
    try:
        if path.read_bytes() == content:
            return
    except OSError:
        pass
    write_atomically(path, content)


def check(config_path: Path, env: str | None, strict: bool = False,
          page_options: PageOptions = PageOptions(), run: RunOptions = RunOptions()) -> Summary:
    """Validate everything a build would, render in memory, write nothing (it reads the cache)."""
    started = time.perf_counter()
    diagnostics = Diagnostics()
    built = _run(config_path, env, diagnostics, page_options, run, write_cache=False)
    _fail_if_invalid(diagnostics, strict)
    assert built is not None
    return _summary(built.results, time.perf_counter() - started, diagnostics, built.reused)


def build(config_path: Path, env: str | None, out_dir: Path, keys_dir: Path, strict: bool = False,
          page_options: PageOptions = PageOptions(), run: RunOptions = RunOptions()) -> Summary:
    """Build the site into `out_dir` (swapped in atomically) and the answer keys into `keys_dir`."""
    started = time.perf_counter()
    check_locations(out_dir, keys_dir, config_path)
    diagnostics = Diagnostics()
    built = _run(config_path, env, diagnostics, page_options, run, write_cache=True)
    _fail_if_invalid(diagnostics, strict)
    assert built is not None
    outputs = [result.output for result in built.results if result.output is not None]
    rendered = assemble(built.assets, outputs, built.config.messages)
    swap_in(out_dir, rendered.files)
    for exam_id, content in sorted(rendered.keys.items()):
        _write_if_changed(keys_dir / f"{exam_id}.json", content)
    if built.cache is not None:
        built.cache.prune(built.lookups)
    return _summary(built.results, time.perf_counter() - started, diagnostics, built.reused)


__all__ = ["ExamOutput", "ExamsiteError", "InvalidInput", "PageOptions", "RunOptions", "Site", "SiteRenderer",
           "Summary", "assemble", "build", "check", "load_site", "render_site", "shared_files"]
