"""The dev server's temporary output: one complete folder per published build.

A build is written into a new folder beside the previous one (files that did not change are
hard-linked from it, so a one-exam edit writes one exam's pages) and is served only once
complete; the server switches folders in one assignment, so no request ever sees a half-written
site. Never `output/`: the folder lives in the system's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class Generation:
    number: int
    root: Path
    files: Mapping[str, bytes]


class Staging:
    """Owns the temporary folder; keeps the current generation and the one before (requests in
    flight may still read it) and deletes older ones."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="examsite-serve-"))
        self._generations: list[Generation] = []

    def write(self, files: Mapping[str, bytes]) -> Generation:
        """Write a complete new generation; the caller publishes it (serves from it)."""
        previous = self._generations[-1] if self._generations else None
        number = previous.number + 1 if previous else 1
        root = self.root / f"site-{number:04d}"
        made: set[Path] = set()
        for name, content in sorted(files.items()):
            target = root / name
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            old = previous.files.get(name) if previous else None
            if old is not None and (old is content or old == content):
                os.link(previous.root / name, target)  # type: ignore[union-attr]
            else:
                target.write_bytes(content)
        generation = Generation(number, root, files)
        self._generations.append(generation)
        for retired in self._generations[:-2]:
            shutil.rmtree(retired.root, ignore_errors=True)
        self._generations = self._generations[-2:]
        return generation

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
