"""Grading rules, pools and shuffles, parts, duplicates and mismatches."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from generator.results.grade import grade, score_answer
from generator.results.keys import KeyFileError, QuestionKey, load_keys, parse_key, parse_question
from generator.results.sources import Record, read_sources

from .helpers import key, payload, shown, write_jsonl, write_keys


def keys():
    k = parse_key(key(), "keys/algebra-midterm.json")
    return {k.exam_id: k}


def records(*payloads):
    return [Record(f"subs.jsonl:{n}", p) for n, p in enumerate(payloads, start=1)]


def q(raw, qid="x"):
    if raw["type"] in ("single", "multiple"):
        raw = {"choices": ["a", "b", "c"], "shuffle_choices": False, **raw}
    return parse_question(qid, raw, "test")


@pytest.mark.parametrize("answer, expected", [
    (12, ("correct", 1.0)), (12.5, ("correct", 1.0)), (11.5, ("correct", 1.0)),
    (12.51, ("wrong", 0.0)), (11.4, ("wrong", 0.0)), ("twelve", ("wrong", 0.0)),
])
def test_numeric_tolerance(answer, expected):
    assert score_answer(q({"type": "numeric", "points": 1, "answer": 12, "tolerance": 0.5}), answer) == expected


def test_numeric_zero_tolerance_survives_float_rounding():
    key_ = q({"type": "numeric", "points": 1, "answer": 0.3, "tolerance": 0})
    assert score_answer(key_, 0.1 + 0.2) == ("correct", 1.0)
    assert score_answer(key_, 0.30001) == ("wrong", 0.0)


def test_short_text_case_rule():
    loose = q({"type": "short_text", "points": 2, "answers": ["Triangle"], "case_sensitive": False})
    strict = q({"type": "short_text", "points": 2, "answers": ["Triangle"], "case_sensitive": True})
    assert score_answer(loose, "  tRIANGLE ") == ("correct", 2.0)
    assert score_answer(strict, "triangle") == ("wrong", 0.0)
    assert score_answer(strict, " Triangle") == ("correct", 2.0)
    assert score_answer(loose, "square") == ("wrong", 0.0)


def test_multiple_partial_credit_on_and_off():
    off = q({"type": "multiple", "points": 4, "correct": ["a", "b"], "partial_credit": False})
    on = q({"type": "multiple", "points": 4, "correct": ["a", "b"], "partial_credit": True})
    assert score_answer(off, ["b", "a"]) == ("correct", 4.0)
    assert score_answer(off, ["a"]) == ("wrong", 0.0)
    assert score_answer(on, ["a"]) == ("partial", 2.0)
    assert score_answer(on, ["a", "c"]) == ("wrong", 0.0)  # one right, one wrong: nothing
    assert score_answer(on, ["a", "b", "c"]) == ("partial", 2.0)
    assert score_answer(on, ["c"]) == ("wrong", 0.0)  # never negative


def test_single_and_true_false():
    single = q({"type": "single", "points": 2, "correct": ["b"]})
    tf = q({"type": "true_false", "points": 1, "answer": False})
    assert score_answer(single, "b") == ("correct", 2.0)
    assert score_answer(single, "a") == ("wrong", 0.0)
    assert score_answer(tf, False) == ("correct", 1.0)
    assert score_answer(tf, True) == ("wrong", 0.0)


def test_full_exam_two_parts_combined_with_long_text_for_manual_grading():
    result = grade(keys(), records(payload(1), payload(2)))
    assert result.problems == ()
    (row,) = result.rows
    scores = {s.question_id: (s.status, s.points) for s in row.scores}
    assert scores == {"g3": ("correct", 1.0), "q1": ("correct", 2.0), "g1": ("correct", 1.0),
                      "q2": ("correct", 1.0), "q3": ("manual", None), "q4": ("partial", 2.0)}
    assert row.points == 7.0
    assert row.max_points == 2 + 1 + 1 + 1 + 5 + 4  # g2 was not drawn for this candidate
    assert [(m.question_id, m.answer, m.origin) for m in row.manual] == [("q3", "Because.", "subs.jsonl:2")]
    assert row.parts_submitted == (1, 2) and row.parts_missing == ()
    assert row.proview_session_uuids == ("uuid-cand-1-1", "uuid-cand-1-2")


def test_pool_draw_is_the_one_the_page_made_for_the_attendee():
    assert shown(1, "cand-2")["questions"] == ["g3", "g2", "q1"]  # cand-1 drew g1 and g3
    other = payload(1, attendee="cand-2", answers={"g2": 12.2, "g3": "square"})
    (row,) = grade(keys(), records(other)).rows
    assert [s.question_id for s in row.scores] == ["g3", "g2", "q1"]
    assert {s.question_id: s.status for s in row.scores} == {"g2": "correct", "q1": "unanswered",
                                                             "g3": "wrong"}
    assert row.parts_missing == (2,)
    assert row.max_points == 4 + (1 + 5 + 4)  # part 2 counted at its nominal worth


def test_interim_ignored_and_duplicate_counted_once():
    interim = payload(1, kind="interim", answers={"q1": "a"})
    final = payload(1)
    result = grade(keys(), records(interim, final, dict(final), payload(2)))
    assert result.problems == ()
    (row,) = result.rows
    assert row.points == 7.0
    assert row.origins == ("subs.jsonl:2", "subs.jsonl:4")


def test_interim_alone_gives_no_row():
    assert grade(keys(), records(payload(1, kind="interim"))).rows == ()


def test_later_final_supersedes_and_is_reported():
    first = payload(1, answers={"q1": "a"}, submitted_at="2026-11-21T10:00:00Z")
    second = payload(1, answers={"q1": "b"}, submitted_at="2026-11-21T10:05:00Z")
    result = grade(keys(), records(second, first))
    (row,) = result.rows
    assert {s.question_id: s.points for s in row.scores}["q1"] == 2.0
    assert [str(p) for p in result.problems] == [
        "subs.jsonl:2: superseded by a later final submission for part 1 at subs.jsonl:1"]


@pytest.mark.parametrize("overrides, message", [
    ({"exam_id": "physics"}, "unknown exam 'physics'"),
    ({"answers": {"q9": "a"}}, "answer to unknown question 'q9'"),
    ({"answers": {"q1": ["b"]}}, "question q1 (single): expected a choice id"),
    ({"answers": {"g1": "true"}}, "expected true or false"),
    ({"answers": {"q1": "z"}}, "'z' were not among the choices shown"),
    ({"answers": {"q2": ["a"]}}, "answer to question 'q2', which was not shown in part 1"),
    ({"order": {"questions": ["q1", "g1"]}}, "pool 'geometry': 1 question(s) drawn, the key draws 2"),
    ({"order": {"questions": ["g1", "g2"]}}, "order.questions leaves out q1"),
    ({"order": {}}, "order.questions missing"),
    ({"part": 3, "part_count": 2}, "has no part 3"),
    ({"part_count": 3}, "the key has 2 part(s)"),
    ({"attendee_identifier": None}, "attendee_identifier missing"),
    ({"schema": 2}, "unsupported schema 2"),
])
def test_mismatch_reported_with_origin_and_rest_still_graded(overrides, message):
    bad = {**payload(1, attendee="bad"), **overrides}
    result = grade(keys(), records(payload(1), bad, payload(2)))
    assert [r.attendee_identifier for r in result.rows] == ["cand-1"]
    assert result.rows[0].points == 7.0
    (problem,) = result.problems
    assert problem.origin == "subs.jsonl:2"
    assert message in problem.message


def test_sources_jsonl_and_sqlite_with_origins(tmp_path):
    jsonl = write_jsonl(tmp_path / "subs.jsonl", [payload(1), "{not json", "", "[1, 2]"])
    db = tmp_path / "preview.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE submissions(id INTEGER PRIMARY KEY, received_at TEXT, body TEXT)")
        conn.execute("INSERT INTO submissions VALUES (7, 'now', ?)", (json.dumps(payload(2)),))
        conn.execute("INSERT INTO submissions VALUES (8, 'now', 'oops')")
    conn.close()
    recs, problems = read_sources([jsonl, db])
    assert [r.origin for r in recs] == [f"{jsonl}:1", f"{db}#submissions.id=7"]
    assert [p.origin for p in problems] == [f"{jsonl}:2", f"{jsonl}:4", f"{db}#submissions.id=8"]
    (row,) = grade(keys(), recs).rows
    assert row.parts_submitted == (1, 2)


def test_bad_key_file_is_a_clear_error(tmp_path):
    broken = key()
    broken["pools"]["geometry"].append("nope")
    write_keys(tmp_path / "keys", broken)
    with pytest.raises(KeyFileError, match="pools.geometry: unknown question"):
        load_keys(tmp_path / "keys")
    with pytest.raises(KeyFileError, match="no such keys directory"):
        load_keys(tmp_path / "missing")


FIXTURES = Path(__file__).parent / "fixtures"


def test_payloads_captured_from_the_chromium_runtime_grade_cleanly():
    recs, unreadable = read_sources([FIXTURES / "runtime-payloads.jsonl"])
    result = grade(load_keys(FIXTURES / "runtime-keys"), recs)
    assert unreadable == [] and result.problems == ()
    rows = {(r.exam_id, r.attendee_identifier): r for r in result.rows}
    quiz = rows[("algebra-quiz", "cand-1")]  # every auto-graded answer right, the essay left out
    assert (quiz.points, quiz.max_points) == (11.0, 15.0)
    assert {s.question_id: s.status for s in quiz.scores}["explain-method"] == "unanswered"
    multi = rows[("data-structures-final", "multi-7")]  # two parts, two sessions, a pool draw
    assert multi.parts_submitted == (1, 2) and len(multi.proview_session_uuids) == 2
    assert [m.question_id for m in multi.manual] == ["lru-design"]
    assert len(multi.session_identifiers) == 2
    long_ = rows[("long", "long-1")]  # an interim and a final payload: one row, from the final
    assert len(long_.origins) == 1
    assert sum(1 for r in recs if r.payload["attendee_identifier"] == "long-1") == 2


def test_a_question_type_without_a_grading_rule_is_an_error_for_that_record():
    exam = keys()["algebra-midterm"]
    essay = QuestionKey("q1", "essay", 2.0, choices=("a", "b"), shuffle_choices=True)
    odd = dataclasses.replace(exam, questions={**exam.questions, "q1": essay})
    result = grade({exam.exam_id: odd}, records(payload(1), payload(2)))
    assert [r.parts_submitted for r in result.rows] == [(2,)]
    (problem,) = result.problems
    assert problem.origin == "subs.jsonl:1"
    assert problem.message.endswith("question q1: no grading rule for question type 'essay'; not graded")


def test_exam_id_of_the_wrong_type_is_a_problem_not_a_crash():
    from generator.results.grade import grade
    from generator.results.sources import Record
    result = grade({}, [Record("x.jsonl:1", {"schema": 1, "kind": "final", "submission_id": "s",
                                             "exam_id": ["not", "text"]})])
    assert [str(p) for p in result.problems] == ["x.jsonl:1: unknown exam ['not', 'text'] (no answer key)"]
