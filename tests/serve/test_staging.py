"""Generation folders: complete, sharing unchanged exam folders, cleaned up behind."""

from __future__ import annotations

import os
from pathlib import Path

from generator.staging import Staging


def tree(root: Path) -> dict[str, bytes]:
    """The folder as a static server sees it (following the exam folders' links)."""
    found = {}
    for folder, _, names in os.walk(root, followlinks=True):
        for name in names:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = path.read_bytes()
    return found


def test_generations_share_unchanged_exams_and_are_collected():
    staging = Staging()
    try:
        files = {"a/index.html": b"A1", "a/part-2/index.html": b"A2", "b/index.html": b"B1",
                 "assets/exam.1.js": b"js", "manifest.json": b"{}"}
        first = staging.write(files)
        assert tree(first.root) == files
        second = staging.write({**files, "b/index.html": b"B2", "manifest.json": b"{2}"})
        assert tree(second.root) == {**files, "b/index.html": b"B2", "manifest.json": b"{2}"}
        assert second.folders["a"] == first.folders["a"] and second.folders["b"] != first.folders["b"]
        assert tree(first.root) == files  # the generation being served is untouched by the next one
        third = staging.write({"a/index.html": b"A3", "assets/exam.1.js": b"js", "manifest.json": b"{3}"})
        staging.collect()
        assert not first.root.exists() and not first.folders["b"].exists()
        assert second.root.exists() and second.folders["a"].exists()  # still in use by the previous one
        assert tree(third.root) == {"a/index.html": b"A3", "assets/exam.1.js": b"js", "manifest.json": b"{3}"}
    finally:
        staging.remove()
    assert not staging.root.exists()
