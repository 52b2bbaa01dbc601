"""The dev server's temporary output: one complete folder per published build.

A build is served only once its folder is complete, and the server switches folders in one
assignment, so no request ever sees a half-written site. To keep a one-exam edit cheap on a
large site, a generation folder holds the top-level files and a symbolic link per exam folder:
an exam folder is written once per version of its pages and shared by the generations that did
not change it; `assets/` (content-hashed names, so adding never changes a served file) is shared
by all. Never `output/`: everything lives in the system's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

SHARED = "assets"


@dataclass(frozen=True)
class Generation:
    number: int
    root: Path
    files: Mapping[str, bytes]
    groups: Mapping[str, Mapping[str, bytes]]  # top-level folder -> {path inside: content}
    folders: Mapping[str, Path]  # top-level folder -> the version folder its link points to


def _groups(files: Mapping[str, bytes]) -> tuple[dict[str, dict[str, bytes]], dict[str, bytes]]:
    """(top-level folder -> {path inside: content}, top-level files)."""
    folders: dict[str, dict[str, bytes]] = {}
    top: dict[str, bytes] = {}
    for name, content in files.items():
        head, slash, rest = name.partition("/")
        if slash:
            folders.setdefault(head, {})[rest] = content
        else:
            top[name] = content
    return folders, top


def _same(group: Mapping[str, bytes], old: Mapping[str, bytes]) -> bool:
    return group.keys() == old.keys() and all(content is old[name] or content == old[name]
                                              for name, content in group.items())


def _write(root: Path, files: Mapping[str, bytes]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


class Staging:
    """Owns the temporary folder. Keeps the current generation and the one before (a request
    may still be reading it) and deletes what neither uses, outside the publishing path."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="examsite-serve-"))
        (self.root / "versions").mkdir()
        (self.root / SHARED).mkdir()
        self._generations: list[Generation] = []
        self._versions = 0

    def write(self, files: Mapping[str, bytes]) -> Generation:
        """Write a complete new generation; the caller publishes it (serves from it)."""
        previous = self._generations[-1] if self._generations else None
        number = previous.number + 1 if previous else 1
        root = self.root / f"site-{number:04d}"
        root.mkdir()
        groups, top = _groups(files)
        folders: dict[str, Path] = {}
        for head, group in groups.items():
            old = previous.groups.get(head, {}) if previous else {}
            if head == SHARED:
                folders[head] = self.root / SHARED
                _write(folders[head], {n: c for n, c in group.items() if not (n in old and _same({n: c}, {n: old[n]}))})
            elif previous and head in previous.folders and _same(group, old):
                folders[head] = previous.folders[head]
            else:
                self._versions += 1
                folders[head] = self.root / "versions" / f"{head}.{self._versions}"
                _write(folders[head], group)
            os.symlink(folders[head], root / head, target_is_directory=True)
        _write(root, top)
        generation = Generation(number, root, files, groups, folders)
        self._generations = (self._generations + [generation])[-3:]
        return generation

    def collect(self) -> None:
        """Delete generations older than the last two, and versions neither of them uses."""
        if len(self._generations) < 3:
            return
        retired, self._generations = self._generations[0], self._generations[1:]
        shutil.rmtree(retired.root, ignore_errors=True)
        used = {path for generation in self._generations for path in generation.folders.values()}
        for path in set(retired.folders.values()) - used:
            if path.parent == self.root / "versions":
                shutil.rmtree(path, ignore_errors=True)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

