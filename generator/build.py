"""The pipeline: load and validate the site, render its pages, write the output. Nothing else."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from . import __version__
from .assets import language_assets
from .buildindex import BuildIndex
from .cache import BuildCache, Lookup, cache_dir, site_salt
from .config import SiteConfig, load_config
from .diagnostics import Diagnostic, Diagnostics, ExamsiteError, InvalidInput, Position, Severity
from .examresult import ExamOutput, ExamResult, OutputFacts, process_exams
from .exams import load_exam
from .filesig import current
from .i18n import Overrides
from .keys import key_bytes
from .model import Exam
from .output import (MANIFEST, ROBOTS, check_locations, headers_bytes, manifest_bytes, manifest_text, swap_in,
                     write_atomically)
from .pages import PageOptions, page_url
from .parallel import Work, default_jobs, run_exams
from .publish import publish
from .validate import validate_exam, validate_site

if TYPE_CHECKING:
    from .assets import Asset, Published


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

    def __init__(self, config: SiteConfig, options: PageOptions, diagnostics: Diagnostics,
                 runtime: Mapping[str, Published] | None = None,
                 compiled_templates: tuple[Path, str] | None = None) -> None:
        """`runtime`: the runtime's files as the pages link them, when known (the build index has
        them); else the runtime is made. `compiled_templates`: the folder and salt of the templates
        kept compiled between builds (render.CompiledTemplates), if they are kept."""
        # Imported here: a build whose exams all come from the cache never loads the renderer's
        # libraries (Jinja, Markdown, Pygments, the MathML converter), a third of its run time.
        from .assets import runtime_assets
        from .content import MarkdownRenderer
        from .render import CompiledTemplates, PageRenderer, make_environment

        self.config = config
        self.assets = runtime if runtime is not None else runtime_assets(config.proview.sdk, options.fake_proview)
        compiled = CompiledTemplates(*compiled_templates) if compiled_templates is not None else None
        self.pages = PageRenderer(config, make_environment(config, compiled),
                                  MarkdownRenderer(diagnostics, config.requires_https, config.markdown),
                                  self.assets, options)

    def exam(self, exam: Exam, known: Mapping[str, str] | None = None) -> ExamOutput:
        """The exam's output. `known`: fragments of an earlier version of it (content.py), to
        reuse, and then the output holds its own; None: none used, none kept."""
        self.pages.markdown.reuse(known)
        rendered = self.pages.exam_pages(exam)
        files = {page.path: page.html for page in rendered.pages}
        for image in rendered.images:
            files[f"assets/{image.name}"] = image.source.read_bytes()
        # Hashed here, in the worker that made the files, rather than by the parent for the manifest.
        digests = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
        return ExamOutput(exam.id, files, key_bytes(exam), rendered.pages[0].csp if rendered.pages else "",
                          _manifest_entry(self.config, exam), exam.lang,
                          tuple(sorted({image.source for image in rendered.images})), digests,
                          dict(self.pages.markdown.made or {}))

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
    results: list[ExamResult]  # in the configuration's order
    lookups: list[Lookup]  # each exam's cache address, in the same order
    reused: int  # exams taken from the cache or the build index
    cache: BuildCache | None
    index: BuildIndex | None


def _run(config_path: Path, env: str | None, diagnostics: Diagnostics, page_options: PageOptions,
         run: RunOptions, write_cache: bool) -> _Built | None:
    """Every exam loaded, validated and rendered (from the build index or the cache when it can
    be), in the configuration's order; the diagnostics a one-process, cacheless build would report."""
    started = time.time()
    config = _load_config(config_path, env, diagnostics, page_options)
    if config is None:
        return None
    # A site whose configuration has errors is only loaded and validated, every exam afresh.
    cache = BuildCache(cache_dir(config_path)) if run.cache and not diagnostics.has_errors else None
    index = BuildIndex.load(cache.root, site_salt(config, page_options), int(started * 1e9)) if cache else None
    total, finished = len(config.exam_files), 0

    def progress(count: int) -> None:
        nonlocal finished
        finished += count
        if run.progress is not None:
            run.progress(finished, total)

    lookups: list[Lookup] = []
    found: dict[int, ExamResult] = {}
    for position, path in enumerate(config.exam_files):
        lookup, hit = index.reuse(path) if index is not None else (Lookup(path, None), None)
        if hit is None and cache is not None:
            hit = cache.load(lookup)
        if hit is not None:
            found[position] = hit
        lookups.append(lookup)
    progress(len(found))
    missing = [position for position in range(total) if position not in found]
    work = Work(config, page_options, not diagnostics.has_errors, cache, started,
                index.published_runtime() if index is not None else None,
                # check writes nothing, compiled templates included; it reads fragments all the same
                (cache.root / "templates", index.salt.hex()[:32]) if write_cache and cache and index else None,
                keep=write_cache)
    made = run_exams(work, [lookups[position] for position in missing], run.jobs or default_jobs(), progress)
    found.update(zip(missing, made))
    results = [found[position] for position in range(total)]
    return _Built(config, results, lookups, len(found) - len(made), cache, index)


def _diagnose(built: _Built, diagnostics: Diagnostics) -> None:
    """The exams' own problems, then the site's: exam ids and URLs are unique across exams."""
    for result in built.results:
        diagnostics.extend(list(result.load_diagnostics))
    validate_site(built.config, [result.exam for result in built.results if result.exam is not None], diagnostics)
    if not diagnostics.has_errors:
        # As in a build that renders only a valid site: rendering problems are reported once the
        # site loads without errors.
        for result in built.results:
            diagnostics.extend(list(result.render_diagnostics))


class _Site:
    """The output folder and the keys of a valid build, by digest; bytes only where asked for.

    An exam reused from the build index has only its output's facts. The bytes of its files are
    needed only when the published folder lacks them; they then come from its cache entry or,
    failing that (the entry was pruned or damaged), from rendering it again, and are checked
    against the facts the manifest was made from."""

    def __init__(self, built: _Built, page_options: PageOptions) -> None:
        self.built = built
        self.page_options = page_options
        self.published = [(position, result.facts) for position, result in enumerate(built.results)
                          if result.facts is not None]
        self._assets: dict[str, Asset] | None = None
        files = dict(self._runtime_facts())
        at_hand: dict[str, bytes] = {}
        self.owner: dict[str, int] = {}  # page or image -> the position of the exam that publishes it
        for position, facts in self.published:
            files.update(facts.files)
            self.owner.update(dict.fromkeys(facts.files, position))
        # The message catalogue of each language the pages are in (as shared_files): an exam reused
        # from the index or the cache needs its language's file as much as one rendered afresh.
        langs = (built.results[position].exam.lang for position, _ in self.published)
        for asset in language_assets(langs, built.config.messages).values():
            at_hand[asset.name] = asset.content
        at_hand["robots.txt"] = ROBOTS.encode()
        at_hand["_headers"] = headers_bytes({facts.exam_id: facts.policy for _, facts in self.published})
        for name, content in at_hand.items():
            files[name] = (hashlib.sha256(content).hexdigest(), len(content))
        at_hand[MANIFEST] = manifest_text(files, [facts.manifest_text for _, facts in self.published],
                                          f"examsite {__version__}")
        files[MANIFEST] = (hashlib.sha256(at_hand[MANIFEST]).hexdigest(), len(at_hand[MANIFEST]))
        self.files, self.at_hand = files, at_hand
        self._outputs: dict[int, ExamOutput] = {}

    @property
    def tree(self) -> dict[str, str]:
        return {name: digest for name, (digest, _) in self.files.items()}

    def _runtime_facts(self) -> dict[str, tuple[str, int]]:
        """The runtime's files (assets.py), by digest: from the build index, which has them for
        this salt, else made (which imports Pygments, for the code colours)."""
        index = self.built.index
        known = index.runtime if index is not None else None
        if known is not None:
            return {name: (digest, size) for name, digest, size, _ in known.values()}
        made = self._runtime_assets()
        if index is not None:
            index.record_runtime({logical: [asset.name, hashlib.sha256(asset.content).hexdigest(), len(asset.content),
                                            asset.integrity] for logical, asset in made.items()})
        return {asset.name: (hashlib.sha256(asset.content).hexdigest(), len(asset.content)) for asset in made.values()}

    def _runtime_assets(self) -> dict[str, Asset]:
        if self._assets is None:
            from .assets import runtime_assets

            config = self.built.config
            self._assets = runtime_assets(config.proview.sdk, self.page_options.fake_proview)
        return self._assets

    def _runtime(self) -> dict[str, bytes]:
        return {asset.name: asset.content for asset in self._runtime_assets().values()}

    def contents(self, names: set[str]) -> dict[str, bytes]:
        found = {}
        for name in names:
            if name in self.at_hand:
                found[name] = self.at_hand[name]
            elif name in self.owner:
                found[name] = self.output(self.owner[name]).files[name]
            else:
                found[name] = self._runtime()[name]
                if hashlib.sha256(found[name]).hexdigest() != self.files[name][0]:
                    raise ExamsiteError(f"the runtime's {name} is not what the build index says; build again")
        return found

    def keys(self) -> list[tuple[str, str, int]]:
        """(exam id, SHA-256 of its key, the exam's position), in the site's order."""
        return [(facts.exam_id, facts.key_digest, position) for position, facts in self.published]

    def output(self, position: int) -> ExamOutput:
        """An exam's output with its bytes, as its facts describe it."""
        result = self.built.results[position]
        if result.output is not None:  # rendered, or loaded from its cache entry, by this build
            return result.output
        if position not in self._outputs:
            for attempt in (self._from_cache, self._render):
                output = attempt(position)
                if output is not None and _holds(output, result.facts):
                    self._outputs[position] = output
                    break
            else:
                raise ExamsiteError(f"{result.source} changed while it was being built; build again")
        return self._outputs[position]

    def _from_cache(self, position: int) -> ExamOutput | None:
        if self.built.cache is None:
            return None
        loaded = self.built.cache.load(self.built.lookups[position])
        return loaded.output if loaded is not None else None

    def _render(self, position: int) -> ExamOutput | None:
        return process_exams(self.built.config, self.page_options, [self.built.results[position].source], True)[0].output


def _holds(output: ExamOutput, facts: OutputFacts | None) -> bool:
    """Do these bytes hash as the facts the manifest was made from say? (Checked, not assumed:
    they come from another file than the facts.)"""
    if facts is None or output.files.keys() != facts.files.keys():
        return False
    return (all(hashlib.sha256(content).hexdigest() == facts.files[name][0] for name, content in output.files.items())
            and hashlib.sha256(output.key).hexdigest() == facts.key_digest and output.policy == facts.policy)


def _write_keys(keys_dir: Path, site: _Site, index: BuildIndex | None) -> None:
    """Each exam's answer key, written atomically unless the file already holds it (a rebuild
    rewrites no key); the build index's records spare reading the unchanged ones."""
    folder = str(keys_dir)
    for exam_id, digest, position in site.keys():
        path = os.path.join(folder, f"{exam_id}.json")
        recorded = index.keys.get(path) if index is not None else None
        found = current(path, recorded, digest)
        if found is None or found[0] != digest:
            write_atomically(Path(path), site.output(position).key)
            found = current(path, None)
        if index is not None and found is not None:
            index.record_key(path, found)


def _valid_site(config_path: Path, env: str | None, strict: bool, page_options: PageOptions, run: RunOptions,
                write_cache: bool) -> tuple[_Built, Diagnostics]:
    """The site loaded, validated and rendered, with its warnings; InvalidInput when it has errors."""
    diagnostics = Diagnostics()
    built = _run(config_path, env, diagnostics, page_options, run, write_cache)
    if built is not None:
        _diagnose(built, diagnostics)
    _fail_if_invalid(diagnostics, strict)
    assert built is not None  # no site only when the configuration has errors
    return built, diagnostics


def check(config_path: Path, env: str | None, strict: bool = False,
          page_options: PageOptions = PageOptions(), run: RunOptions = RunOptions()) -> Summary:
    """Validate everything a build would, render in memory, write nothing (it reads the cache)."""
    started = time.perf_counter()
    built, diagnostics = _valid_site(config_path, env, strict, page_options, run, write_cache=False)
    return _summary(built.results, time.perf_counter() - started, diagnostics, built.reused)


def build(config_path: Path, env: str | None, out_dir: Path, keys_dir: Path, strict: bool = False,
          page_options: PageOptions = PageOptions(), run: RunOptions = RunOptions()) -> Summary:
    """Build the site into `out_dir` (swapped in atomically) and the answer keys into `keys_dir`."""
    started = time.perf_counter()
    check_locations(out_dir, keys_dir, config_path)
    built, diagnostics = _valid_site(config_path, env, strict, page_options, run, write_cache=True)
    site = _Site(built, page_options)
    if built.cache is not None:
        publish(out_dir, site.tree, site.contents)
    else:  # a clean build: every file written afresh
        swap_in(out_dir, site.contents(set(site.files)))
    _write_keys(keys_dir, site, built.index)
    if built.index is not None:
        built.index.update(built.results)
        built.index.save()
    if built.cache is not None:
        built.cache.prune(built.lookups, keep=[built.index.path, built.index.journal] if built.index else [])
    return _summary(built.results, time.perf_counter() - started, diagnostics, built.reused)


__all__ = ["ExamOutput", "ExamsiteError", "InvalidInput", "PageOptions", "RunOptions", "Site", "SiteRenderer",
           "Summary", "assemble", "build", "check", "load_site", "render_site", "shared_files"]
