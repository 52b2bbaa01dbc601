"""The watcher on a real event loop: inotify (and the polling fallback) run livereload's tasks
for saves, renames over a file, deletions, new exam files and files in a new folder."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from tornado.ioloop import IOLoop

from generator.preview.watch import SiteWatcher

from .conftest import save


class LoopThread:
    """The watcher's event loop in its own thread (Playwright's loop may own this one)."""

    def __init__(self, watcher: SiteWatcher) -> None:
        self.watcher = watcher
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(asyncio.new_event_loop())
            self.loop = IOLoop.current()
            watcher.start(watcher.examine)
            started.set()
            self.loop.start()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(5)
        for target in list(watcher.watched):
            watcher._tasks[target]["func"] = lambda paths=None, t=target: self.record(paths or [t])

    def record(self, paths: list[str]) -> None:
        with self.lock:
            self.seen.update(paths)

    def collect(self, action, root: Path, timeout: float = 5.0) -> set[str]:
        """Run `action`, wait until a task reports, and a little more to gather the rest."""
        with self.lock:
            self.seen.clear()
        action()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.seen:
                    break
            time.sleep(0.02)
        time.sleep(0.25)
        with self.lock:
            return {os.path.relpath(p, root) for p in self.seen}

    def stop(self) -> None:
        self.loop.add_callback(self.watcher.close)
        self.loop.add_callback(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(params=["inotify", "polling"])
def watched(request, tmp_path: Path):
    (tmp_path / "exams").mkdir()
    (tmp_path / "exams.yaml").write_text("exams: [exams/*.yaml]\n")
    (tmp_path / "exams" / "a.yaml").write_text("id: a\n")
    (tmp_path / "exams" / "a.md").write_text("A\n")
    watcher = SiteWatcher(50, use_inotify=request.param == "inotify")
    assert watcher.mode.startswith(request.param)
    for target in (tmp_path / "exams.yaml", tmp_path / "exams" / "*.yaml", tmp_path / "exams" / "a.md",
                   tmp_path / "templates" / "**" / "*"):
        watcher.watch(str(target), lambda paths=None: None)
    running = LoopThread(watcher)
    yield tmp_path, running
    running.stop()


def test_saves_renames_deletions_and_new_files(watched):
    root, running = watched
    time.sleep(0.1)
    assert running.collect(lambda: (root / "exams" / "a.md").write_text("A2\n"), root) == {"exams/a.md"}
    assert running.collect(lambda: save(root / "exams" / "a.yaml", "id: a2\n"), root) == {"exams/a.yaml"}
    assert running.collect(lambda: save(root / "exams" / "b.yaml", "id: b\n"), root) == {"exams/b.yaml"}
    assert running.collect(lambda: (root / "exams" / "a.md").unlink(), root) == {"exams/a.md"}
    folder = root / "templates" / "partials"
    made = running.collect(lambda: (folder.mkdir(parents=True), time.sleep(0.2), (folder / "x.html").write_text("x")),
                           root)
    assert made == {"templates/partials/x.html"}
    # An editor's temporary file, renamed over the template: the template only.
    assert running.collect(lambda: save(folder / "x.html", "y"), root) == {"templates/partials/x.html"}
    assert running.collect(lambda: (root / "notes.txt").write_text("not watched"), root, timeout=0.5) == set()
