"""The command line: exit statuses, the diagnostics format, --json, --strict, check and new."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from generator.cli import main
from tests.kit.sites import EXAM, make_site


def run(*args, cwd):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def test_build_prints_a_summary_and_exits_0(tmp_path):
    make_site(tmp_path)
    result = run("build", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("built 1 exam(s), 1 part(s), 1 question(s), 1 page(s) in ")
    assert (tmp_path / "output" / "sample" / "index.html").is_file()
    assert (tmp_path / "keys" / "sample.json").is_file()


def test_invalid_input_prints_every_problem_and_exits_1_without_traceback(tmp_path):
    make_site(tmp_path, {"sample": EXAM.replace("title:", "titel:").replace("time_limit: 30", "time_limit: 91")})
    result = run("build", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("exams/sample.yaml:1:1: error: an exam needs 'title'")
    assert any(line.startswith("exams/sample.yaml:2:1: error: unknown key 'titel'") for line in lines)
    assert any(line.startswith("exams/sample.yaml:3:13: error: part 1 lasts 91 minutes") for line in lines)
    assert lines[-1] == "3 error(s); nothing was written"
    assert "Traceback" not in result.output
    assert not (tmp_path / "output").exists() and not (tmp_path / "keys").exists()


def test_usage_errors_exit_2(tmp_path):
    make_site(tmp_path)
    assert run("build", "--proview", "maybe", cwd=tmp_path).exit_code == 2
    assert run("build", "--no-such-option", cwd=tmp_path).exit_code == 2


def test_json_report(tmp_path):
    make_site(tmp_path, {"sample": EXAM.replace("title:", "titel:")})
    result = run("build", "--json", cwd=tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert {"path": "exams/sample.yaml", "line": 2, "col": 1, "severity": "error",
            "message": "unknown key 'titel' in an exam; did you mean 'title'?"} in report["diagnostics"]
    make_site(tmp_path)
    report = json.loads(run("build", "--json", cwd=tmp_path).stdout)
    assert report["ok"] is True and (report["exams"], report["questions"], report["pages"]) == (1, 1, 1)


def test_strict_turns_warnings_into_errors(tmp_path):
    make_site(tmp_path, {"sample": EXAM + "pools:\n  spare: [{id: g1, type: true_false, prompt: Hi, answer: true}]\n"})
    relaxed = run("check", cwd=tmp_path)
    assert relaxed.exit_code == 0 and "warning: pool 'spare' is never drawn from" in relaxed.stderr
    strict = run("check", "--strict", cwd=tmp_path)
    assert strict.exit_code == 1 and "error: pool 'spare' is never drawn from" in strict.stderr


def test_check_writes_nothing(tmp_path):
    make_site(tmp_path)
    result = run("check", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout.startswith("checked 1 exam(s)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exams", "exams.yaml"]


def test_new_scaffolds_an_exam_that_builds(tmp_path):
    make_site(tmp_path)
    result = run("new", "chem-lab-1", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "exams" / "chem-lab-1.yaml").is_file() and (tmp_path / "exams" / "chem-lab-1.md").is_file()
    built = run("build", "--strict", cwd=tmp_path)
    assert built.exit_code == 0, built.output
    assert (tmp_path / "output" / "chem-lab-1" / "index.html").is_file()
    again = run("new", "chem-lab-1", cwd=tmp_path)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert run("new", "Bad Name", cwd=tmp_path).exit_code == 1
    assert "next: examsite serve" in run("new", "chem-lab-2", cwd=tmp_path).output


def test_init_starts_a_site_that_builds_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.delenv("PROVIEW_DSN", raising=False)
    result = run("init", "finals", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    site = tmp_path / "finals"
    assert "next: cd finals && examsite serve" in result.output
    for name in ("exams.yaml", "exams/sample-exam.yaml", "exams/sample-exam.md", "templates/README.md", ".gitignore"):
        assert (site / name).is_file(), name
    ignored = (site / ".gitignore").read_text().split()
    assert {"/output/", "/keys/", "/.examsite/", "/report/", "*.sqlite", "*.jsonl"} <= set(ignored)
    built = run("build", "--strict", cwd=site)
    assert built.exit_code == 0, built.output
    assert (site / "output" / "sample-exam" / "index.html").is_file()
    # The prod overlay takes the DSN from the environment: a build without it says so, once.
    prod = run("check", "--env", "prod", cwd=site)
    assert prod.exit_code == 1 and prod.stderr.count(": error: ") == 1 and "PROVIEW_DSN is not set" in prod.stderr
    monkeypatch.setenv("PROVIEW_DSN", "a-real-dsn")
    assert run("check", "--env", "prod", cwd=site).exit_code == 0
    before = (site / "exams.yaml").read_bytes()
    again = run("init", "finals", cwd=tmp_path)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert (site / "exams.yaml").read_bytes() == before


def test_python_dash_m_runs_the_same_command(tmp_path):
    make_site(tmp_path)
    result = subprocess.run([sys.executable, "-m", "generator", "check"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("checked 1 exam(s)")


def test_importing_the_main_module_runs_no_command(tmp_path):
    """As a worker process started by the fork server does (parallel.pool_context)."""
    result = subprocess.run([sys.executable, "-c", "import generator.__main__", "check"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
