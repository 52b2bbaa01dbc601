"""What the dev server watches, and which exams a change affects.

An exam depends on its own file, the Markdown files it includes and the local images its
Markdown shows. exams.yaml and templates/ affect every exam. A path nobody depends on may be a
new exam file: the rebuild re-reads the exam list, which is cheap, and finds out.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping
from urllib.parse import urlsplit

from livereload.watcher import Watcher
from tornado.ioloop import IOLoop, PeriodicCallback

from generator.preview.inotify import IN_CREATE, IN_DELETE_SELF, IN_ISDIR, IN_MOVE_SELF, IN_MOVED_TO, Inotify

FOLDER_GONE = IN_DELETE_SELF | IN_MOVE_SELF

from generator.site.model import Exam, Text

# Images in Markdown: inline, reference definitions and raw <img> tags (what content.py renders).
_IMAGE_REFERENCES = (
    re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)"),
    re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE),
    re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)", re.IGNORECASE),
)
EXAM_SUFFIXES = ("*.yaml", "*.yml")
_GLOB = re.compile(r"[*?[]")


def _local_images(text: Text) -> set[Path]:
    found = set()
    for pattern in _IMAGE_REFERENCES:
        for src in pattern.findall(text.source):
            parts = urlsplit(src)
            if not parts.scheme and not parts.netloc and parts.path and not src.startswith("/"):
                found.add((text.base_dir / parts.path).resolve())
    return found


def exam_dependencies(exam: Exam) -> frozenset[Path]:
    """Every file whose change changes this exam's pages: missing ones too, so creating one counts."""
    paths = {exam.source.resolve()} | {path.resolve() for path in exam.text_files()}
    for text in exam.texts():
        paths |= _local_images(text)
    return frozenset(paths)


@dataclass(frozen=True)
class Inputs:
    """Everything one preview build read, as the watcher needs it."""

    config: Path
    templates: Path
    exam_dependencies: Mapping[Path, frozenset[Path]]  # exam file -> its dependencies
    broken: frozenset[Path] = frozenset()  # exam files with errors: re-read on any change

    def targets(self) -> frozenset[str]:
        """Paths and globs to watch: exams.yaml, templates/, each exam folder's YAML files (new exams)
        and every dependency. A broken exam may name a file that does not exist yet (a missing
        .md file is not in its model), so its whole folder is watched."""
        targets = {str(self.config), str(self.templates / "**" / "*")}
        for source, dependencies in self.exam_dependencies.items():
            targets |= {str(source.parent / suffix) for suffix in EXAM_SUFFIXES}
            targets |= {str(path) for path in dependencies if path != source}
        targets |= {str(source.parent / "**" / "*") for source in self.broken}
        return frozenset(targets)


@dataclass(frozen=True)
class Affected:
    everything: bool
    exams: frozenset[Path]  # exam files to re-read (when not everything)


def affected(changed: Iterable[Path], inputs: Inputs) -> Affected:
    """Which exams `changed` (resolved paths) affects."""
    config, templates = inputs.config.resolve(), inputs.templates.resolve()
    dependents: dict[Path, set[Path]] = {}
    for source, dependencies in inputs.exam_dependencies.items():
        for path in dependencies:
            dependents.setdefault(path, set()).add(source)
    exams: set[Path] = set(inputs.broken)  # any change may be the one that fixes them
    for path in changed:
        if path == config or templates in path.parents:
            return Affected(True, frozenset())
        exams |= dependents.get(path, set())
    return Affected(False, frozenset(exams))


class PollingWatcher(Watcher):
    """livereload's watcher, with two limits lifted.

    - It polls every `interval_ms` (livereload polls every 800 ms without pyinotify, which alone
      would spend most of a 500 ms reload budget).
    - `examine` never reports a change to livereload: its reload would come before our build
      finishes (we build in a worker thread) and is dropped when within 3 s of the previous one.
      The dev server reloads browsers itself once a build is published.
    """

    def __init__(self, interval_ms: int = 100) -> None:
        super().__init__()
        self.interval_ms = interval_ms
        self._poller: PeriodicCallback | None = None

    def start(self, callback: Callable[[], None]) -> bool:
        self._poller = PeriodicCallback(callback, self.interval_ms)
        self._poller.start()
        return True  # tells livereload not to start its own 800 ms poller

    def examine(self):  # type: ignore[no-untyped-def]
        super().examine()  # runs the tasks of changed paths (they queue a rebuild)
        return None, None

    # One stat per file and no directory walks: livereload's checks stat a file three times,
    # which on a 500-exam site made each poll cost tens of milliseconds.
    def is_changed(self, path: str, ignore=None):  # type: ignore[no-untyped-def]
        self._new_mtimes = {}
        if _GLOB.search(path):
            changed = self.get_changed_glob_files(path, ignore)
        else:
            changed = self.is_file_changed(path, ignore)
        if not changed:
            changed = self.is_file_removed()
        self._task_mtimes.update(self._new_mtimes)
        return changed

    def is_file_changed(self, path: str, ignore=None) -> bool:  # type: ignore[no-untyped-def]
        try:
            status = os.stat(path)
        except OSError:
            return False
        if not stat.S_ISREG(status.st_mode) or self.ignore(path) or (ignore and ignore(path)):
            return False
        mtime = status.st_mtime
        previous = self._task_mtimes.get(path)
        self._new_mtimes[path] = mtime
        if previous == mtime:
            return False
        self.filepath = path
        return previous is not None or mtime > self._start  # a file first seen counts if made after start

    def unwatch(self, path: str) -> None:
        """Forget a path; call between polls, never from a task (examine iterates the tasks)."""
        self._tasks.pop(path, None)

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._tasks)


def _folders_of(target: str) -> set[str]:
    """The folders whose entries decide a target: a file's folder; a glob's fixed folder, and
    every folder below it for `**`. A missing folder is watched through its nearest ancestor."""
    parts = Path(target).parts
    fixed = next((i for i, part in enumerate(parts) if _GLOB.search(part)), len(parts) - 1)
    base = Path(*parts[:fixed]) if fixed else Path(target).parent
    while not base.is_dir() and base != base.parent:
        base = base.parent
    folders = {str(base)}
    if "**" in parts:
        folders |= {root for root, _, _ in os.walk(base)}
    return folders


def _matches(path: str, target: str) -> bool:
    if path == target:
        return True
    if not _GLOB.search(target) or os.path.basename(path).startswith("."):
        return False  # as glob: no hidden files (editors' temporary files)
    if "**" in target:  # everything below the fixed part (fnmatch's `*` crosses folders anyway)
        return path.startswith(target.split("**", 1)[0])
    return fnmatch.fnmatchcase(path, target)


class SiteWatcher(PollingWatcher):
    """Told of changes by inotify where there is one (Linux), else polling as PollingWatcher.

    The tasks stay livereload's (Server.watch registers them); an event's path runs the tasks
    whose target is that path or a glob matching it. After the watched folders change (start,
    new dependencies, a new folder), one polling pass catches what changed meanwhile.
    """

    def __init__(self, interval_ms: int = 100, use_inotify: bool = True) -> None:
        super().__init__(interval_ms)
        self._inotify = Inotify.open() if use_inotify else None
        self._events: set[str] = set()
        self._resync_due = False
        self._loop: IOLoop | None = None

    @property
    def mode(self) -> str:
        return "inotify" if self._inotify is not None else f"polling every {self.interval_ms} ms"

    def start(self, callback: Callable[[], None]) -> bool:
        if self._inotify is None:
            return super().start(callback)
        self._loop = IOLoop.current()
        self._loop.add_handler(self._inotify.fd, self._on_readable, IOLoop.READ)
        self._resync()
        return True

    def watch(self, path, func=None, delay=None, ignore=None):  # type: ignore[no-untyped-def]
        super().watch(path, func, delay, ignore)
        self._schedule_resync()

    def unwatch(self, path: str) -> None:
        super().unwatch(path)
        self._schedule_resync()

    def _schedule_resync(self) -> None:
        if self._loop is not None and not self._resync_due:
            self._resync_due = True
            self._loop.add_callback(self._resync)

    def _resync(self) -> None:
        self._resync_due = False
        assert self._inotify is not None
        wanted: set[str] = set()
        for target in self._tasks:
            wanted |= _folders_of(target)
        for folder in self._inotify.folders - wanted:
            self._inotify.remove(folder)
        for folder in wanted - self._inotify.folders:
            self._inotify.add(folder)
        PollingWatcher.examine(self)  # what changed before the folders were watched

    def _on_readable(self, fd: int, events: int) -> None:
        assert self._inotify is not None and self._loop is not None
        found, overflow = self._inotify.read()
        if overflow:
            PollingWatcher.examine(self)
        if any(event.mask & IN_ISDIR and event.mask & (IN_CREATE | IN_MOVED_TO) or event.mask & FOLDER_GONE
               for event in found):
            self._schedule_resync()  # a new or vanished folder may be one a target needs
        if not self._events and found:
            self._loop.call_later(0.02, self._dispatch)  # one batch for a save's several events
        self._events |= {event.path for event in found if not event.mask & IN_ISDIR}

    def _dispatch(self) -> None:
        paths, self._events = self._events, set()
        for target, task in list(self._tasks.items()):
            matched = [path for path in paths if _matches(path, target)]
            for path in matched:  # keep the polling record current, so a catch-up pass repeats nothing
                try:
                    task["mtimes"][path] = os.stat(path).st_mtime
                except OSError:
                    task["mtimes"].pop(path, None)
            if matched and task["func"] is not None:
                task["func"](matched)

    def close(self) -> None:
        """Idempotent; the server's loop may already have closed the descriptor (all_fds)."""
        if self._inotify is not None:
            try:
                if self._loop is not None:
                    self._loop.remove_handler(self._inotify.fd)
                self._inotify.close()
            except (OSError, ValueError, RuntimeError):
                pass
            self._inotify = None
