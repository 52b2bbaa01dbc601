"""The order a candidate's page shows: pool draws, question and choice shuffles, re-derived.

The page (generator/render/runtime/exam.js, "deterministic draws and shuffles") seeds a generator from
`<attendee>|<exam id>|<name>` (FNV-1a over the string's UTF-16 code units, then mulberry32) and
shuffles with Fisher-Yates. This is the same algorithm in Python, bit for bit (32-bit unsigned
arithmetic throughout), so a grader can compute what each candidate was shown and refuse a
payload that claims anything else. tests/browser/test_draws.py holds the two to agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence, TypeVar

from .keys import ExamKey, PartKey

_MASK = 0xFFFFFFFF
T = TypeVar("T")


def _seed(text: str) -> int:
    """FNV-1a, 32 bits, over UTF-16 code units (what JavaScript's charCodeAt gives)."""
    h = 2166136261
    data = text.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 16777619) & _MASK
    return h


def _mulberry32(h: int) -> Iterator[int]:
    """The generator's outputs as 32-bit integers (the page divides them by 2**32)."""
    while True:
        h = (h + 0x6D2B79F5) & _MASK
        t = ((h ^ (h >> 15)) * (h | 1)) & _MASK
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & _MASK)) & _MASK) ^ t
        yield (t ^ (t >> 14)) & _MASK


def shuffled(items: Sequence[T], attendee: str, exam_id: str, name: str) -> list[T]:
    result = list(items)
    outputs = _mulberry32(_seed(f"{attendee}|{exam_id}|{name}"))
    for i in range(len(result) - 1, 0, -1):
        # floor(r * (i + 1)) with r = output / 2**32, exactly as the page's doubles compute it.
        j = (next(outputs) * (i + 1)) >> 32
        result[i], result[j] = result[j], result[i]
    return result


@dataclass(frozen=True)
class Order:
    """What one candidate's page shows in one part: the payload's `order`, as it must be."""

    questions: tuple[str, ...]
    choices: Mapping[str, tuple[str, ...]]


def page_order(exam: ExamKey, part: PartKey, attendee: str) -> Order:
    questions: list[str] = []
    for item in part.items:
        if item.pool is not None:
            drawn = shuffled(exam.pools[item.pool], attendee, exam.exam_id, item.pool)
            questions.extend(drawn[:item.draw])
        elif item.question is not None:
            questions.append(item.question)
    if exam.shuffle_questions:
        questions = shuffled(questions, attendee, exam.exam_id, "questions")
    choices = {}
    for qid in questions:
        key = exam.questions[qid]
        if key.choices:
            choices[qid] = tuple(shuffled(key.choices, attendee, exam.exam_id, qid)
                                 if key.shuffle_choices else key.choices)
    return Order(tuple(questions), choices)
