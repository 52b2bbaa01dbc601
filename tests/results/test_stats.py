"""Item analysis (generator/results/stats.py) against figures worked out by hand."""

from __future__ import annotations

import itertools
import math

import pytest

from generator.results.grade import grade
from generator.results.keys import parse_key
from generator.results.sources import Record
from generator.results.stats import correlation, cronbach_alpha, item_analysis

KEY = parse_key({
    "schema": 1, "exam_id": "stats", "title": "Statistics",
    "parts": [{"index": 1, "items": [{"question": "q1"}, {"question": "q2"}, {"question": "q3"}]},
              {"index": 2, "items": [{"question": "q4"}, {"question": "q5"}, {"question": "q6"}]}],
    "shuffle_questions": False,
    "questions": {
        "q1": {"type": "single", "points": 1, "correct": ["b"], "choices": ["a", "b", "c"], "shuffle_choices": False},
        "q2": {"type": "multiple", "points": 2, "correct": ["a", "c"], "partial_credit": True,
               "choices": ["a", "b", "c"], "shuffle_choices": False},
        "q3": {"type": "numeric", "points": 1, "answer": 7},
        "q4": {"type": "true_false", "points": 1, "answer": True},
        "q5": {"type": "short_text", "points": 1, "answers": ["mode"]},
        "q6": {"type": "long_text", "points": 3},
    },
}, "keys/stats.json")

# Scores, worked out from the answers below:
#        q1 (1)  q2 (2)                      q3 (1)  | q4 (1)  q5 (1)  q6 (3, by hand)  total
#   A    1 (b)   2 (a, c)                    1       | 1       0       -                5
#   B    1 (b)   1 (a: (1 - 0) / 2 x 2)      0       | 1       0       -                3
#   C    0 (a)   1 (c)                       1       | 1       0       -                3
#   D    0 (-)   0 (b: max(0, 0 - 1) / 2)    0       | 1       0       -                1
ANSWERS = {
    "A": ({"q1": "b", "q2": ["a", "c"], "q3": 7}, {"q4": True, "q5": "median", "q6": "..."}),
    "B": ({"q1": "b", "q2": ["a"], "q3": 8}, {"q4": True, "q5": "mean", "q6": "..."}),
    "C": ({"q1": "a", "q2": ["c"], "q3": 7}, {"q4": True, "q5": "range", "q6": "..."}),
    "D": ({"q2": ["b"]}, {"q4": True, "q5": "", "q6": "..."}),
}
_ids = itertools.count()


def record(attendee: str, part: int, answers: dict) -> Record:
    questions = ["q1", "q2", "q3"] if part == 1 else ["q4", "q5", "q6"]
    return Record(f"subs.jsonl:{next(_ids)}", {
        "schema": 1, "kind": "final", "submission_id": f"s-{attendee}-{part}", "exam_id": "stats",
        "part": part, "part_count": 2, "attendee_identifier": attendee, "answers": answers,
        "order": {"questions": questions, "choices": {"q1": ["a", "b", "c"], "q2": ["a", "b", "c"]} if part == 1 else {}},
        "submitted_at": "2026-12-01T10:00:00Z"})


def analysis(candidates=ANSWERS):
    records = [record(who, part + 1, answers[part]) for who, answers in candidates.items() for part in (0, 1)]
    result = grade({"stats": KEY}, records)
    assert result.problems == ()
    return item_analysis("stats", result.rows, KEY)


def test_the_figures_match_the_hand_computed_ones():
    found = analysis()
    by_id = {q.question_id: q for q in found.questions}
    assert list(by_id) == ["q1", "q2", "q3", "q4", "q5", "q6"]
    q1, q2, q3, q4, q5, q6 = (by_id[f"q{n}"] for n in range(1, 7))

    # q1: facility (1 + 1 + 0 + 0) / 4 / 1 = 0.5. Rest of the test (total - q1) = 4, 2, 3, 1.
    # Deviations: q1 .5 .5 -.5 -.5, rest (mean 2.5) 1.5 -.5 .5 -1.5; sum of products .75 - .25 - .25 + .75 = 1;
    # sums of squares 4 x .25 = 1 and 2.25 + .25 + .25 + 2.25 = 5; r = 1 / sqrt(1 x 5) = 0.4472.
    assert q1.facility == 0.5 and q1.discrimination == pytest.approx(1 / math.sqrt(5))
    # Options: a picked by C (1 of 4), b by A and B (2 of 4, correct), c by nobody; D left it unanswered.
    assert [(o.choice_id, o.correct, o.count, o.share) for o in q1.options] == [
        ("a", False, 1, 0.25), ("b", True, 2, 0.5), ("c", False, 0, 0.0)]
    assert (q1.shown, q1.graded, q1.unanswered, q1.flag) == (4, 4, 1, None)

    # q2: facility (2 + 1 + 1 + 0) / 4 / 2 = 0.5. Rest = 3, 2, 2, 1; deviations of q2 (mean 1) 1 0 0 -1,
    # of the rest (mean 2) 1 0 0 -1: r = 2 / sqrt(2 x 2) = 1.
    assert q2.facility == 0.5 and q2.discrimination == pytest.approx(1.0)
    # a: A, B (2/4); b: D (1/4); c: A, C (2/4).
    assert [(o.choice_id, o.correct, o.count, o.share) for o in q2.options] == [
        ("a", True, 2, 0.5), ("b", False, 1, 0.25), ("c", True, 2, 0.5)]

    # q3: facility 2 / 4 = 0.5. Rest = 4, 3, 2, 1 (mean 2.5): deviations 1.5 .5 -.5 -1.5 against
    # .5 -.5 .5 -.5: products .75 - .25 - .25 + .75 = 1; r = 1 / sqrt(1 x 5) = 0.4472.
    assert q3.facility == 0.5 and q3.discrimination == pytest.approx(0.4472136)
    assert q3.options == ()

    # q4: everybody right: facility 1, no variance, so no discrimination. q5: nobody right.
    assert (q4.facility, q4.discrimination, q4.flag) == (1.0, None, "everybody")
    assert (q5.facility, q5.discrimination, q5.flag) == (0.0, None, "nobody")
    assert q5.unanswered == 0  # "" is an answer, a wrong one
    # q6 waits for a person: counted, no figures.
    assert (q6.shown, q6.graded, q6.facility, q6.discrimination, q6.flag) == (4, 0, None, None, None)

    part1, part2 = found.parts
    # Part 1: totals over q1-q3 = 4, 2, 2, 0 (mean 2): variance (4 + 0 + 0 + 4) / 4 = 2. Question variances:
    # q1 .25, q2 (mean 1) (1 + 0 + 0 + 1) / 4 = .5, q3 .25; sum 1. alpha = 3/2 x (1 - 1/2) = 0.75.
    assert (part1.part, part1.candidates, part1.items) == (1, 4, 3)
    assert part1.alpha == pytest.approx(0.75)
    # Part 2: q4 and q5 (q6 is graded by hand); totals 1, 1, 1, 1 do not vary: alpha undefined.
    assert (part2.part, part2.candidates, part2.items, part2.alpha) == (2, 4, 2, None)


def test_one_candidate_gives_facilities_and_no_undefined_figure():
    found = analysis({"A": ANSWERS["A"]})
    assert [q.facility for q in found.questions] == [1.0, 1.0, 1.0, 1.0, 0.0, None]
    assert all(q.discrimination is None for q in found.questions)
    assert [p.alpha for p in found.parts] == [None, None]


def test_undefined_figures_are_none_never_nan():
    assert correlation([1, 1, 1], [0, 1, 2]) is None
    assert correlation([0.1 + 0.2, 0.3, 0.3], [1, 2, 3]) is None  # constant within rounding
    assert correlation([1], [1]) is None
    assert cronbach_alpha([[1, 0], [1, 0]]) is None  # totals do not vary
    assert cronbach_alpha([[1], [0]]) is None  # one question
    assert cronbach_alpha([[1, 1]]) is None  # one candidate
    # Two questions that always agree: totals 2, 0 (variance 1), each question .25: 2 x (1 - .5/1) = 1.
    assert cronbach_alpha([[1, 1], [0, 0]]) == pytest.approx(1.0)


def test_figures_count_only_the_candidates_shown_the_question():
    """D submits part 1 only: part 2's figures are over A, B and C."""
    records = [record(w, p + 1, a[p]) for w, a in ANSWERS.items() for p in (0, 1) if (w, p) != ("D", 1)]
    found = item_analysis("stats", grade({"stats": KEY}, records).rows, KEY)
    by_id = {q.question_id: q for q in found.questions}
    assert by_id["q1"].shown == 4 and by_id["q4"].shown == 3 and by_id["q4"].flag == "everybody"
    assert [(p.part, p.candidates) for p in found.parts] == [(1, 4), (2, 3)]
