"""The exam model: frozen dataclasses, one per question type.

A question type is defined here (its fields and its private key material), parsed in `exams.py`,
checked in `validate.py` and rendered by the runtime (`assets/exam.js`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Union

from .diagnostics import Position


@dataclass(frozen=True)
class Text:
    """Markdown as the instructor wrote it, with where it starts and where its images live."""

    source: str
    position: Position
    base_dir: Path


@dataclass(frozen=True, kw_only=True)
class Question:
    TYPE: ClassVar[str] = ""
    id: str
    prompt: Text
    points: float
    position: Position

    def key(self) -> dict:
        """What a grader needs and a candidate must never see."""
        return {"type": self.TYPE, "points": self.points}


@dataclass(frozen=True)
class Choice:
    id: str
    text: Text
    correct: bool
    position: Position


@dataclass(frozen=True, kw_only=True)
class ChoiceQuestion(Question):
    choices: tuple[Choice, ...]
    shuffle: bool | None  # None: the exam's setting

    @property
    def correct_ids(self) -> list[str]:
        return [choice.id for choice in self.choices if choice.correct]

    def key(self) -> dict:
        return {**super().key(), "correct": self.correct_ids}


@dataclass(frozen=True, kw_only=True)
class SingleChoice(ChoiceQuestion):
    TYPE: ClassVar[str] = "single"


@dataclass(frozen=True, kw_only=True)
class MultipleChoice(ChoiceQuestion):
    TYPE: ClassVar[str] = "multiple"
    partial_credit: bool

    def key(self) -> dict:
        return {**super().key(), "partial_credit": self.partial_credit}


@dataclass(frozen=True, kw_only=True)
class TrueFalse(Question):
    TYPE: ClassVar[str] = "true_false"
    answer: bool

    def key(self) -> dict:
        return {**super().key(), "answer": self.answer}


@dataclass(frozen=True, kw_only=True)
class ShortText(Question):
    TYPE: ClassVar[str] = "short_text"
    answers: tuple[str, ...]
    case_sensitive: bool

    def key(self) -> dict:
        return {**super().key(), "answers": list(self.answers), "case_sensitive": self.case_sensitive}


@dataclass(frozen=True, kw_only=True)
class LongText(Question):
    TYPE: ClassVar[str] = "long_text"
    rubric: str | None

    def key(self) -> dict:
        return {**super().key(), "rubric": self.rubric}


@dataclass(frozen=True, kw_only=True)
class Numeric(Question):
    TYPE: ClassVar[str] = "numeric"
    answer: float
    tolerance: float

    def key(self) -> dict:
        return {**super().key(), "answer": self.answer, "tolerance": self.tolerance}


QUESTION_TYPES: dict[str, type[Question]] = {
    cls.TYPE: cls for cls in (SingleChoice, MultipleChoice, TrueFalse, ShortText, LongText, Numeric)
}


@dataclass(frozen=True)
class PoolDraw:
    """N questions drawn, per candidate, out of a named pool."""

    pool: str
    draw: int
    position: Position


PartItem = Union[Question, PoolDraw]


@dataclass(frozen=True)
class Part:
    index: int  # 1-based
    title: str
    time_limit: int  # minutes
    items: tuple[PartItem, ...]
    position: Position
    time_limit_position: Position


@dataclass(frozen=True)
class Pool:
    name: str
    questions: tuple[Question, ...]
    position: Position


@dataclass(frozen=True)
class Accommodation:
    """Extra time for listed attendees (for example 25 or 50 percent)."""

    extra_time_percent: int
    attendees: tuple[str, ...]
    position: Position


@dataclass(frozen=True)
class Exam:
    id: str
    title: str
    instructions: Text | None
    workflow_identifier: str
    lang: str
    languages: tuple[str, ...]
    shuffle_questions: bool
    shuffle_choices: bool
    pools: tuple[Pool, ...]
    parts: tuple[Part, ...]
    source: Path
    position: Position
    accommodations: tuple[Accommodation, ...] = ()

    def pool(self, name: str) -> Pool | None:
        return next((pool for pool in self.pools if pool.name == name), None)

    def all_questions(self) -> list[Question]:
        """Every question once: the parts' own, then the pools'."""
        own = [item for part in self.parts for item in part.items if isinstance(item, Question)]
        return own + [question for pool in self.pools for question in pool.questions]

    def shuffles_choices(self, question: ChoiceQuestion) -> bool:
        """Whether the page shuffles this question's choices (its own setting, else the exam's)."""
        return self.shuffle_choices if question.shuffle is None else question.shuffle

    def question_count(self, part: Part) -> int:
        return sum(item.draw if isinstance(item, PoolDraw) else 1 for item in part.items)
