"""Running the per-exam pipeline over many exams: in this process, or in worker processes.

Processes, not threads: Markdown, Jinja and YAML conversion are pure Python and hold the GIL.
Work goes out in chunks so each worker makes its renderer (templates, Markdown, assets) once per
chunk rather than once per exam; each worker writes its own cache entries; results come back in
the order given, so the output does not depend on the number of jobs.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Callable, Sequence

from generator.build.cache import BuildCache, Lookup
from generator.build.pipeline import ExamResult, process_exams
from generator.render.pages import PageOptions
from generator.site.config import SiteConfig

# Starting workers costs about 0.1-0.3 s of CPU (forks, a renderer each, first-use warm-up); an
# exam costs about 6 ms per KB of YAML. Below this much input one process is as fast.
MIN_PARALLEL_BYTES = 64 * 1024
CHUNKS_PER_JOB = 4  # several chunks per worker: a slow chunk does not leave the others idle
# At most this many exams a chunk, so progress moves in small steps on large sites; a chunk's
# renderer costs about 30 ms, well under 1% of the chunk's work.
MAX_CHUNK = 32

Progress = Callable[[int], None]  # called with the number of exams just finished


@dataclass(frozen=True, kw_only=True)
class Work:
    """What every chunk shares."""

    config: SiteConfig
    options: PageOptions
    render: bool  # False when the site already has errors: load and validate only
    cache: BuildCache | None  # where results are kept; None for a --no-cache run
    # When the build started (time.time()): files written since are not trusted. By default, when
    # the Work was made; pass the real start when files were read before that.
    started: float = field(default_factory=time.time)
    keep: bool = True  # keep the results in the cache; False for `check`, which writes nothing


def default_jobs() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def pool_context() -> BaseContext:
    """How to start workers: forked from this process (fast, and what a build does), unless other
    threads run here (the dev server's), where a fork can copy a lock another thread holds and
    deadlock; then forked from a clean server process that has no threads."""
    if threading.active_count() > 1 and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context()


def _input_bytes(lookups: Sequence[Lookup]) -> int:
    total = 0
    for lookup in lookups:
        try:
            total += lookup.source.stat().st_size
        except OSError:
            pass
    return total


def workers_for(lookups: Sequence[Lookup], jobs: int | None) -> int:
    """`jobs` worker processes when asked for (--jobs N), else one per CPU for a site large
    enough that starting them pays."""
    if jobs is None:
        jobs = default_jobs() if _input_bytes(lookups) >= MIN_PARALLEL_BYTES else 1
    if jobs <= 1 or len(lookups) < 2:
        return 1
    return min(jobs, len(lookups))


def chunked(items: Sequence[Lookup], workers: int) -> list[Sequence[Lookup]]:
    count = max(1, min(len(items), max(workers * CHUNKS_PER_JOB, -(-len(items) // MAX_CHUNK))))
    size = -(-len(items) // count)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _chunk(work: Work, lookups: Sequence[Lookup], progress: Progress | None = None) -> list[ExamResult]:
    def done(index: int, result: ExamResult) -> None:
        if work.cache is not None and work.keep:
            work.cache.store(lookups[index], result, work.started)
        if progress is not None:
            progress(1)

    return process_exams(work.config, work.options, [lookup.source for lookup in lookups], render=work.render,
                         done=done)


def end_with_parent() -> None:
    """In a worker: die when the process that started it dies (Linux's PR_SET_PDEATHSIG), so a
    build that is killed leaves no worker rendering on for a chunk's length."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: workers end when they find the pool gone
        return
    parent = os.getppid()
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the call took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def run_exams(work: Work, lookups: Sequence[Lookup], jobs: int | None, *,
              progress: Progress | None = None) -> list[ExamResult]:
    """The exams' results, made with up to `jobs` processes (None: workers_for decides), in the
    order of `lookups`."""
    if not lookups:  # everything came from the cache: no renderer to make
        return []
    workers = workers_for(lookups, jobs)
    if workers == 1:
        return _chunk(work, lookups, progress)
    chunks = chunked(lookups, workers)
    done: dict[int, list[ExamResult]] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(), initializer=end_with_parent) as pool:
        futures = {pool.submit(_chunk, work, chunk): index for index, chunk in enumerate(chunks)}
        try:
            for future in as_completed(futures):
                index = futures[future]
                done[index] = future.result()
                if progress is not None:
                    progress(len(done[index]))
        except BaseException:  # Ctrl-C, a stop, a failed chunk: wait for the running chunks only
            pool.shutdown(cancel_futures=True)
            raise
    return [result for index in range(len(chunks)) for result in done[index]]
