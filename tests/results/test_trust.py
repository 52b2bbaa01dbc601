"""Nothing the browser says is trusted: every forgery of issue 18, refused or flagged by the
command an instructor runs, each with its exact warning."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from click.testing import CliRunner

from generator.cli import main
from generator.results.links import secrets_from_env, make_token
from generator.results.store import Store

from .helpers import payload, shown, write_jsonl, write_keys

SECRET = "a-long-random-link-secret-for-the-tests-0123456789"
ENV = {"EXAMSITE_LINK_SECRET": SECRET}
EXPIRES = datetime(2026, 11, 22, 0, 0, tzinfo=timezone.utc)  # the payloads are sent on 2026-11-21


def run(args, env=None):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def token(attendee, exam="algebra-midterm", expires=EXPIRES, env=ENV):
    return make_token(secrets_from_env(env), exam, attendee, expires)


def grade(tmp_path, payloads, *options, env=None):
    keys = write_keys(tmp_path / "keys")
    subs = write_jsonl(tmp_path / "subs.jsonl", payloads)
    result = run(["grade", "--keys", str(keys), *options, str(subs)], env=env)
    rows = list(csv.DictReader(io.StringIO(result.stdout))) if result.exit_code == 0 else []
    return result, rows, subs, keys / "algebra-midterm.json"


def warnings(result):
    return [line for line in result.stderr.splitlines() if ": warning: " in line]


def test_a_forged_pool_draw_is_refused(tmp_path):
    # bob's page drew g2 and g1; his payload claims g1 and g3, the questions he knows.
    assert sorted(shown(1, "bob")["questions"]) == ["g1", "g2", "q1"]
    forged = payload(1, attendee="bob", answers={"q1": "b", "g1": True, "g3": "triangle"},
                     order={"questions": ["g1", "g3", "q1"], "choices": shown(1, "bob")["choices"]})
    honest = payload(1, attendee="alice")
    result, rows, subs, key = grade(tmp_path, [forged, honest])
    assert [r["attendee_identifier"] for r in rows] == ["alice"]
    assert warnings(result) == [
        f"{subs}:1: warning: submission {forged['submission_id']} does not match key {key}: "
        "order.questions is not the pool draw and question order the page shows attendee 'bob'; "
        "not graded"]


def test_a_forged_question_or_choice_order_is_refused(tmp_path):
    real = shown(1, "bob")
    reordered = payload(1, attendee="bob", order={**real, "questions": real["questions"][::-1]})
    choices = payload(1, attendee="bob", order={**real, "choices": {"q1": real["choices"]["q1"][::-1]}})
    result, rows, subs, key = grade(tmp_path, [reordered, choices])
    assert rows == []
    assert warnings(result) == [
        f"{subs}:1: warning: submission {reordered['submission_id']} does not match key {key}: "
        "order.questions is not the pool draw and question order the page shows attendee 'bob'; "
        "not graded",
        f"{subs}:2: warning: submission {choices['submission_id']} does not match key {key}: "
        "order.choices.q1 is not the choice order the page shows attendee 'bob'; not graded"]


def test_tokens_forged_expired_for_another_exam_or_attendee_or_missing_are_refused(tmp_path):
    good = payload(1, attendee="alice", token=token("alice"))
    forged = payload(1, attendee="bob", token=token("bob", env={"EXAMSITE_LINK_SECRET": "x" * 40}))
    expired = payload(1, attendee="carol", token=token("carol", expires=datetime(2026, 11, 21, 10, 0,
                                                                                  tzinfo=timezone.utc)))
    other_exam = payload(1, attendee="dave", token=token("dave", exam="physics"))
    other_attendee = payload(1, attendee="erin", token=token("alice"))
    missing = payload(1, attendee="frank")
    payloads = [good, forged, expired, other_exam, other_attendee, missing]
    result, rows, subs, _key = grade(tmp_path, payloads, env=ENV)
    assert [r["attendee_identifier"] for r in rows] == ["alice"]
    assert warnings(result) == [
        f"{subs}:{n}: warning: submission {p['submission_id']} for attendee {p['attendee_identifier']!r}: "
        f"link token {reason}; not graded"
        for n, p, reason in [(2, forged, "forged"), (3, expired, "expired"), (4, other_exam, "for another exam"),
                             (5, other_attendee, "for another attendee"), (6, missing, "missing")]]
    # The same file without the secret grades all six: the token is what refuses them.
    unchecked, rows, _subs, _key = grade(tmp_path, payloads)
    assert len(rows) == 6 and warnings(unchecked) == []


def test_link_secret_env_names_the_variable_and_is_never_printed(tmp_path):
    custom = {"EXAM_LINKS": SECRET}
    good = payload(1, attendee="alice", token=make_token(secrets_from_env(custom, "EXAM_LINKS"),
                                                         "algebra-midterm", "alice", EXPIRES))
    result, rows, _subs, _key = grade(tmp_path, [good], "--link-secret-env", "EXAM_LINKS", env=custom)
    assert [r["attendee_identifier"] for r in rows] == ["alice"]
    unset, _rows, _subs, _key = grade(tmp_path, [good], "--link-secret-env", "NOT_SET")
    assert unset.exit_code == 1
    assert unset.stderr == ("error: NOT_SET is not set: --link-secret-env names the environment variable "
                            "holding the link secret\n")
    weak, _rows, _subs, _key = grade(tmp_path, [good], env={"EXAMSITE_LINK_SECRET": "hunter2"})
    assert weak.exit_code == 1 and "hunter2" not in weak.output and "shorter than 32" in weak.stderr


def test_impersonation_with_a_later_timestamp_is_refused(tmp_path):
    own = payload(1, attendee="alice", token=token("alice"), answers={"q1": "b"})
    # Someone else, with their own link, sends answers for alice half an hour later.
    impostor = payload(1, attendee="alice", token=token("mallory"), answers={"q1": "a"},
                       submitted_at="2026-11-21T11:00:00Z")
    result, rows, subs, _key = grade(tmp_path, [own, impostor], env=ENV)
    assert [(r["attendee_identifier"], r["q:q1"]) for r in rows] == [("alice", "2")]
    assert warnings(result) == [
        f"{subs}:2: warning: submission {impostor['submission_id']} for attendee 'alice': "
        "link token for another attendee; not graded"]


def test_colliding_submission_ids_are_conflicts_and_strict_fails(tmp_path):
    alice = payload(1, attendee="alice", submission_id="same-id")
    bob = payload(1, attendee="bob", submission_id="same-id")
    first = payload(1, attendee="carol", submission_id="carol-id")
    changed = {**first, "answers": {"q1": "a"}}
    retry = payload(1, attendee="dave")
    payloads = [alice, bob, first, changed, retry, dict(retry)]
    result, rows, subs, _key = grade(tmp_path, payloads)
    assert [r["attendee_identifier"] for r in rows] == ["dave"]  # a retried POST counts once
    assert warnings(result) == [
        f"{subs}:1: warning: conflict: submission_id same-id for attendee 'alice' is also used by "
        f"attendee 'bob' at {subs}:2; not graded",
        f"{subs}:2: warning: conflict: submission_id same-id for attendee 'bob' is also used by "
        f"attendee 'alice' at {subs}:1; not graded",
        f"{subs}:3: warning: conflict: submission_id carol-id for attendee 'carol' is also sent with "
        f"different content at {subs}:4; not graded",
        f"{subs}:4: warning: conflict: submission_id carol-id for attendee 'carol' is also sent with "
        f"different content at {subs}:3; not graded"]
    assert "graded 1 candidate(s) in 1 exam(s); 0 record(s) not graded; 4 conflict(s)" in result.stderr
    strict, _rows, _subs, _key = grade(tmp_path, payloads, "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.endswith("--strict: 0 record(s) not graded and 4 conflict(s); exit status 1\n")
    clean, _rows, _subs, _key = grade(tmp_path, [retry, dict(retry)], "--strict")
    assert clean.exit_code == 0


def test_strict_fails_when_every_record_is_rejected(tmp_path):
    result, _rows, _subs, _key = grade(tmp_path, [payload(1, exam_id="nope"), "not json"], "--strict")
    assert result.exit_code == 1
    assert result.stderr.endswith("--strict: 2 record(s) not graded and 0 conflict(s); exit status 1\n")


def _ratings(tmp_path):
    db = tmp_path / "results.sqlite"
    store = Store(db).initialise()
    details = {"final_rating": "low", "status": "completed", "system_info": {}}
    store.save_rating({**details, "external_id": "ext-alice"}, "uuid-alice", None)
    store.save_rating({**details, "external_id": "ext-victor", "final_rating": "low"}, "uuid-victor", None)
    return db


def report(tmp_path, payloads, db):
    keys = write_keys(tmp_path / "keys")
    subs = write_jsonl(tmp_path / "subs.jsonl", payloads)
    out = tmp_path / "report"
    result = run(["report", "--keys", str(keys), "--submissions", str(subs), "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    return {r["attendee_identifier"]: r for r in rows}, (out / "index.html").read_text()


def test_a_session_claimed_by_two_candidates_is_disputed_not_borrowed(tmp_path):
    alice = payload(1, attendee="alice", proview_session_uuid="uuid-alice", session_identifier="ext-alice")
    mallory = payload(1, attendee="mallory", proview_session_uuid="uuid-alice",
                      session_identifier="ext-mallory")
    rows, html = report(tmp_path, [alice, mallory], _ratings(tmp_path))
    assert rows["alice"]["ratings"] == rows["mallory"]["ratings"] == "disputed"
    assert rows["alice"]["session_disputes"] == "uuid-alice: claimed by 2 candidates: alice, mallory"
    assert rows["mallory"]["session_disputes"] == "uuid-alice: claimed by 2 candidates: alice, mallory"
    assert "Low" not in html.split("<main>")[1]  # no one is shown the borrowed rating


def test_a_session_whose_external_id_is_not_the_candidates_is_disputed(tmp_path):
    # victor did not submit; mallory claims his session and keeps her own session id.
    mallory = payload(1, attendee="mallory", proview_session_uuid="uuid-victor",
                      session_identifier="ext-mallory")
    rows, _html = report(tmp_path, [mallory], _ratings(tmp_path))
    assert rows["mallory"]["ratings"] == "disputed"
    assert rows["mallory"]["session_disputes"] == (
        "uuid-victor: Proview's external id 'ext-victor' is not the session id this candidate's "
        "submission recorded")


def test_an_own_session_keeps_its_rating(tmp_path):
    alice = payload(1, attendee="alice", proview_session_uuid="uuid-alice", session_identifier="ext-alice")
    rows, _html = report(tmp_path, [alice], _ratings(tmp_path))
    assert (rows["alice"]["ratings"], rows["alice"]["session_disputes"]) == ("low", "")


def test_marks_round_trip(tmp_path):
    payloads = [payload(1), payload(2), payload(1, attendee="cand-2"), payload(2, attendee="cand-2")]
    sheet = tmp_path / "marks.csv"
    result, rows, _subs, keys = grade(tmp_path, payloads, "--marking-sheet", str(sheet))
    assert [(r["attendee_identifier"], r["points"], r["manual_pending"]) for r in rows] == [
        ("cand-1", "7", "q3"), ("cand-2", "7", "q3")]
    marking = list(csv.DictReader(io.StringIO(sheet.read_text())))
    assert [(m["attendee_identifier"], m["question_id"], m["max_points"], m["mark"], m["answer"])
            for m in marking] == [("cand-1", "q3", "5", "", "Because."), ("cand-2", "q3", "5", "", "Because.")]
    db = tmp_path / "empty.sqlite"
    Store(db).initialise()
    before, _html = report(tmp_path, payloads, db)
    assert before["cand-1"]["percent"] == "awaiting marking"
    # The marker marks cand-1 (the sheet's own columns, sorted differently); cand-2 waits.
    marking[0]["mark"] = "4,5"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(marking[0]))
        writer.writeheader()
        writer.writerows(marking[::-1])
    marked, rows, _subs, _keys = grade(tmp_path, payloads, "--marks", str(sheet))
    assert marked.exit_code == 0, marked.output
    assert [(r["attendee_identifier"], r["points"], r["manual_pending"], r["q:q3"]) for r in rows] == [
        ("cand-1", "11.5", "", "4.5"), ("cand-2", "7", "q3", "manual")]
    keys_dir = tmp_path / "keys"
    subs = tmp_path / "subs.jsonl"
    out = tmp_path / "marked-report"
    made = run(["report", "--keys", str(keys_dir), "--submissions", str(subs), "--db", str(db),
                "--marks", str(sheet), "--out", str(out)])
    after = {r["attendee_identifier"]: r for r in csv.DictReader(io.StringIO((out / "report.csv").read_text()))}
    assert made.exit_code == 0 and after["cand-1"]["percent"] == "82.14"
    assert after["cand-2"]["percent"] == "awaiting marking"


def test_bad_marks_are_errors_with_their_positions(tmp_path):
    sheet = tmp_path / "marks.csv"
    sheet.write_text("exam_id,attendee_identifier,question_id,max_points,mark\n"
                     "algebra-midterm,cand-1,q3,5,lots\n"
                     "algebra-midterm,cand-1,q3,5,-1\n", encoding="utf-8")
    result, _rows, _subs, _keys = grade(tmp_path, [payload(1), payload(2)], "--marks", str(sheet))
    assert result.exit_code == 1
    assert result.stderr == (f"{sheet}:2:5: mark 'lots' is not a number\n"
                             f"{sheet}:3:5: mark '-1' must be a number from 0\n2 error(s)\n")
    sheet.write_text("exam_id,attendee_identifier,question_id,max_points,mark\n"
                     "algebra-midterm,cand-1,q3,5,6\n"
                     "algebra-midterm,cand-9,q3,5,1\n", encoding="utf-8")
    result, _rows, _subs, _keys = grade(tmp_path, [payload(1), payload(2)], "--marks", str(sheet))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-3:] == [
        f"{sheet}:2:5: mark 6 is more than question q3's 5 point(s)",
        f"{sheet}:3:5: no graded long_text answer of attendee 'cand-9' to question q3 in exam algebra-midterm",
        "2 error(s)"]
