"""Grading of ordering, matching and cloze questions (issue 20): scores, partial credit, and the
answers that cannot be graded because they do not fit their key."""

from __future__ import annotations

import pytest

from generator.results.grade import grade, score_answer
from generator.results.keys import KeyFileError, parse_key, parse_question
from generator.results.sources import Record

from .helpers import shown

ORDERING = {"type": "ordering", "points": 3, "items": ["a", "b", "c", "d"], "partial_credit": False}
MATCHING = {"type": "matching", "points": 3, "pairs": {"p1": "oa", "p2": "ob", "p3": "oc"},
            "options": ["oa", "ob", "oc", "od"]}
CLOZE = {"type": "cloze", "points": 3, "blanks": [
    {"name": "capital", "answers": ["Paris", "paris city"], "case_sensitive": False},
    {"name": "sum", "answer": 4, "tolerance": 0},
    {"name": "symbol", "answers": ["Fe"], "case_sensitive": True},
]}


def q(raw):
    return parse_question("x", raw, "test")


def test_ordering_all_or_nothing():
    key = q(ORDERING)
    assert score_answer(key, ["a", "b", "c", "d"]) == ("correct", 3.0)
    assert score_answer(key, ["a", "b", "d", "c"]) == ("wrong", 0.0)


@pytest.mark.parametrize("answer, pairs", [
    (["a", "b", "c", "d"], 3),  # a-b, b-c, c-d
    (["c", "d", "a", "b"], 2),  # c-d and a-b stand in the key's order; d-a does not
    (["b", "a", "d", "c"], 0),  # every pair reversed
    (["d", "a", "b", "c"], 2),  # a-b, b-c
    (["a", "c", "b", "d"], 0),  # a-c, c-b, b-d: none adjacent in the key in that order
])
def test_ordering_partial_credit_counts_adjacent_pairs_in_key_order(answer, pairs):
    key = q({**ORDERING, "partial_credit": True})
    status, points = score_answer(key, answer)
    assert points == pytest.approx(3 * pairs / 3)
    assert status == {3: "correct", 0: "wrong"}.get(pairs, "partial")


def test_matching_partial_credit_per_pair():
    key = q(MATCHING)
    assert score_answer(key, {"p1": "oa", "p2": "ob", "p3": "oc"}) == ("correct", 3.0)
    assert score_answer(key, {"p1": "oa", "p2": "oc", "p3": "ob"}) == ("partial", 1.0)
    assert score_answer(key, {"p1": "oa", "p3": "oc"}) == ("partial", 2.0)  # one left unmatched
    assert score_answer(key, {"p1": "od", "p2": "od", "p3": "od"}) == ("wrong", 0.0)  # the distractor


def test_cloze_per_blank_text_and_number_rules():
    key = q(CLOZE)
    assert score_answer(key, [" paris ", "4", "Fe"]) == ("correct", 3.0)
    assert score_answer(key, ["Paris  City", "4.0", "fe"]) == ("partial", 2.0)  # case-sensitive blank
    assert score_answer(key, ["Lyon", "4,0", None]) == ("partial", 1.0)  # comma decimal
    assert score_answer(key, [None, "four", "FE"]) == ("wrong", 0.0)


def test_cloze_number_within_tolerance():
    key = q({"type": "cloze", "points": 2, "blanks": [{"name": "g", "answer": 9.81, "tolerance": 0.05}]})
    assert score_answer(key, ["9.8"]) == ("correct", 2.0)
    assert score_answer(key, ["9.7"]) == ("wrong", 0.0)
    assert score_answer(key, ["1e1"]) == ("wrong", 0.0)


@pytest.mark.parametrize("raw, message", [
    ({**ORDERING, "items": ["a"]}, "items: expected two or more different item ids"),
    ({**ORDERING, "items": ["a", "a"]}, "items: expected two or more different item ids"),
    ({**MATCHING, "pairs": {"p1": "zz"}}, "pairs: zz not among the options"),
    ({**MATCHING, "pairs": []}, "pairs: expected an object"),
    ({"type": "cloze", "points": 1, "blanks": []}, "blanks: expected a non-empty list"),
    ({"type": "cloze", "points": 1, "blanks": [{"name": "b", "answers": []}]}, "blanks[0].answers: no accepted"),
    ({"type": "cloze", "points": 1, "blanks": [{"name": "b", "answer": 1, "tolerance": -1}]}, "must not be negative"),
])
def test_bad_keys_are_clear_errors(raw, message):
    with pytest.raises(KeyFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        q(raw)


# A whole exam: the three types, graded from payloads that carry the attendee's real draw.
KEY = {
    "schema": 1, "exam_id": "types", "title": "Types", "shuffle_questions": True, "pools": {},
    "parts": [{"index": 1, "title": "", "items": [{"question": "ord"}, {"question": "match"},
                                                  {"question": "cloze"}]}],
    "questions": {"ord": {**ORDERING, "partial_credit": True}, "match": MATCHING, "cloze": CLOZE},
}


def payload(answers, attendee="cand-1", sid="s1"):
    return {"schema": 1, "submission_id": sid, "kind": "final", "exam_id": "types", "part": 1,
            "part_count": 1, "attendee_identifier": attendee, "order": shown(1, attendee, KEY),
            "answers": answers, "submitted_at": "2026-11-21T10:30:00Z"}


def graded(*payloads):
    exam = parse_key(KEY, "keys/types.json")
    return grade({"types": exam}, [Record(f"subs.jsonl:{n}", p) for n, p in enumerate(payloads, start=1)])


def test_an_exam_of_the_three_types_is_graded_with_partial_credit():
    result = graded(payload({"ord": ["c", "d", "a", "b"], "match": {"p1": "oa", "p2": "ob"},
                             "cloze": ["paris", "5", "Fe"]}))
    assert result.problems == ()
    (row,) = result.rows
    scores = {s.question_id: (s.status, s.points) for s in row.scores}
    assert scores == {"ord": ("partial", 2.0), "match": ("partial", 2.0), "cloze": ("partial", 2.0)}
    assert (row.points, row.max_points) == (6.0, 9.0)


@pytest.mark.parametrize("answers, message", [
    ({"ord": ["a", "b", "c"]}, "question ord (ordering): expected every item id once"),
    ({"ord": ["a", "b", "c", "c"]}, "question ord (ordering): expected a list of item ids"),
    ({"ord": ["a", "b", "c", "z"]}, "expected every item id once"),
    ({"match": {"p9": "oa"}}, "unknown prompt or option (p9: oa)"),
    ({"match": {"p1": "oz"}}, "unknown prompt or option (p1: oz)"),
    ({"match": ["oa"]}, "expected an object of prompt id -> option id"),
    ({"cloze": ["Paris", "4"]}, "expected 3 blank(s), got 2"),
    ({"cloze": ["Paris", 4, "Fe"]}, "expected a list of texts, one a blank"),
])
def test_answers_that_do_not_fit_the_key_are_refused(answers, message):
    result = graded(payload(answers, "bad", "s1"), payload({"cloze": ["Paris", "4", "Fe"]}, "good", "s2"))
    assert [r.attendee_identifier for r in result.rows] == ["good"]
    (problem,) = result.problems
    assert message in problem.message and problem.origin == "subs.jsonl:1"
