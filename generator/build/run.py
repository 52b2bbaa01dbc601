"""`build` and `check`: load and validate the site, render every exam (from the cache where it
can), assemble the output folder, and write it with the keys."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from generator.build.assemble import MANIFEST, SiteFiles, assemble
from generator.build.cache import BuildCache, Lookup, address, cache_dir, site_salt
from generator.build.files import check_locations, publish_keys, swap_in
from generator.build.parallel import Work, run_exams
from generator.build.pipeline import ExamResult
from generator.diagnostics import Diagnostic, Diagnostics, InvalidInput, Position, Severity
from generator.render.assets import runtime_assets
from generator.render.exam import page_template_error
from generator.render.pages import PageOptions
from generator.site.config import SiteConfig, load_config
from generator.site.validate import validate_site


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


@dataclass(frozen=True)
class RunOptions:
    """How a build runs; none of it changes what is built."""

    jobs: int | None = None  # worker processes; None: one per CPU, one for a small site
    # Reuse and keep each exam's result under .examsite/cache. Off for library callers unless
    # asked (nothing appears beside their exams.yaml); the CLI turns it on unless --no-cache.
    cache: bool = False
    progress: Callable[[int, int], None] | None = None  # (exams done, exams in all), as they finish


@dataclass(frozen=True)
class BuiltSite:
    """A valid site, rendered: its configuration, every exam's result and the assembled files."""

    config: SiteConfig
    results: tuple[ExamResult, ...]  # in the configuration's order
    site: SiteFiles
    diagnostics: Diagnostics
    reused: int  # exams taken from the cache

    def summary(self, seconds: float) -> Summary:
        loaded = [result for result in self.results if result.exam is not None]
        return Summary(exams=len(loaded), parts=sum(result.parts for result in loaded),
                       questions=sum(result.questions for result in loaded),
                       pages=sum(result.parts for result in loaded), seconds=seconds,
                       diagnostics=tuple(self.diagnostics.items), reused=self.reused)


def load_site_config(config_path: Path, env: str | None, diagnostics: Diagnostics, *, page_options: PageOptions,
                     environ: Mapping[str, str] | None = None) -> SiteConfig | None:
    """The site configuration, refusing the local Proview stand-in where pages are published."""
    config = load_config(config_path, env, diagnostics, environ=environ)
    if config is not None and page_options.fake_proview and config.requires_https:
        diagnostics.error(Position(str(config_path), 1, 1),
                          f"--proview fake is for previews; it cannot be used with the {config.proview.environment} "
                          "environment")
    return config


def render_site(config_path: Path, env: str | None, *, strict: bool, page_options: PageOptions, run: RunOptions,
                keep_cache: bool) -> BuiltSite:
    """Every exam loaded, validated and rendered (from the cache when it can be), then assembled;
    InvalidInput with every problem when the site has errors (or warnings, when `strict`)."""
    diagnostics = Diagnostics()
    config = load_site_config(config_path, env, diagnostics, page_options=page_options)
    if config is None:
        raise InvalidInput(diagnostics.items)
    started = time.time()
    # A site whose configuration has errors is only loaded and validated, every exam afresh.
    cache = BuildCache(cache_dir(config_path)) if run.cache and not diagnostics.has_errors else None
    salt = site_salt(config, page_options) if cache is not None else None
    lookups = [address(salt, path) if salt is not None else Lookup(path, None) for path in config.exam_files]
    total, finished = len(lookups), 0

    def progress(count: int) -> None:
        nonlocal finished
        finished += count
        if run.progress is not None:
            run.progress(finished, total)

    found: dict[int, ExamResult] = {}
    if cache is not None:
        for position, lookup in enumerate(lookups):
            hit = cache.load(lookup)
            if hit is not None:
                found[position] = hit
    progress(len(found))
    missing = [position for position in range(total) if position not in found]
    if missing and not diagnostics.has_errors:
        # Compiled here once, rather than failing in every worker: a site template's syntax error.
        broken = page_template_error(config)
        if broken is not None:
            diagnostics.error(*broken)
    work = Work(config=config, options=page_options, render=not diagnostics.has_errors, cache=cache, started=started,
                keep=keep_cache)
    made = run_exams(work, [lookups[position] for position in missing], run.jobs, progress=progress)
    found.update(zip(missing, made))
    results = tuple(found[position] for position in range(total))

    for result in results:
        diagnostics.extend(list(result.load_diagnostics))
    validate_site(config, [result.exam for result in results if result.exam is not None], diagnostics)
    # Once each: a problem in a site template is met by every exam that renders it.
    diagnostics.extend(list(dict.fromkeys(d for result in results for d in result.render_diagnostics)))
    _fail_if_invalid(diagnostics, strict)
    outputs = [result.output for result in results if result.output is not None]
    site = assemble(runtime_assets(config.proview.sdk, page_options.fake_proview), outputs, config.messages)
    if cache is not None and keep_cache:
        cache.prune(lookups)
    return BuiltSite(config, results, site, diagnostics, len(found) - len(made))


def _fail_if_invalid(diagnostics: Diagnostics, strict: bool) -> None:
    items = diagnostics.items
    if strict:
        items = [Diagnostic(d.position, Severity.ERROR, d.message) for d in items]
    if any(d.severity is Severity.ERROR for d in items):
        raise InvalidInput(items)


def check(config_path: Path, env: str | None, *, strict: bool = False,
          page_options: PageOptions = PageOptions(), run: RunOptions = RunOptions()) -> Summary:
    """Validate everything a build would, render in memory, write nothing (it reads the cache)."""
    started = time.perf_counter()
    built = render_site(config_path, env, strict=strict, page_options=page_options, run=run, keep_cache=False)
    return built.summary(time.perf_counter() - started)


def build(config_path: Path, env: str | None, out_dir: Path, keys_dir: Path, *, strict: bool = False,
          page_options: PageOptions = PageOptions(), run: RunOptions = RunOptions()) -> Summary:
    """Build the site into `out_dir` and the answer keys into `keys_dir`, each swapped in whole;
    the keys first, so no page is ever live without its key."""
    started = time.perf_counter()
    check_locations(out_dir, keys_dir, config_path)
    built = render_site(config_path, env, strict=strict, page_options=page_options, run=run, keep_cache=True)
    publish_keys(keys_dir, built.site.keys, build_id(built.site))
    swap_in(out_dir, built.site.files)
    return built.summary(time.perf_counter() - started)


def build_id(site: SiteFiles) -> str:
    """Names the build a keys folder belongs to: a digest of the published manifest, public
    bytes only, so it tells nothing of the keys."""
    return hashlib.sha256(site.files[MANIFEST]).hexdigest()
