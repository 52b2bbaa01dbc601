"""Rebuilds into the same output folder (the spare tree, publish.py) and from the build index
(buildindex.py): after any change, the same bytes as a clean build into a fresh folder."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from generator.build import RunOptions, build, check
from generator.cache import cache_dir
from generator.diagnostics import InvalidInput
from generator.publish import home_of
from sitekit import read_tree
from perfkit import CHANGES, fresh_copy, settled


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

    @property
    def spare(self) -> Path:
        return home_of(self.out.resolve()) / "spare"


@pytest.fixture
def site(corpus_site, tmp_path, monkeypatch) -> Site:
    """Built once. Files are trusted as soon as they are written (no slack for the clock's tick):
    `settled` dates files back, but sets their ctime to now, which would keep them from the index
    for two seconds."""
    import generator.filesig

    monkeypatch.setattr(generator.filesig, "SLACK_NS", 0)
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
    # Again: the spare is now two builds behind, and the changed files are fresh (not yet trusted).
    site.build()
    assert site.matches_a_clean_build()
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
    page = site.out / "exam-00001" / "index.html"
    untouched = site.out / "exam-00003" / "index.html"
    assert (site.spare / "exam-00003" / "index.html").stat().st_ino == untouched.stat().st_ino  # shared
    assert (site.spare / "exam-00001" / "index.html").read_bytes() != page.read_bytes()  # the previous version


def test_a_first_build_leaves_no_spare_and_the_next_links_one(site):
    assert not site.spare.exists()  # the fixture built once: a pipeline that builds once writes no spare
    site.build()
    assert site.matches_a_clean_build()
    page = "exam-00003/index.html"
    assert (site.spare / page).stat().st_ino == (site.out / page).stat().st_ino  # linked, not written


def test_what_is_changed_in_the_output_or_the_spare_by_hand_is_put_right(site, monkeypatch):
    import generator.filesig

    # The real slack: an edit made in the same tick of the clock as the build's own write leaves
    # the file's times as they were; only a file older than the slack is known by its signature.
    monkeypatch.setattr(generator.filesig, "SLACK_NS", 2_000_000_000)
    site.build()  # the spare is now the tree the first build published
    time.sleep(2.1)
    site.build()  # every record now trusted
    page = site.out / "exam-00004" / "index.html"
    text = page.read_bytes()
    # In place, same size, times set back (as cp -p would): only ctime and the record tell.
    stat = page.stat()
    with open(page, "r+b") as stream:
        stream.write(b"X")
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (site.out / "stray.html").write_text("not ours")
    (site.out / "exam-00005" / "index.html").unlink()
    spare_page = site.spare / "exam-00000" / "index.html"
    spare_page.unlink()
    spare_page.write_bytes(b"a spare page changed by hand")
    (site.spare / "stray-folder").mkdir()
    (site.spare / "stray-folder" / "x").write_text("x")
    # Inside folders whose listings were recorded: their signatures tell.
    (site.out / "exam-00003" / "stray.txt").write_text("not ours")
    (site.spare / "exam-00002" / "notes.txt").write_text("not ours")
    os.rename(site.spare / "exam-00001" / "index.html", site.spare / "exam-00001" / "renamed.html")
    for _ in range(3):  # the damaged tree is the spare in one build and live in the next
        site.build()
        assert site.matches_a_clean_build()
    assert (site.out / "exam-00004" / "index.html").read_bytes() == text


def test_lost_or_damaged_records_cost_time_not_correctness(site):
    home = home_of(site.out.resolve())
    (home / "records.json").write_text("{not json")
    site.build()
    assert site.matches_a_clean_build()
    records = json.loads((home / "records.json").read_text())
    records["spare"] = records["live"]  # the wrong tree's records
    records["spare_folders"] = records["live_folders"]
    (home / "records.json").write_text(json.dumps(records))
    site.build()
    assert site.matches_a_clean_build()
    # A folder's record that lists what is not there, or names what is outside the folder.
    records = json.loads((home / "records.json").read_text())
    outside = site.root / "outside"
    outside.mkdir()
    (outside / "kept.txt").write_text("not the build's to delete")
    for name, record in records["spare_folders"].items():
        record[3:] = [1, "gone.html", "../../outside/gone"] if len(name) % 2 else [1, "", ".."]
    (home / "records.json").write_text(json.dumps(records))
    site.build()
    assert site.matches_a_clean_build()
    assert (outside / "kept.txt").read_text() == "not the build's to delete"
    records = json.loads((home / "records.json").read_text())
    for record in records["spare_folders"].values():
        record[4:] = ["gone.html", "gone"]  # sound, but false
    (home / "records.json").write_text(json.dumps(records))
    site.build()
    assert site.matches_a_clean_build()
    shutil.rmtree(home)
    site.build()
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


def test_a_build_stopped_between_the_renames_is_recovered(site):
    home = home_of(site.out.resolve())
    before = read_tree(site.out)
    os.rename(site.out, home / "retired")  # as if stopped right after the first rename
    site.build()
    assert read_tree(site.out) == before and site.matches_a_clean_build()


def test_the_spare_is_ignored_by_git_and_beside_the_output(site):
    from generator.output import UnsafeOutput

    home = home_of(site.out.resolve())
    assert home.parent == site.out.resolve().parent and home.name == ".out.examsite"
    assert (home / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not any(name.startswith(".") for name in os.listdir(site.out))
    with pytest.raises(UnsafeOutput, match="answer keys would be published"):  # the spare is published next
        build(site.config, None, site.out, home / "spare" / "keys", run=RunOptions(cache=True))


def test_the_index_spares_reading_unchanged_exams_and_is_checked(site):
    summary = site.build()
    assert summary.reused == 6
    index = next((cache_dir(site.config) / "index").iterdir())
    # Touched, not changed: the exam is read again, found the same, and reused.
    exam = site.config.parent / "exams" / "exam-00002.yaml"
    past = time.time() - 30
    os.utime(exam, (past, past))
    assert site.build().reused == 6
    # A damaged index is a miss for every exam, never an error.
    index.write_bytes(b"{")
    assert site.build().reused == 6  # from the cache entries
    assert site.matches_a_clean_build()
    # The index alone: with the cache entries gone, every exam is still reused.
    site.build()
    entries = [path for path in cache_dir(site.config).glob("??/*")]
    for entry in entries:
        entry.unlink()
    assert site.build().reused == 6
    assert site.matches_a_clean_build()
    # Facts whose page the folders no longer hold are fetched from the cache entry, or rendered.
    shutil.rmtree(site.out)
    shutil.rmtree(site.spare)
    site.build()
    assert site.matches_a_clean_build()


def test_an_exam_saved_during_a_build_is_not_indexed(site, monkeypatch):
    import generator.filesig

    monkeypatch.setattr(generator.filesig, "SLACK_NS", 2_000_000_000)  # the real slack
    exam = site.config.parent / "exams" / "exam-00001.yaml"
    exam.write_text(exam.read_text().replace("time_limit: 60", "time_limit: 50"))  # just now
    assert site.build().reused == 5
    assert site.build().reused == 5  # neither cached nor indexed while it is this new
    settled(site.config.parent)
    assert site.build().reused == 5  # now it is: made once more, and kept
    assert site.build().reused == 6
    assert site.matches_a_clean_build()



def test_the_index_journal_is_appended_then_folded(site):
    folder = cache_dir(site.config) / "index"
    exam = site.config.parent / "exams" / "exam-00001.yaml"

    def edit(round_: int) -> None:
        exam.write_text(exam.read_text().replace("title: \"", f"title: \"(rev {round_}) ", 1))
        settled(site.config.parent)

    site.build()
    edit(0)
    site.build()
    journals = list(folder.glob("*.journal"))
    assert len(journals) == 1 and len(journals[0].read_bytes().splitlines()) >= 1
    # A line cut short (a build stopped while appending) ends the journal; the index is folded.
    journals[0].write_bytes(journals[0].read_bytes()[:-20])
    edit(1)
    assert site.build().reused == 5
    assert site.matches_a_clean_build()
    assert not journals[0].exists()
    assert site.build().reused == 6
    assert site.matches_a_clean_build()


@pytest.fixture
def conversions(monkeypatch) -> list[str]:
    """The Markdown texts converted by cmark (by this process: one exam is rendered in it)."""
    from generator import cmark

    converted: list[str] = []
    real = cmark.to_html

    def convert(text: str) -> str:
        converted.append(text)
        return real(text)

    monkeypatch.setattr(cmark, "to_html", convert)
    return converted


def test_a_changed_exam_renders_only_its_changed_texts(site, conversions):
    site.build()
    exam = site.config.parent / "exams" / "exam-00001.yaml"
    exam.write_text(exam.read_text().replace("title: \"", "title: \"(renamed) ", 1))
    settled(site.config.parent)
    assert site.build().reused == 5
    assert conversions == []  # every text as it was: its HTML from the exam's last cache entry
    assert site.matches_a_clean_build()
    conversions.clear()
    instructions = site.config.parent / "exams" / "exam-00001.md"
    instructions.write_text(instructions.read_text() + "\nBring a **pencil**.\n")
    settled(site.config.parent)
    site.build()
    assert len(conversions) == 1 and "pencil" in conversions[0]
    assert site.matches_a_clean_build()


def test_texts_with_problems_are_rendered_again_and_report_them(tmp_path, monkeypatch, conversions):
    import generator.filesig

    monkeypatch.setattr(generator.filesig, "SLACK_NS", 0)
    config = tmp_path / "site" / "exams.yaml"
    (config.parent / "exams").mkdir(parents=True)
    config.write_text("site: {title: T, base_url: https://exams.example.edu/}\n"
                      "proview: {sdk: v8, environment: dev, dsn: d, languages: [en]}\n"
                      "submission: {url: https://api.example.edu/submissions}\nexams: [exams/*.yaml]\n")
    exam = config.parent / "exams" / "e.yaml"
    exam.write_text("id: e\ntitle: E\ninstructions: |\n  # Title\n\n  ### Skipped a level\ntime_limit: 10\n"
                    "questions:\n  - {id: q1, type: true_false, prompt: 'Is it *true*?', answer: true}\n")
    settled(config.parent)
    first = build(config, None, tmp_path / "out", tmp_path / "keys", run=RunOptions(cache=True))
    exam.write_text(exam.read_text().replace("title: E", "title: F"))
    settled(config.parent)
    conversions.clear()
    second = build(config, None, tmp_path / "out", tmp_path / "keys", run=RunOptions(cache=True))
    assert [d.message for d in second.diagnostics] == [d.message for d in first.diagnostics]
    assert len(first.diagnostics) == 1 and "heading" in first.diagnostics[0].message
    assert conversions == ["# Title\n\n### Skipped a level"]  # the prompt's HTML was kept; not the warned text


def test_an_exam_built_right_after_each_save_keeps_its_texts_html(site, monkeypatch, conversions):
    """Save, build, save again, build: the second version is not indexed (too new to trust), yet
    the third still takes its unchanged texts from the last version that was; so does an exam
    that was broken in between."""
    import generator.filesig

    site.build()
    monkeypatch.setattr(generator.filesig, "SLACK_NS", 2_000_000_000)  # the real slack
    exam = site.config.parent / "exams" / "exam-00001.yaml"
    original = exam.read_text()
    for edit in ("(rev 1) ", "(rev 2) "):
        exam.write_text(original.replace("title: \"", f"title: \"{edit}", 1))  # just now
        assert site.build(jobs=1).reused == 5
        assert conversions == []
    exam.write_text(original.replace("time_limit: 60", "time_limit: -5"))
    with pytest.raises(InvalidInput):
        site.build(jobs=1)
    exam.write_text(original.replace("title: \"", "title: \"(fixed) ", 1))
    assert site.build(jobs=1).reused == 5
    assert conversions == []
    # The kept entry stands only for the bytes it was made from: back to them, it is reused.
    exam.write_text(original)
    assert site.build(jobs=1).reused == 6
    settled(site.config.parent)
    assert site.matches_a_clean_build()


def test_check_renders_only_the_changed_texts_and_writes_nothing(site, conversions):
    exam = site.config.parent / "exams" / "exam-00001.yaml"
    exam.write_text(exam.read_text().replace("title: \"", "title: \"(checked) ", 1))
    settled(site.config.parent)
    cache = read_tree(cache_dir(site.config))
    summary = check(site.config, None, run=RunOptions(cache=True, jobs=1))
    assert summary.reused == 5
    assert conversions == []  # the exam's texts as they were: their HTML from its last cache entry
    assert read_tree(cache_dir(site.config)) == cache
