"""The results commands end to end: grade, ratings fetch, report. (`collect serve`, which receives
Proview's callbacks: tests/collect.)"""

from __future__ import annotations

import csv
import io
import json
from html import unescape
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from generator.results.store import Store

from .helpers import payload, write_jsonl, write_keys

REPO = Path(__file__).resolve().parents[2]

ROOT = Path(__file__).resolve().parents[2]
UUID = "f46bd560-53f6-11eb-b441-492a960aa0ba"


def run(args, env=None):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_grade_csv_reports_mismatches_with_origin_and_grades_the_rest(tmp_path):
    keys = write_keys(tmp_path / "keys")
    subs = write_jsonl(tmp_path / "subs.jsonl", [
        payload(1), bad := payload(1, attendee="x", answers={"q1": 3}), payload(2), "not json"])
    result = run(["grade", "--keys", str(keys), str(subs)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["attendee_identifier"], r["points"], r["max_points"], r["manual_pending"]) for r in rows] == [
        ("cand-1", "7", "14", "q3")]
    assert rows[0]["q:q3"] == "manual" and rows[0]["q:q4"] == "2" and rows[0]["q:g2"] == ""
    assert f"{subs}:2: warning: submission {bad['submission_id']} does not match key" in result.stderr
    assert f"{subs}:4: warning: not valid JSON" in result.stderr
    assert "graded 1 candidate(s) in 1 exam(s); 2 record(s) not graded" in result.stderr
    strict = run(["grade", "--keys", str(keys), "--strict", str(subs)])
    assert strict.exit_code == 1


def test_grade_json_to_file_and_csv_formula_guard(tmp_path):
    keys = write_keys(tmp_path / "keys")
    subs = write_jsonl(tmp_path / "subs.jsonl", [payload(1, attendee="=HYPERLINK(\"x\")")])
    out = tmp_path / "grades.json"
    assert run(["grade", "--keys", str(keys), "--format", "json", "--out", str(out), str(subs)]).exit_code == 0
    data = json.loads(out.read_text())
    assert data["rows"][0]["points"] == 4.0 and data["rows"][0]["parts_missing"] == [2]
    text = run(["grade", "--keys", str(keys), str(subs)]).stdout
    assert "'=HYPERLINK" in text


def test_a_json_array_is_an_error_not_a_silent_success(tmp_path):
    """`examsite submissions --json` prints an array; grading it used to warn line by line and exit 0."""
    keys = write_keys(tmp_path / "keys")
    array = tmp_path / "subs.json"
    array.write_text(json.dumps([{"id": 1, "payload": payload(1)}], indent=2))
    result = run(["grade", "--keys", str(keys), str(array)])
    assert result.exit_code == 1
    assert f"{array}:1: a JSON array, not JSON Lines" in result.stderr and "--jsonl" in result.stderr


def test_bad_input_is_one_clear_error_without_traceback(tmp_path):
    subs = write_jsonl(tmp_path / "subs.jsonl", [payload(1)])
    result = run(["grade", "--keys", str(tmp_path / "nokeys"), str(subs)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nokeys'}: no such keys directory"
    keys = write_keys(tmp_path / "keys")
    result = run(["grade", "--keys", str(keys), str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "no such file" in result.stderr and "Traceback" not in result.output


def test_ratings_fetch_waits_for_a_pending_rating(tmp_path, fake_api, api_env):
    fake_api.add_session(UUID, "5506693", rating="low", pending_reads=2)
    db = tmp_path / "results.sqlite"
    result = run(["ratings", "fetch", UUID, "--db", str(db), "--env", "dev",
                  "--pending-retry", "0.01", "--max-wait", "5"], env=api_env)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{UUID}: low\n"
    assert Store(db).ratings()[UUID].final_rating == "low"
    for secret in (fake_api.password, fake_api.app_id, fake_api.username):
        assert secret not in result.output


def test_ratings_fetch_without_wait_reports_pending_and_errors(tmp_path, fake_api, api_env):
    fake_api.add_session(UUID, "5506693", pending_reads=5)
    db = tmp_path / "results.sqlite"
    result = run(["ratings", "fetch", UUID, "nope", "--db", str(db), "--env", "dev"], env=api_env)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{UUID}: pending",
                                          "nope: error: session nope: Proview has no such session (HTTP 404)"]


def test_ratings_fetch_needs_credentials_from_the_environment(tmp_path):
    env = {"PROVIEW_USERNAME": "", "PROVIEW_PASSWORD": "", "PROVIEW_APP_ID": ""}
    result = run(["ratings", "fetch", UUID, "--db", str(tmp_path / "r.sqlite")], env=env)
    assert result.exit_code == 1
    assert "PROVIEW_USERNAME, PROVIEW_PASSWORD, PROVIEW_APP_ID" in result.stderr


def _report_fixture(tmp_path):
    keys = write_keys(tmp_path / "keys")
    subs = write_jsonl(tmp_path / "subs.jsonl", [
        payload(1), payload(2),
        payload(1, attendee="cand-2", answers={"q1": "a"}),
        payload(1, attendee="<b>cand-3</b>", proview_session_uuid=None, session_identifier="ext-9"),
        payload(1, attendee="cand-4", exam_id="unknown-exam"),
    ])
    db = tmp_path / "results.sqlite"
    store = Store(db).initialise()
    details = {"final_rating": "high", "status": "completed", "system_info": {}}
    store.save_rating(details, "uuid-cand-1-1", "ext-cand-1")
    store.save_rating({**details, "final_rating": ""}, "uuid-cand-1-2", "ext-cand-1")
    store.save_rating({**details, "final_rating": "low", "external_id": "ext-9"}, "uuid-nine", None)
    return keys, subs, db


def test_report_writes_html_and_csv(tmp_path):
    keys, subs, db = _report_fixture(tmp_path)
    out = tmp_path / "report"
    result = run(["report", "--keys", str(keys), "--submissions", str(subs), "--db", str(db),
                  "--out", str(out), "--session-link", "https://proview.example/s/{session_uuid}"])
    assert result.exit_code == 0, result.output
    raw = (out / "index.html").read_text()
    html = unescape(raw)
    assert "<script" not in raw
    assert "Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-" in html
    assert "&lt;b&gt;cand-3&lt;/b&gt;" in raw and "<b>cand-3</b>" not in raw
    assert 'href="https://proview.example/s/uuid-cand-1-1"' in html
    assert "unknown exam 'unknown-exam'" in html
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    assert [(r["attendee_identifier"], r["points"], r["ratings"]) for r in rows] == [
        ("<b>cand-3</b>", "4", "low"), ("cand-1", "7", "high pending"), ("cand-2", "0", "none")]


def test_report_refuses_a_non_https_link_and_a_missing_db(tmp_path):
    keys, subs, db = _report_fixture(tmp_path)
    bad = run(["report", "--keys", str(keys), "--submissions", str(subs),
               "--session-link", "javascript:alert({session_uuid})"])
    assert bad.exit_code == 1 and "https://" in bad.stderr
    missing = run(["report", "--keys", str(keys), "--submissions", str(subs), "--db", str(tmp_path / "no.sqlite")])
    assert missing.exit_code == 1 and "no such results database" in missing.stderr


def test_two_commands_from_submissions_to_a_report_with_ratings(tmp_path, fake_api, api_env):
    keys = write_keys(tmp_path / "keys")
    subs = write_jsonl(tmp_path / "subs.jsonl", [payload(1), payload(2), payload(1, attendee="cand-2"),
                                                 payload(1, attendee="cand-3", proview_session_uuid=None)])
    fake_api.add_session("uuid-cand-1-1", "ext-cand-1", rating="high")
    fake_api.add_session("uuid-cand-1-2", "ext-cand-1", rating="medium")
    fake_api.add_session("uuid-cand-2-1", "ext-cand-2", rating="low", pending_reads=1)
    db = tmp_path / "results.sqlite"
    fetched = run(["ratings", "fetch", "--submissions", str(subs), "--db", str(db), "--env", "dev",
                   "--pending-retry", "0.01", "--max-wait", "5"], env=api_env)
    assert fetched.exit_code == 0, fetched.output
    assert sorted(fetched.stdout.splitlines()) == ["uuid-cand-1-1: high", "uuid-cand-1-2: medium",
                                                   "uuid-cand-2-1: low"]
    out = tmp_path / "report"
    made = run(["report", "--keys", str(keys), "--submissions", str(subs), "--db", str(db), "--out", str(out)])
    assert made.exit_code == 0, made.output
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    assert [(r["attendee_identifier"], r["ratings"]) for r in rows] == [
        ("cand-1", "high medium"), ("cand-2", "low"), ("cand-3", "none")]


def test_ratings_fetch_needs_something_to_fetch(tmp_path):
    result = run(["ratings", "fetch", "--db", str(tmp_path / "r.sqlite")])
    assert result.exit_code == 2 and "SESSION_UUID or --submissions" in result.output


def test_grade_refuses_keys_of_another_build_than_the_manifests(tmp_path):
    """The keys folder names the manifest it was published with: grading pages of one build with
    the keys of another (say, a build killed between the two) is refused."""
    import shutil

    from generator.build.run import build

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "exams.yaml", site / "exams.yaml")
    shutil.copytree(REPO / "exams", site / "exams")
    build(site / "exams.yaml", None, site / "output", site / "keys")
    empty = tmp_path / "none.jsonl"
    empty.write_text("")
    manifest = site / "output" / "manifest.json"
    ok = CliRunner().invoke(main, ["grade", "--keys", str(site / "keys"), "--manifest", str(manifest), str(empty)])
    assert ok.exit_code == 0, ok.output
    other = tmp_path / "other-manifest.json"
    other.write_bytes(manifest.read_bytes().replace(b'"generator"', b'"generator" ', 1))
    refused = CliRunner().invoke(main, ["grade", "--keys", str(site / "keys"), "--manifest", str(other), str(empty)])
    assert refused.exit_code == 1 and "holds the keys of another build" in refused.output, refused.output
    (site / "keys" / "BUILD").unlink()
    unnamed = CliRunner().invoke(main, ["grade", "--keys", str(site / "keys"), "--manifest", str(manifest), str(empty)])
    assert unnamed.exit_code == 1 and "do not say which build they belong to" in unnamed.output, unnamed.output
