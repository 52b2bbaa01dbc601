"""Grade submission payloads against the answer keys. Pure functions: records in, rows out.

Rules (docs/page-contract.md for the formats):

- One row per candidate (`attendee_identifier`) and exam; the exam's parts are combined.
- Only `kind: "final"` payloads count; interim ones are autosaves and are ignored. The same
  `submission_id` seen twice with the same content (a retried POST) counts once; seen for two
  attendees, or twice with different content, every version is a conflict and none is graded.
  Two different final submissions for one part: the one submitted last counts, and the other is
  reported.
- Nothing the browser says is believed where it can be checked: the pool draws, the question
  order and every choice order are re-derived from the attendee, the exam and the pool (draws.py)
  and a payload that claims another order is refused; with link secrets, a payload without a
  valid token for its exam and attendee (links.py) is refused.
- single: full points when the chosen id is a correct one. multiple: all or nothing, or with
  `partial_credit: true`, points x max(0, (correct picks - wrong picks) / number of correct).
  true_false: exact. numeric: |answer - key| <= tolerance (a string answer, i.e. text that is
  not a number, scores 0). short_text: any accepted answer after Unicode NFC, trimming and
  collapsing whitespace; case-insensitive (casefold) unless `case_sensitive`.
  long_text: listed for marking by a person; a mark given (`marks`) counts, else it awaits
  marking. ordering: all or nothing, or with `partial_credit: true`, points x the candidate's
  adjacent pairs that stand next to each other, in that order, in the key / (items - 1).
  matching: points x prompts matched right / prompts. cloze: points x blanks right / blanks, each
  blank as short_text (its `answers`, `case_sensitive`) or numeric (its `answer`, `tolerance`).
- A submission that does not match its key (unknown exam, part or question, an answer of the
  wrong shape, an order that cannot come from the key) is reported with its origin and left out;
  every other submission is still graded.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from .draws import page_order
from .keys import BlankKey, ExamKey, PartKey, QuestionKey
from .links import Secrets, verify_token
from .sources import Problem, Record

# A mark for a long_text answer: (exam id, attendee id, question id) -> points.
Marks = Mapping[tuple[str, str, str], float]

# Floating-point slack for numeric tolerance, relative to the key's magnitude: 0.1 + 0.2 is 0.3.
_NUMERIC_SLACK = 1e-9
# A number as a cloze blank holds it (typed text): what the page's numeric questions accept.
_TYPED_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class Mismatch(Exception):
    """A submission that does not fit its key; the message says why."""


@dataclass(frozen=True)
class QuestionScore:
    question_id: str
    part: int
    status: str  # correct | partial | wrong | unanswered | manual (awaiting marking) | marked
    points: float | None  # None while it awaits marking
    max_points: float
    picked: tuple[str, ...] = ()  # the choice ids picked (single, multiple), for item analysis (stats.py)


@dataclass(frozen=True)
class ManualItem:
    exam_id: str
    attendee_identifier: str
    question_id: str
    max_points: float
    answer: str
    origin: str
    submission_id: str
    mark: float | None  # None: awaiting marking


@dataclass(frozen=True)
class PartSubmission:
    """One final payload that fits its key, with its scores."""

    exam_id: str
    attendee_identifier: str
    part: int
    submission_id: str
    submitted_at: str
    session_identifier: str | None
    proview_session_uuid: str | None
    origin: str
    scores: tuple[QuestionScore, ...]
    manual: tuple[ManualItem, ...]


@dataclass(frozen=True)
class GradeRow:
    exam_id: str
    exam_title: str
    attendee_identifier: str
    session_identifiers: tuple[str, ...]
    proview_session_uuids: tuple[str, ...]
    parts_submitted: tuple[int, ...]
    parts_missing: tuple[int, ...]
    scores: tuple[QuestionScore, ...]
    points: float  # points scored so far: graded automatically, and marked
    max_points: float  # everything the candidate could score, manual questions included
    manual: tuple[ManualItem, ...]  # every long_text answer, marked or not
    origins: tuple[str, ...]

    @property
    def pending(self) -> tuple[ManualItem, ...]:
        """The answers still awaiting marking: until none is left, `points` is not the total."""
        return tuple(m for m in self.manual if m.mark is None)

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0


@dataclass(frozen=True)
class GradeResult:
    rows: tuple[GradeRow, ...]
    problems: tuple[Problem, ...]  # records not graded, or superseded, and why
    conflicts: tuple[Problem, ...] = ()  # records sharing a submission_id, none of them graded


# --- one question -------------------------------------------------------------------------

def normalise_text(text: str, case_sensitive: bool) -> str:
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text if case_sensitive else text.casefold()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# One table of question types: what an answer looks like and how it scores. A type the table
# does not know is an error for the record that has it, never a fall-through.

def _one_choice(answer: Any) -> tuple[str, ...] | None:
    return (answer,) if isinstance(answer, str) else None


def _choices(answer: Any) -> tuple[str, ...] | None:
    ok = (isinstance(answer, list) and all(isinstance(a, str) for a in answer)
          and len(set(answer)) == len(answer))
    return tuple(answer) if ok else None


def _boolean(answer: Any) -> tuple[str, ...] | None:
    return () if isinstance(answer, bool) else None


def _number_or_text(answer: Any) -> tuple[str, ...] | None:
    # Text that is not a number is what the candidate typed: well-shaped, and wrong.
    return () if _is_number(answer) or isinstance(answer, str) else None


def _text_answer(answer: Any) -> tuple[str, ...] | None:
    return () if isinstance(answer, str) else None


def _pairs(answer: Any) -> tuple[str, ...] | None:
    ok = isinstance(answer, dict) and all(isinstance(v, str) for v in answer.values())
    return () if ok else None


def _blank_texts(answer: Any) -> tuple[str, ...] | None:
    ok = isinstance(answer, list) and all(a is None or isinstance(a, str) for a in answer)
    return () if ok else None


def _fits_ordering(key: QuestionKey, answer: Any) -> str | None:
    return None if sorted(answer) == sorted(key.items) else "expected every item id once"


def _fits_matching(key: QuestionKey, answer: Any) -> str | None:
    prompts = dict(key.pairs)
    wrong = [f"{p}: {o}" for p, o in answer.items() if p not in prompts or o not in key.options]
    return f"unknown prompt or option ({', '.join(wrong)})" if wrong else None


def _fits_cloze(key: QuestionKey, answer: Any) -> str | None:
    return None if len(answer) == len(key.blanks) else f"expected {len(key.blanks)} blank(s), got {len(answer)}"


def _score_single(key: QuestionKey, answer: Any) -> float:
    return 1.0 if answer in key.correct else 0.0


def _score_multiple(key: QuestionKey, answer: Any) -> float:
    picked, correct = set(answer), set(key.correct)
    if key.partial_credit:
        return max(0.0, (len(picked & correct) - len(picked - correct)) / len(correct))
    return 1.0 if picked == correct else 0.0


def _score_true_false(key: QuestionKey, answer: Any) -> float:
    return 1.0 if answer is key.answer else 0.0


def _score_numeric(key: QuestionKey, answer: Any) -> float:
    target = float(key.answer)  # type: ignore[arg-type]
    slack = _NUMERIC_SLACK * max(1.0, abs(target))
    return 1.0 if _is_number(answer) and abs(answer - target) <= key.tolerance + slack else 0.0


def _score_short_text(key: QuestionKey, answer: Any) -> float:
    given = normalise_text(answer, key.case_sensitive)
    accepted = {normalise_text(a, key.case_sensitive) for a in key.answers}
    return 1.0 if given in accepted else 0.0


def _score_ordering(key: QuestionKey, answer: Any) -> float:
    if not key.partial_credit:
        return 1.0 if tuple(answer) == key.items else 0.0
    place = {item: n for n, item in enumerate(key.items)}
    right = sum(1 for a, b in zip(answer, answer[1:]) if place[b] == place[a] + 1)
    return right / (len(key.items) - 1)


def _score_matching(key: QuestionKey, answer: Any) -> float:
    return sum(1 for prompt, option in key.pairs if answer.get(prompt) == option) / len(key.pairs)


def _blank_right(blank: BlankKey, typed: str | None) -> bool:
    if typed is None:
        return False
    if blank.answer is None:
        given = normalise_text(typed, blank.case_sensitive)
        return given in {normalise_text(a, blank.case_sensitive) for a in blank.answers}
    number = typed.strip()
    if "." not in number:
        number = number.replace(",", ".", 1)  # "1,5" in comma-decimal locales, as the page reads it
    if not _TYPED_NUMBER.fullmatch(number):
        return False
    slack = _NUMERIC_SLACK * max(1.0, abs(blank.answer))
    return abs(float(number) - blank.answer) <= blank.tolerance + slack


def _score_cloze(key: QuestionKey, answer: Any) -> float:
    return sum(1 for blank, typed in zip(key.blanks, answer) if _blank_right(blank, typed)) / len(key.blanks)


@dataclass(frozen=True)
class Grading:
    expected: str  # what an answer looks like, for messages
    # The choice ids a well-shaped answer picks (empty when the type has no choices); None when
    # the answer has the wrong shape.
    picks: Callable[[Any], tuple[str, ...] | None]
    # The fraction of the points an answer earns; None: a person marks it.
    score: Callable[[QuestionKey, Any], float] | None
    # Why a well-shaped answer still cannot answer this key (unknown ids, a wrong count); None: it can.
    fits: Callable[[QuestionKey, Any], str | None] = lambda key, answer: None


GRADING: Mapping[str, Grading] = {
    "single": Grading("a choice id", _one_choice, _score_single),
    "multiple": Grading("a list of choice ids", _choices, _score_multiple),
    "true_false": Grading("true or false", _boolean, _score_true_false),
    "numeric": Grading("a number", _number_or_text, _score_numeric),
    "short_text": Grading("text", _text_answer, _score_short_text),
    "long_text": Grading("text", _text_answer, None),
    "ordering": Grading("a list of item ids", _choices, _score_ordering, _fits_ordering),
    "matching": Grading("an object of prompt id -> option id", _pairs, _score_matching, _fits_matching),
    "cloze": Grading("a list of texts, one a blank", _blank_texts, _score_cloze, _fits_cloze),
}


def grading(key: QuestionKey) -> Grading:
    found = GRADING.get(key.type)
    if found is None:
        raise Mismatch(f"question {key.id}: no grading rule for question type {key.type!r}")
    return found


def check_shape(key: QuestionKey, answer: Any, shown_choices: tuple[str, ...] | None) -> None:
    """Raise Mismatch when `answer` cannot be an answer to `key` at all."""
    qtype = grading(key)
    picked = qtype.picks(answer)
    if picked is None:
        raise Mismatch(f"question {key.id} ({key.type}): expected {qtype.expected}, got {answer!r}")
    unfit = qtype.fits(key, answer)
    if unfit is not None:
        raise Mismatch(f"question {key.id} ({key.type}): {unfit}, got {answer!r}")
    if shown_choices is not None:
        unknown = [c for c in picked if c not in shown_choices]
        if unknown:
            raise Mismatch(f"question {key.id}: choice(s) {', '.join(map(repr, unknown))} "
                           "were not among the choices shown")


def score_answer(key: QuestionKey, answer: Any) -> tuple[str, float | None]:
    """(status, points) for a well-shaped answer; points is None for manual grading."""
    score = grading(key).score
    if score is None:
        return "manual", None
    fraction = score(key, answer)
    status = "correct" if fraction == 1.0 else "wrong" if fraction == 0.0 else "partial"
    return status, round(key.points * fraction, 6)


def picked_choices(key: QuestionKey, answer: Any) -> tuple[str, ...]:
    """The choice ids a well-shaped answer picks; none for questions without choices."""
    if key.type == "single":
        return (answer,)
    return tuple(answer) if key.type == "multiple" else ()


# --- one payload --------------------------------------------------------------------------

def _text(payload: Mapping[str, Any], field: str, optional: bool = False) -> str | None:
    value = payload.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not value and not optional):
        raise Mismatch(f"{field} missing or not text")
    return value or None


def presented_questions(exam: ExamKey, part: PartKey, order: Any) -> tuple[str, ...]:
    """The question ids this candidate saw in `part`, from the payload's recorded order."""
    fixed = part.questions
    members = {q: pool for pool, _ in part.pools for q in exam.pools[pool]}
    if order is None:
        if part.pools:
            raise Mismatch("order.questions missing, so the pool draw cannot be known")
        return fixed
    if not isinstance(order, list) or not all(isinstance(q, str) for q in order):
        raise Mismatch("order.questions is not a list of question ids")
    if len(set(order)) != len(order):
        raise Mismatch("order.questions lists a question twice")
    for qid in order:
        if qid not in exam.questions:
            raise Mismatch(f"order.questions: unknown question {qid!r}")
        if qid not in fixed and qid not in members:
            raise Mismatch(f"order.questions: question {qid!r} is not in part {part.index}")
    missing = [q for q in fixed if q not in order]
    if missing:
        raise Mismatch(f"order.questions leaves out {', '.join(missing)}")
    for pool, draw in part.pools:
        drawn = sum(1 for q in order if members.get(q) == pool and q not in fixed)
        expected = min(draw, len(exam.pools[pool]))
        if drawn != expected:
            raise Mismatch(f"pool {pool!r}: {drawn} question(s) drawn, the key draws {expected}")
    return tuple(order)


def verify_order(exam: ExamKey, part: PartKey, attendee: str, shown: tuple[str, ...],
                 choices: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    """The choice orders this attendee's page shows; Mismatch when the payload claims other
    questions, another question order or another choice order than the page shows."""
    expected = page_order(exam, part, attendee)
    if shown != expected.questions:
        raise Mismatch(f"order.questions is not the pool draw and question order the page shows "
                       f"attendee {attendee!r}")
    for qid, claimed in choices.items():
        if qid not in expected.choices:
            raise Mismatch(f"order.choices.{qid}: no choices of that question were shown")
        if claimed != list(expected.choices[qid]):
            raise Mismatch(f"order.choices.{qid} is not the choice order the page shows "
                           f"attendee {attendee!r}")
    missing = [q for q in expected.choices if q not in choices]
    if missing:
        raise Mismatch(f"order.choices leaves out {', '.join(missing)}")
    return expected.choices


def grade_part(exam: ExamKey, record: Record, marks: Marks) -> PartSubmission:
    payload = record.payload
    attendee = _text(payload, "attendee_identifier")
    submission_id = _text(payload, "submission_id")
    part_index = payload.get("part")
    if isinstance(part_index, bool) or not isinstance(part_index, int):
        raise Mismatch("part missing or not a number")
    part = exam.part(part_index)
    if part is None:
        raise Mismatch(f"exam {exam.exam_id!r} has no part {part_index}")
    part_count = payload.get("part_count")
    if part_count is not None and part_count != len(exam.parts):
        raise Mismatch(f"part_count {part_count!r}, but the key has {len(exam.parts)} part(s)")
    answers = payload.get("answers", {})
    if not isinstance(answers, dict):
        raise Mismatch("answers is not an object")
    order = payload.get("order") or {}
    if not isinstance(order, dict):
        raise Mismatch("order is not an object")
    shown = presented_questions(exam, part, order.get("questions"))
    choices = order.get("choices") or {}
    if not isinstance(choices, dict):
        raise Mismatch("order.choices is not an object")
    shown_choices = verify_order(exam, part, attendee, shown, choices)  # type: ignore[arg-type]
    for qid in answers:
        if qid not in exam.questions:
            raise Mismatch(f"answer to unknown question {qid!r}")
        if qid not in shown:
            raise Mismatch(f"answer to question {qid!r}, which was not shown in part {part_index}")
    scores, manual = [], []
    for qid in shown:
        key = exam.questions[qid]
        if qid not in answers or answers[qid] is None:
            scores.append(QuestionScore(qid, part_index, "unanswered", 0.0, key.points))
            continue
        check_shape(key, answers[qid], shown_choices.get(qid))
        status, points = score_answer(key, answers[qid])
        if status == "manual":
            mark = marks.get((exam.exam_id, attendee, qid))  # type: ignore[arg-type]
            if mark is not None:
                status, points = "marked", mark
            manual.append(ManualItem(exam.exam_id, attendee, qid, key.points,  # type: ignore[arg-type]
                                     answers[qid], record.origin, submission_id, mark))  # type: ignore[arg-type]
        scores.append(QuestionScore(qid, part_index, status, points, key.points, picked_choices(key, answers[qid])))
    return PartSubmission(
        exam_id=exam.exam_id, attendee_identifier=attendee,  # type: ignore[arg-type]
        part=part_index, submission_id=submission_id,  # type: ignore[arg-type]
        submitted_at=str(payload.get("submitted_at") or ""),
        session_identifier=_text(payload, "session_identifier", optional=True),
        proview_session_uuid=_text(payload, "proview_session_uuid", optional=True),
        origin=record.origin, scores=tuple(scores), manual=tuple(manual))


# --- everything ---------------------------------------------------------------------------

def nominal_max(exam: ExamKey, part: PartKey) -> float:
    """Points a part is worth when nobody's draw is known: fixed questions + the best draws."""
    total = sum(exam.questions[q].points for q in part.questions)
    for pool, draw in part.pools:
        best = sorted((exam.questions[q].points for q in exam.pools[pool]), reverse=True)
        total += sum(best[:draw])
    return total


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def combine(exam: ExamKey, attendee: str, parts: Mapping[int, PartSubmission]) -> GradeRow:
    submitted = [parts[p.index] for p in exam.parts if p.index in parts]
    missing = tuple(p.index for p in exam.parts if p.index not in parts)
    scores = tuple(s for sub in submitted for s in sub.scores)
    max_points = sum(s.max_points for s in scores)
    max_points += sum(nominal_max(exam, p) for p in exam.parts if p.index in missing)
    return GradeRow(
        exam_id=exam.exam_id, exam_title=exam.title, attendee_identifier=attendee,
        session_identifiers=_unique(s.session_identifier for s in submitted),
        proview_session_uuids=_unique(s.proview_session_uuid for s in submitted),
        parts_submitted=tuple(s.part for s in submitted), parts_missing=missing,
        scores=scores, points=round(sum(s.points or 0.0 for s in scores), 6),
        max_points=round(max_points, 6),
        manual=tuple(m for sub in submitted for m in sub.manual),
        origins=tuple(s.origin for s in submitted))


def _content(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


def find_conflicts(records: list[Record]) -> tuple[list[Record], list[Problem]]:
    """Records with a submission_id of their own, once each (a retried POST repeats a payload
    exactly), and a conflict for every version of an id sent for two attendees or with two
    different contents: which version is genuine cannot be told, so none is graded."""
    versions: dict[str, dict[str, Record]] = {}  # submission_id -> content -> its first record
    for record in records:
        versions.setdefault(record.payload["submission_id"], {}).setdefault(_content(record.payload), record)
    kept = [r for r in records if list(versions[r.payload["submission_id"]].values()) == [r]]
    conflicts: list[Problem] = []
    for submission_id, by_content in versions.items():
        if len(by_content) == 1:
            continue
        for record in by_content.values():
            attendee = record.payload.get("attendee_identifier")
            others = [f"also used by attendee {o.payload.get('attendee_identifier')!r} at {o.origin}"
                      if o.payload.get("attendee_identifier") != attendee
                      else f"also sent with different content at {o.origin}"
                      for o in by_content.values() if o is not record]
            conflicts.append(Problem(record.origin, f"conflict: submission_id {submission_id} for "
                                                    f"attendee {attendee!r} is {'; '.join(others)}; "
                                                    "not graded"))
    return kept, conflicts


def _when(record: Record) -> datetime | None:
    """When a submission arrived (the collection service's time), else when the page says it
    was sent; for a link token's expiry."""
    for text in (record.received_at, record.payload.get("submitted_at")):
        if isinstance(text, str):
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                continue
            if when.tzinfo is not None:
                return when
    return None


def token_problem(record: Record, secrets: Secrets) -> Problem | None:
    payload = record.payload
    exam_id, attendee = payload.get("exam_id"), payload.get("attendee_identifier")
    if not isinstance(exam_id, str) or not isinstance(attendee, str):
        return Problem(record.origin, "exam_id or attendee_identifier missing, so the link token "
                                      "cannot be checked; not graded")
    when = _when(record)
    if when is None:
        return Problem(record.origin, "no time of receipt or submitted_at, so the link token's "
                                      "expiry cannot be checked; not graded")
    reason = verify_token(payload.get("token"), exam_id, attendee, secrets, when)
    if reason is None:
        return None
    return Problem(record.origin, f"submission {payload['submission_id']} for attendee {attendee!r}: "
                                  f"link token {reason}; not graded")


def grade(keys: Mapping[str, ExamKey], records: Iterable[Record], *,
          secrets: Secrets | None = None, marks: Marks | None = None) -> GradeResult:
    """`secrets`: grade only submissions with a valid link token. `marks`: long_text marks."""
    problems: list[Problem] = []
    identified: list[Record] = []
    for record in records:
        payload = record.payload
        if payload.get("schema") != 1:
            problems.append(Problem(record.origin, f"unsupported schema {payload.get('schema')!r}"))
            continue
        if payload.get("kind") not in ("final", "interim"):
            problems.append(Problem(record.origin, f"kind {payload.get('kind')!r} is neither "
                                                   "final nor interim"))
            continue
        submission_id = payload.get("submission_id")
        if not isinstance(submission_id, str) or not submission_id:
            problems.append(Problem(record.origin, "submission_id missing or not text"))
            continue
        identified.append(record)
    unique, conflicts = find_conflicts(identified)
    # (exam, attendee, part) -> the final submission that counts
    chosen: dict[tuple[str, str, int], PartSubmission] = {}
    for record in unique:
        payload = record.payload
        if payload["kind"] == "interim":
            continue  # autosave; only the final submission of a part counts
        if secrets is not None:
            refused = token_problem(record, secrets)
            if refused is not None:
                problems.append(refused)
                continue
        exam_id = payload.get("exam_id")
        exam = keys.get(exam_id) if isinstance(exam_id, str) else None
        if exam is None:
            problems.append(Problem(record.origin,
                                    f"unknown exam {payload.get('exam_id')!r} (no answer key)"))
            continue
        try:
            graded = grade_part(exam, record, marks or {})
        except Mismatch as exc:
            problems.append(Problem(record.origin, f"submission {payload['submission_id']} does not "
                                                   f"match key {exam.source}: {exc}; not graded"))
            continue
        slot = (graded.exam_id, graded.attendee_identifier, graded.part)
        earlier = chosen.get(slot)
        if earlier is not None:
            # ISO 8601 strings in one format sort by time; ties keep file order.
            keep, drop = ((graded, earlier) if graded.submitted_at >= earlier.submitted_at
                          else (earlier, graded))
            chosen[slot] = keep
            problems.append(Problem(drop.origin, f"superseded by a later final submission for "
                                                 f"part {drop.part} at {keep.origin}"))
        else:
            chosen[slot] = graded
    by_candidate: dict[tuple[str, str], dict[int, PartSubmission]] = {}
    for (exam_id, attendee, part), sub in chosen.items():
        by_candidate.setdefault((exam_id, attendee), {})[part] = sub
    rows = tuple(combine(keys[exam_id], attendee, parts)
                 for (exam_id, attendee), parts in sorted(by_candidate.items()))
    return GradeResult(rows, tuple(problems), tuple(conflicts))
