"""Item analysis of one exam's grade rows, as Moodle's quiz statistics report: pure functions.

Per question, over the candidates who were shown it (pool draws differ between candidates):

- facility: the mean score over the question's points (0 to 1; 1 = everybody got full marks);
- discrimination: the correlation (Pearson's r) of the question's score with the rest of the
  test, i.e. the candidate's automatically graded points less this question's (the corrected
  item-total correlation, so a question is not correlated with itself);
- for single and multiple choice questions, the share of candidates picking each choice;
- a flag when nobody, or everybody, got full marks.

Per part: Cronbach's alpha over the part's automatically graded questions that every candidate
who submitted the part was shown, alpha = k / (k - 1) x (1 - sum of the questions' variances /
variance of the candidates' totals over them).

A figure that is undefined (one candidate, no variance, fewer than two questions) is None,
never NaN: the report shows it as a dash. Questions graded by hand are counted but have no
figures. Variances are population variances: the ratios above are the same with n - 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .grade import GradeRow, QuestionScore
from .keys import ExamKey

CHOICE_TYPES = ("single", "multiple")


@dataclass(frozen=True)
class OptionShare:
    choice_id: str
    correct: bool
    count: int  # candidates who picked it
    share: float  # of the candidates shown the question, 0 to 1


@dataclass(frozen=True)
class QuestionStats:
    question_id: str
    part: int
    type: str  # as in the key; "" when the key does not know the question
    max_points: float
    shown: int  # candidates shown the question
    graded: int  # of them, with a score (not waiting for a person)
    unanswered: int
    facility: float | None
    discrimination: float | None
    options: tuple[OptionShare, ...]  # choice questions only
    flag: str | None  # "nobody" or "everybody" got full marks; None otherwise

    @property
    def flag_text(self) -> str:
        return {"nobody": "nobody got full marks", "everybody": "everybody got full marks"}.get(self.flag or "", "")


@dataclass(frozen=True)
class PartStats:
    part: int
    candidates: int  # who submitted the part
    items: int  # questions every one of them was shown, graded automatically
    alpha: float | None


@dataclass(frozen=True)
class ItemAnalysis:
    exam_id: str
    questions: tuple[QuestionStats, ...]
    parts: tuple[PartStats, ...]


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def variance(values: Sequence[float]) -> float:
    """Population variance (0 for fewer than two values)."""
    if len(values) < 2:
        return 0.0
    centre = mean(values)
    return math.fsum((v - centre) ** 2 for v in values) / len(values)


def constant(values: Sequence[float]) -> bool:
    """Do the values not vary? Within rounding: the rest of a test, a total less a question's
    points, is 2.9999999999999996 for one candidate and 3.0 for another."""
    return max(values) - min(values) <= 1e-9 * max(1.0, abs(max(values)))


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None when it is undefined (fewer than two pairs, or either side constant)."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    if constant(xs) or constant(ys):
        return None
    mx, my = mean(xs), mean(ys)
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def cronbach_alpha(items: Sequence[Sequence[float]]) -> float | None:
    """Alpha of a table of scores, one row per candidate, one column per question; None when it
    is undefined (fewer than two questions or candidates, or the totals do not vary)."""
    if len(items) < 2 or len(items[0]) < 2:
        return None
    k = len(items[0])
    totals = [math.fsum(row) for row in items]
    if constant(totals):
        return None
    total_variance = variance(totals)
    item_variances = math.fsum(variance([row[j] for row in items]) for j in range(k))
    return k / (k - 1) * (1 - item_variances / total_variance)


def question_stats(question_id: str, scores: Sequence[tuple[QuestionScore, float]],
                   key: ExamKey | None) -> QuestionStats:
    """Figures for one question from (its score, the candidate's automatically graded points) pairs."""
    first = scores[0][0]
    question = key.questions.get(question_id) if key is not None else None
    graded = [(score.points, total) for score, total in scores if score.points is not None]
    facility = None
    if graded and first.max_points > 0:
        facility = mean([points for points, _ in graded]) / first.max_points
    discrimination = correlation([points for points, _ in graded], [total - points for points, total in graded])
    options: tuple[OptionShare, ...] = ()
    if question is not None and question.type in CHOICE_TYPES:
        # Every choice the key names, in its order, picked or not; a pick the key does not name (a
        # forged payload's) is not a choice of the question and is not counted.
        counts: dict[str, int] = {choice: 0 for choice in question.choices or question.correct}
        for score, _ in scores:
            for choice in score.picked:
                if choice in counts:
                    counts[choice] += 1
        options = tuple(OptionShare(choice, choice in question.correct, count, count / len(scores))
                        for choice, count in counts.items())
    flag = None
    if graded:
        right = sum(score.status == "correct" for score, _ in scores)
        flag = "nobody" if right == 0 else "everybody" if right == len(scores) else None
    return QuestionStats(question_id, first.part, question.type if question is not None else "", first.max_points,
                         len(scores), len(graded), sum(score.status == "unanswered" for score, _ in scores),
                         facility, discrimination, options, flag)


def part_stats(part: int, rows: Sequence[GradeRow]) -> PartStats:
    submitted = [row for row in rows if part in row.parts_submitted]
    by_row = [{score.question_id: score for score in row.scores if score.part == part} for row in submitted]
    shared = [qid for qid in (by_row[0] if by_row else {})
              if all(qid in scores and scores[qid].points is not None for scores in by_row)]
    table = [[scores[qid].points or 0.0 for qid in shared] for scores in by_row]
    return PartStats(part, len(submitted), len(shared), cronbach_alpha(table) if shared else None)


def item_analysis(exam_id: str, rows: Sequence[GradeRow], key: ExamKey | None = None) -> ItemAnalysis:
    """The item analysis of one exam's rows (those of other exams are ignored); `key` gives the
    questions' types and correct choices, and their order."""
    rows = [row for row in rows if row.exam_id == exam_id]
    by_question: dict[str, list[tuple[QuestionScore, float]]] = {}
    for row in rows:
        for score in row.scores:
            by_question.setdefault(score.question_id, []).append((score, row.points))
    order = list(key.question_order()) if key is not None else []
    order += [qid for qid in by_question if qid not in order]
    questions = tuple(question_stats(qid, by_question[qid], key) for qid in order if qid in by_question)
    parts = sorted({score.part for row in rows for score in row.scores})
    return ItemAnalysis(exam_id, questions, tuple(part_stats(part, rows) for part in parts))

