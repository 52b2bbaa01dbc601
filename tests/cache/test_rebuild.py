"""Rebuilds into the same output folder: always equal to a clean build, the keys published with
their pages, and nothing a killed build left behind kept."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from generator.build.run import RunOptions, build
from generator.diagnostics import InvalidInput
from tests.kit.corpus import CHANGES, fresh_copy, settled
from tests.kit.sites import read_tree


def _clean(config: Path, root: Path) -> tuple[dict, dict]:
    out, keys = root / "clean-out", root / "clean-keys"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(keys, ignore_errors=True)
    build(config, None, out, keys, run=RunOptions(jobs=1, cache=False))
    return read_tree(out), read_tree(keys)


class Site:
    """A site built again and again into one output folder, with the cache."""

    def __init__(self, config: Path, root: Path) -> None:
        self.config, self.root = config, root
        self.out, self.keys = root / "out", root / "keys"

    def build(self, **run):
        return build(self.config, None, self.out, self.keys, run=RunOptions(cache=True, **run))

    def matches_a_clean_build(self) -> bool:
        """The same output; the same keys, less those of deleted exams (a build never deletes a key)."""
        out, keys = _clean(self.config, self.root / "clean")
        ours = read_tree(self.keys)
        return read_tree(self.out) == out and {name: ours.get(name) for name in keys} == keys


@pytest.fixture
def site(corpus_site, tmp_path, monkeypatch) -> Site:
    for name in ("SITE_TITLE", "SOURCE_DATE_EPOCH"):  # changed by some tests: put back afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    site = Site(fresh_copy(corpus_site, tmp_path), tmp_path)
    site.build(jobs=2)
    return site


def _delete_exam(root: Path) -> None:
    (root / "exams" / "exam-00002.yaml").unlink()


def _source_date(root: Path) -> None:
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"


REBUILD_CHANGES = {**{name: apply for name, (apply, _) in CHANGES.items()},
                   "deleted exam": _delete_exam, "SOURCE_DATE_EPOCH": _source_date}


@pytest.mark.parametrize("change", list(REBUILD_CHANGES), ids=list(REBUILD_CHANGES))
def test_a_rebuild_into_the_same_folder_equals_a_clean_build(site, change):
    before = read_tree(site.out)
    REBUILD_CHANGES[change](site.config.parent)
    site.build()
    assert read_tree(site.out) != before
    assert site.matches_a_clean_build()
    # Again, once the changed files are old enough for the cache to keep them.
    settled(site.config.parent)
    site.build()
    assert site.matches_a_clean_build()


def test_edits_one_after_another_write_only_what_changed(site):
    exam = site.config.parent / "exams" / "exam-00001.yaml"
    for round_ in range(4):
        text = exam.read_text()
        exam.write_text(text.replace("title: \"", f"title: \"(rev {round_}) ", 1))
        settled(site.config.parent)
        summary = site.build()
        assert summary.reused == 5
        assert site.matches_a_clean_build()


def test_a_failed_build_leaves_the_output_untouched(site):
    site.build()
    before, keys = read_tree(site.out), read_tree(site.keys)
    exam = site.config.parent / "exams" / "exam-00003.yaml"
    exam.write_text(exam.read_text().replace("time_limit: 60", "time_limit: 300"))
    with pytest.raises(InvalidInput):
        site.build()
    assert read_tree(site.out) == before and read_tree(site.keys) == keys
    exam.write_text(exam.read_text().replace("time_limit: 300", "time_limit: 45"))
    site.build()
    assert site.matches_a_clean_build()


def test_the_keys_name_the_build_they_belong_to_and_stay_private(site):
    manifest = (site.out / "manifest.json").read_bytes()
    assert (site.keys / "BUILD").read_text() == hashlib.sha256(manifest).hexdigest() + "\n"
    assert stat.S_IMODE(site.keys.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in site.keys.iterdir())
    _delete_exam(site.config.parent)
    site.build()
    assert (site.keys / "exam-00002.json").is_file()  # submissions to a deleted exam can still be graded
    assert (site.keys / "BUILD").read_text() == hashlib.sha256((site.out / "manifest.json").read_bytes()).hexdigest() + "\n"


def test_a_killed_builds_temporary_folders_are_removed_by_the_next(site):
    stale = [site.root / ".out.new-killed", site.root / ".keys.new-killed", site.root / ".out.old-killed"]
    fresh = site.root / ".out.new-running"  # perhaps another build's, still running
    for folder in (*stale, fresh):
        (folder / "exam").mkdir(parents=True)
    an_hour_and_more = time.time() - 3700
    for folder in stale:
        os.utime(folder, (an_hour_and_more, an_hour_and_more))
    site.build()
    assert not any(folder.exists() for folder in stale)
    assert fresh.exists()
