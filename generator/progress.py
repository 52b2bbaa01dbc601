"""A build's progress line on a terminal: only on a TTY, never in CI, and only for long builds."""

from __future__ import annotations

import os
import time
from typing import Callable, TextIO

SHOW_AFTER_SECONDS = 0.5  # a quick build prints nothing
REDRAW_EVERY_SECONDS = 0.1


def wanted(stream: TextIO, quiet: bool, environ: dict[str, str] | None = None) -> bool:
    """A progress line helps a person at a terminal; in CI logs and pipes it is noise."""
    environ = dict(os.environ) if environ is None else environ
    if quiet or environ.get("CI", "").lower() not in ("", "0", "false") or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressLine:
    """`update(done, total)` redraws "building: 120/1000 exams" in place; `close()` erases it."""

    def __init__(self, stream: TextIO, verb: str = "building", clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.verb = verb
        self.clock = clock
        self.started = clock()
        self.drawn_at: float | None = None
        self.width = 0

    def update(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < SHOW_AFTER_SECONDS or done >= total:
            return
        if self.drawn_at is not None and now - self.drawn_at < REDRAW_EVERY_SECONDS:
            return
        text = f"{self.verb}: {done}/{total} exams ({100 * done // max(total, 1)}%)"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width, self.drawn_at = len(text), now

    def close(self) -> None:
        if self.drawn_at is not None:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.drawn_at = None
