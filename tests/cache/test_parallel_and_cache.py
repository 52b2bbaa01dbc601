"""Parallel and incremental builds: the same bytes and the same problems as a one-process, clean build.

Functional tests only; the benchmark (bench/compare.py) prints the timings.
"""

from __future__ import annotations

import io
import os
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build.run import RunOptions, build, check
from generator.build.cache import cache_dir
from generator.cli import main
from generator.diagnostics import InvalidInput
from generator.progress import ProgressLine, wanted
from tests.kit.corpus import CHANGES, CONFIG, change_exam_yaml, change_markdown, change_template, fresh_copy, settled
from tests.kit.sites import dedent, read_tree


def built(config: Path, name: str, **run) -> tuple[dict[str, bytes], dict[str, bytes], object]:
    out, keys = config.parent.parent / f"out-{name}", config.parent.parent / f"keys-{name}"
    summary = build(config, None, out, keys, run=RunOptions(**run))
    return read_tree(out), read_tree(keys), summary


def test_two_jobs_build_the_same_bytes_as_one(corpus_site, tmp_path):
    config = fresh_copy(corpus_site, tmp_path)
    one = built(config, "one", jobs=1)
    two = built(config, "two", jobs=2)
    assert one[0] == two[0] and one[1] == two[1]
    assert len([name for name in one[0] if name.endswith("index.html")]) == 6
    assert one[2].questions == two[2].questions == 6 * 6


def _problem_site(tmp_path: Path) -> Path:
    """Warnings in several exams (a repeated choice, a skipped heading level, an unused pool)."""
    config = tmp_path / "site" / "exams.yaml"
    (config.parent / "exams").mkdir(parents=True)
    config.write_text(CONFIG)
    for index in range(6):
        (config.parent / "exams" / f"e{index}.yaml").write_text(dedent(f"""
            id: e{index}
            title: Exam {index}
            instructions: |
              # Title

              ### Skipped a level
            time_limit: 10
            pools:
              unused{index}:
                - {{id: p1, type: true_false, prompt: Unused?, answer: true}}
            questions:
              - id: q1
                type: single
                prompt: Pick *one* of {index}.
                choices: [{{text: same}}, {{text: same, correct: true}}]
            """))
    settled(config.parent)
    return config


def test_diagnostics_do_not_depend_on_the_number_of_jobs(tmp_path):
    config = _problem_site(tmp_path)
    one = check(config, None, run=RunOptions(jobs=1))
    two = check(config, None, run=RunOptions(jobs=2))
    assert one.diagnostics == two.diagnostics
    assert len({d.position.path for d in one.diagnostics}) == 6 and one.warnings >= 18
    # Errors too: one exam breaks; the others' rendering problems are not reported, as before.
    (config.parent / "exams" / "e3.yaml").write_text("id: e3\ntitle: [unclosed\n")
    (config.parent / "exams" / "e4.yaml").write_text(
        (config.parent / "exams" / "e4.yaml").read_text().replace("time_limit: 10", "time_limit: 300"))
    errors = []
    for jobs in (1, 2, 3):
        with pytest.raises(InvalidInput) as raised:
            check(config, None, run=RunOptions(jobs=jobs))
        errors.append(raised.value.diagnostics)
    assert errors[0] == errors[1] == errors[2]
    assert sum(d.severity.value == "error" for d in errors[0]) == 2


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_a_cached_build_after_any_change_equals_a_clean_build(corpus_site, tmp_path, monkeypatch, change):
    monkeypatch.delenv("SITE_TITLE", raising=False)
    config = fresh_copy(corpus_site, tmp_path)
    apply, reused = CHANGES[change]
    if change == "changed site template":
        change_template(config.parent)
    warm = built(config, "warm", jobs=2, cache=True)
    again = built(config, "again", jobs=2, cache=True)
    assert again[2].reused == 6 and again[:2] == warm[:2]
    apply(config.parent)
    cached = built(config, "cached", jobs=2, cache=True)
    clean = built(config, "clean", jobs=1, cache=False)
    assert cached[0] == clean[0] and cached[1] == clean[1]
    assert cached[0] != warm[0]  # the change shows
    assert cached[2].reused == reused  # only what the change affects was rendered again


def test_the_message_catalogues_of_cached_exams_are_published(corpus_site, tmp_path):
    """A language's catalogue (assets/messages.<lang>.<hash>.js) is published for its exams' pages
    whether they were rendered by this build or taken from the cache."""
    config = fresh_copy(corpus_site, tmp_path)
    for index, lang in ((0, "fr"), (1, "fr"), (2, "ar")):
        path = config.parent / "exams" / f"exam-{index:05d}.yaml"
        path.write_text(path.read_text().replace("languages: [en]", f"lang: {lang}\nlanguages: [en]", 1))
    settled(config.parent)
    warm = built(config, "warm", jobs=2, cache=True)
    catalogues = sorted(name for name in warm[0] if name.startswith("assets/messages."))
    assert [name.split(".")[1] for name in catalogues] == ["ar", "en", "fr"]
    change_exam_yaml(config.parent)  # an English exam: the French and Arabic pages come from the cache
    cached = built(config, "cached", jobs=2, cache=True)
    assert cached[2].reused == 5
    clean = built(config, "clean", jobs=1, cache=False)
    assert cached[0] == clean[0] and cached[1] == clean[1]
    assert sorted(name for name in cached[0] if name.startswith("assets/messages.")) == catalogues


def test_warnings_are_reported_by_a_cached_build(tmp_path):
    config = _problem_site(tmp_path)
    first = build(config, None, tmp_path / "o1", tmp_path / "k1", run=RunOptions(jobs=2, cache=True))
    second = build(config, None, tmp_path / "o2", tmp_path / "k2", run=RunOptions(jobs=2, cache=True))
    assert second.reused == 6 and second.diagnostics == first.diagnostics and first.warnings >= 18


def _entries(config: Path) -> list[Path]:
    """The cache's per-exam entries (not its pruning marker)."""
    return sorted(p for p in cache_dir(config).rglob("*") if p.is_file() and not p.name.startswith("."))


def test_corrupt_cache_entries_are_ignored(corpus_site, tmp_path):
    config = fresh_copy(corpus_site, tmp_path)
    clean = built(config, "clean", cache=False)
    built(config, "warm", cache=True)
    entries = _entries(config)
    assert len(entries) == 6
    entries[0].write_bytes(b"")  # empty
    entries[1].write_bytes(entries[1].read_bytes()[:-100])  # truncated
    data = bytearray(entries[2].read_bytes())
    data[-50] ^= 0xFF  # one flipped byte in a page
    entries[2].write_bytes(bytes(data))
    entries[3].write_bytes(b"\x80\x04garbage that is not an entry")
    after = built(config, "after", jobs=2, cache=True)
    assert after[:2] == clean[:2] and after[2].reused == 2


def test_no_cache_neither_reads_nor_writes_the_cache(corpus_site, tmp_path):
    config = fresh_copy(corpus_site, tmp_path)
    clean = built(config, "clean", cache=False)
    assert not cache_dir(config).exists()
    built(config, "warm", cache=True)
    # A well-formed entry whose page says something else: the cache is trusted when it matches...
    from generator.build import cache as cache_module

    entry = _entries(config)[0]
    data = entry.read_bytes()
    payload = data[len(cache_module.FORMAT) + 4:].replace(b"Question", b"Qvestion")
    entry.write_bytes(cache_module.FORMAT + zlib.crc32(payload).to_bytes(4, "big") + payload)
    assert built(config, "poisoned", cache=True)[0] != clean[0]
    # ... and --no-cache does not look at it.
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "cli-out"),
                                       "--keys-dir", str(tmp_path / "cli-keys"), "--no-cache", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert read_tree(tmp_path / "cli-out") == clean[0]
    assert entry.read_bytes().startswith(cache_module.FORMAT)


def test_cli_jobs_quiet_and_cache(corpus_site, tmp_path):
    config = fresh_copy(corpus_site, tmp_path)
    args = ["build", "--config", str(config), "--out", str(tmp_path / "out"), "--keys-dir", str(tmp_path / "keys")]
    runner = CliRunner()
    first = runner.invoke(main, args + ["-j", "2"])
    assert first.exit_code == 0 and first.stdout.startswith("built 6 exam(s)"), first.output
    assert "from the cache" not in first.stdout and len(_entries(config)) == 6
    second = runner.invoke(main, args + ["--quiet"])
    assert second.exit_code == 0 and second.stdout == "" and second.stderr == ""
    third = runner.invoke(main, args)
    assert "(6 unchanged, from the cache)" in third.stdout
    checked = runner.invoke(main, ["check", "--config", str(config), "--jobs", "2", "--json"])
    assert checked.exit_code == 0 and '"reused": 6' in checked.stdout
    assert runner.invoke(main, args + ["--jobs", "0"]).exit_code == 2


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal_outside_ci_and_erases_itself():
    terminal = FakeTerminal()
    assert wanted(terminal, quiet=False, environ={})
    assert not wanted(terminal, quiet=True, environ={})
    assert not wanted(terminal, quiet=False, environ={"CI": "true"})
    assert not wanted(io.StringIO(), quiet=False, environ={})
    now = [0.0]
    line = ProgressLine(terminal, "building", clock=lambda: now[0])
    line.update(1, 10)  # a quick start prints nothing
    assert terminal.getvalue() == ""
    now[0] = 1.0
    line.update(4, 10)
    assert terminal.getvalue() == "\rbuilding: 4/10 exams (40%)"
    line.close()
    assert terminal.getvalue().endswith("\r")
    assert terminal.getvalue().split("\r")[-2].strip() == ""


def test_small_sites_build_in_one_process_unless_jobs_are_asked_for(corpus_site):
    from generator.build import parallel
    from generator.build.cache import Lookup

    lookups = [Lookup(path, None) for path in sorted((corpus_site / "exams").glob("*.yaml"))]
    assert parallel.workers_for(lookups, None) == 1  # a few KB of exams: starting workers costs more
    assert parallel.workers_for(lookups * 40, None) == min(parallel.default_jobs(), len(lookups) * 40)
    assert parallel.workers_for(lookups, 2) == 2  # --jobs 2 asked for
    assert parallel.workers_for(lookups, 1) == 1


def test_a_process_running_other_threads_starts_workers_from_a_clean_server(corpus_site, tmp_path):
    """The dev server re-renders every exam in worker processes from its build thread: forked from
    a process with threads, a worker could inherit a lock held by another thread and hang."""
    import threading

    from generator.build.parallel import pool_context

    config = fresh_copy(corpus_site, tmp_path)
    one = built(config, "one", jobs=1)
    if threading.active_count() == 1:
        assert pool_context().get_start_method() == "fork"
    done, results = threading.Event(), {}
    other = threading.Thread(target=done.wait)  # as the dev server's event loop and watcher
    other.start()
    try:
        assert pool_context().get_start_method() == "forkserver"
        results["two"] = built(config, "two", jobs=2)
    finally:
        done.set()
        other.join()
    assert results["two"][0] == one[0] and results["two"][1] == one[1]


def test_chunks_cover_every_exam_in_order():
    from generator.build.parallel import MAX_CHUNK, chunked

    for count in (1, 5, 40, 250, 1000):
        chunks = chunked(list(range(count)), 2)
        assert [item for chunk in chunks for item in chunk] == list(range(count))
        assert max(len(chunk) for chunk in chunks) <= MAX_CHUNK


def test_files_written_during_a_build_are_not_cached(corpus_site, tmp_path):
    config = fresh_copy(corpus_site, tmp_path)
    change_markdown(config.parent)  # just now: as if saved while the build read it
    first = built(config, "first", cache=True)
    assert len(_entries(config)) == 5  # every exam but the one whose instructions were just written
    second = built(config, "second", cache=True)
    assert second[2].reused == 5 and second[:2] == first[:2]


def test_unused_old_entries_are_pruned(corpus_site, tmp_path):
    config = fresh_copy(corpus_site, tmp_path)
    built(config, "first", cache=True)
    stale = cache_dir(config) / "ab" / ("c" * 62)
    stale.parent.mkdir(exist_ok=True)
    stale.write_bytes(b"an entry no build uses any more")
    os.utime(stale, (0, 0))
    (cache_dir(config) / ".pruned").unlink()
    built(config, "second", cache=True)
    assert not stale.exists() and len(_entries(config)) == 6


def busy_site(root: Path, exams: int, questions: int) -> Path:
    """A site whose exams hold some work (highlighted code), so that a chunk takes long enough
    for an interrupt or a kill to arrive while workers run, even on a busy machine."""
    config = root / "site" / "exams.yaml"
    (config.parent / "exams").mkdir(parents=True)
    config.write_text(CONFIG)
    text = "".join(f"  - id: q{n}\n    type: true_false\n    answer: true\n    prompt: |\n      Is it *true*?\n\n"
                   f"      ```python\n      def f{n}(x):\n          return [x * i for i in range({n})]\n      ```\n"
                   for n in range(questions))
    for index in range(exams):
        (config.parent / "exams" / f"e{index:02d}.yaml").write_text(
            f"id: e{index:02d}\ntitle: Exam {index}\ntime_limit: 10\nquestions:\n{text}")
    return config


def test_a_build_stopped_while_workers_run_does_not_wait_for_the_chunks_not_started(tmp_path):
    config = busy_site(tmp_path, exams=40, questions=15)
    settled(config.parent)

    def ctrl_c(finished: int, total: int) -> None:
        if finished:  # the first chunk is back: 8 chunks of 5 exams, 2 of them running
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(config, None, tmp_path / "out", tmp_path / "keys", run=RunOptions(jobs=2, cache=True, progress=ctrl_c))
    finished = len(list(cache_dir(config).glob("??/*")))  # each chunk keeps its exams' results as it goes
    assert 5 <= finished < 40
    assert not (tmp_path / "out").exists()


def test_workers_end_with_a_build_that_is_killed(tmp_path):
    """kill -9 of a build leaves no worker rendering on (issue 16): they die with their parent."""
    import signal
    import subprocess
    import sys

    config = busy_site(tmp_path, exams=80, questions=40)
    build = subprocess.Popen([sys.executable, "-m", "generator", "build", "--config", str(config), "--out",
                              str(tmp_path / "out"), "--keys-dir", str(tmp_path / "keys"), "--jobs", "2",
                              "--no-cache", "--quiet"])

    def children() -> set[int]:
        found = set()
        for task in Path(f"/proc/{build.pid}/task").glob("*"):
            try:
                found |= {int(pid) for pid in (task / "children").read_text().split()}
            except OSError:
                pass
        return found

    deadline = time.monotonic() + 20
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and build.poll() is None:
        workers = children()
        time.sleep(0.05)
    assert len(workers) >= 2, "the build never started its workers"
    build.send_signal(signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and
                                              "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
                                              for pid in workers):
        time.sleep(0.05)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"]
    assert alive == []
    assert not (tmp_path / "out").exists()
