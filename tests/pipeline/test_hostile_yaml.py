"""Hostile YAML: aliases that expand without end, nesting deep enough to break a recursive parser,
files too large to read. Each must end in one error at its place, quickly, in bounded memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.sites import CONFIG, EXAM, make_site, problems

REPO = Path(__file__).resolve().parents[2]
HEAD = "id: sample\ntitle: Sample\ntime_limit: 10\n"
QUESTIONS = "questions: [{id: q1, type: long_text, prompt: Hi}]\n"


def alias_bomb(levels: int = 9) -> str:
    """Nine lists of nine aliases to the list before: 9**10 values from 13 lines."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return HEAD + "\n".join(lines) + "\n" + QUESTIONS


def run_check(site: Path, *args: str, cpu_seconds: int = 20) -> tuple[int, str, float, float]:
    """`examsite check` in a process of its own: (exit status, stderr, CPU seconds, peak resident MB).
    CPU seconds, not wall time: they measure the work, whatever else the machine runs meanwhile.

    The child is capped (1 GB of address space, `cpu_seconds` of CPU) so that a loader without
    bounds fails this test instead of taking the machine's memory."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

    with open(site / "stderr.txt", "w+") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "generator", "check", "--jobs", "1", "--no-cache", *args],
                                   cwd=site, stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=limits,
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        return process.returncode, stderr.read(), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def test_alias_bomb_stops_within_5_seconds_and_200_mb(tmp_path):
    site = make_site(tmp_path, {"sample": alias_bomb()}).parent
    code, stderr, seconds, peak_mb = run_check(site)
    assert code == 1, stderr
    assert "exams/sample.yaml:4:5: error: aliases (*name) repeat the value anchored here (&name)" in stderr
    assert "Traceback" not in stderr
    assert seconds < 5, f"{seconds:.1f} s of CPU"
    assert peak_mb < 200, f"{peak_mb:.0f} MB"


def test_an_alias_to_the_value_that_holds_it_is_an_error(tmp_path):
    reported = problems(make_site(tmp_path, {"sample": HEAD + "loop: &a [1, *a]\n" + QUESTIONS}))
    assert any("/exams/sample.yaml:4:7: error: this value holds an alias (*name) to itself" in p
               for p in reported), reported


def test_aliases_that_reuse_a_few_values_still_work(tmp_path):
    exam = HEAD + "questions:\n" + "".join(
        f"  - id: q{n}\n    type: single\n    prompt: Rate statement {n}.\n"
        f"    choices: {'&scale [{text: agree, correct: true}, disagree, unsure]' if n == 1 else '*scale'}\n"
        for n in range(1, 200))
    assert problems(make_site(tmp_path, {"sample": exam})) == []


def nested(style: str, depth: int) -> str:
    if style == "flow":
        return HEAD + "x: " + "[" * depth + "]" * depth + "\n" + QUESTIONS
    if style == "block":
        return HEAD + "x:\n" + "- " * depth + "x\n" + QUESTIONS
    if style == "block after U+2028":  # a line break to YAML, though not to str.splitlines' "\n"
        return HEAD + QUESTIONS + "x:\u2028" + "- " * depth + "x\n"
    return HEAD + "x:\n" + "".join("  " * level + "y:\n" for level in range(1, depth)) + "  " * depth + "z\n" + \
        QUESTIONS


@pytest.mark.parametrize("style,depth,line", [("flow", 329, 4), ("flow", 999, 4), ("flow", 100_000, 4),
                                              ("block", 329, 5), ("block", 200_000, 5), ("mapping", 400, 104),
                                              ("block after U+2028", 100_000, 6)])
def test_deep_nesting_is_one_error_not_a_traceback(tmp_path, style, depth, line):
    site = make_site(tmp_path, {"sample": nested(style, depth)}).parent
    code, stderr, _, _ = run_check(site)
    assert code == 1 and "Traceback" not in stderr, stderr[-2000:]
    errors = [line for line in stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "the YAML here is nested more than 100 levels deep" in errors[0], stderr[-2000:]
    assert errors[0].startswith(f"exams/sample.yaml:{line}:"), errors  # where the 101st level starts


def test_deep_nesting_in_the_configuration_and_in_front_matter(tmp_path):
    config = make_site(tmp_path, config=CONFIG + "site2: " + "[" * 500 + "]" * 500 + "\n")
    assert any("/exams.yaml:5:" in p and "nested more than 100 levels deep" in p for p in problems(config))
    front = "---\nid: q9\ntype: long_text\nx: " + "{a: " * 400 + "1" + "}" * 400 + "\n---\nBody\n"
    config = make_site(tmp_path / "front", {"sample": HEAD + "questions: [{file: q.md}]\n"},
                       files={"exams/q.md": front})
    assert any("/exams/q.md:4:" in p and "nested more than 100 levels deep" in p for p in problems(config))


def test_build_reports_deep_nesting_and_writes_nothing(tmp_path):
    site = make_site(tmp_path, {"sample": nested("flow", 500)}).parent
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--jobs", "1"], cwd=site, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "nested more than 100 levels deep" in result.stderr
    assert not (site / "output").exists() and not (site / "keys").exists()


def test_files_over_the_size_limit_are_errors(tmp_path):
    limited = CONFIG + "limits: {max_file_bytes: 2000}\n"
    long_exam = EXAM + "# " + "padding " * 300 + "\n"
    config = make_site(tmp_path, {"sample": long_exam}, config=limited)
    assert any("/exams/sample.yaml:1:1: error: the exam file" in p and "is larger than 2,000 bytes" in p
               and "limits: {max_file_bytes: ...} in exams.yaml" in p for p in problems(config))
    exam = EXAM.replace("title: Sample exam\n", "title: Sample exam\ninstructions: intro.md\n")
    exam = exam.replace("prompt: Pick four.", "prompt: 'Pick four. ![A chart](chart.png)'")
    config = make_site(tmp_path / "md", {"sample": exam}, config=limited,
                       files={"exams/intro.md": "Read. " * 500})
    assert any("/exams/sample.yaml:3:15: error: Markdown file 'intro.md' is larger than 2,000 bytes" in p
               for p in problems(config))
    config = make_site(tmp_path / "img", {"sample": exam}, config=limited,
                       files={"exams/intro.md": "Read.", "exams/chart.png": b"\x89PNG" + bytes(3000)})
    assert any("/exams/sample.yaml:8:35:" in p and "image 'chart.png' is larger than 2,000 bytes" in p
               for p in problems(config))


def test_the_default_limit_is_8_mib(tmp_path):
    config = make_site(tmp_path, {"sample": EXAM + "# " + "x" * (8 * 1024 * 1024) + "\n"})
    assert any("/exams/sample.yaml:1:1: error: the exam file" in p and "is larger than 8 MiB" in p
               for p in problems(config))
    assert problems(make_site(tmp_path / "ok", {"sample": EXAM + "# " + "x" * (7 * 1024 * 1024) + "\n"})) == []


@pytest.mark.parametrize("limits,message", [
    ("{max_file_bytes: 0}", "'max_file_bytes' must be at least 1, not 0"),
    ("{max_file_bytes: big}", "'max_file_bytes' must be a whole number, not text"),
    ("{max_files: 3}", "unknown key 'max_files' in 'limits'; did you mean 'max_file_bytes'?"),
    ("8MiB", "'limits' must be a mapping of keys and values, not text"),
])
def test_limits_are_checked(tmp_path, limits, message):
    reported = problems(make_site(tmp_path, config=CONFIG + f"limits: {limits}\n"), environ={})
    assert any("/exams.yaml:5:" in p and message in p for p in reported), reported
