"""The exam model: frozen dataclasses, one per question type.

Each question type is one class here, the table the build reads: its fields (`FIELDS`), how it is
read from an exam file (`read`), its own rules (`check`), its private key material (`key`) and
the data its page gets (`page_data`). The browser runtime's table of types (`exam.js`) and the
graders' (`results/grade.py`) are the other two places a type lives. `QUESTION_TYPES` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol, Union

from generator.diagnostics import Diagnostics, Position
from generator.site.fields import Fields

Html = Callable[["Text"], str]  # renders a text for the page (render/pages.py)


class TextReader(Protocol):
    """What reading a question needs of the exam reader (exams.py): texts with their positions."""

    diagnostics: Diagnostics

    def text(self, value: Any, position: Position, what: str) -> "Text | None": ...

    def choices(self, fields: Fields, question_id: str) -> "tuple[Choice, ...]": ...


@dataclass(frozen=True)
class Text:
    """Markdown as the instructor wrote it, with where it starts and where its images live."""

    source: str
    position: Position
    base_dir: Path

    @property
    def file(self) -> Path:
        """The file the text was read from: the exam's own, or an included Markdown file."""
        return self.base_dir / Path(self.position.path).name


@dataclass(frozen=True, kw_only=True)
class Question:
    TYPE: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[str, ...]] = ()  # the type's own keys, besides id, type, prompt and points
    id: str
    prompt: Text
    points: float
    position: Position

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        """The question from its checked common fields and its own; None (reported) when it cannot be."""
        raise NotImplementedError(cls.TYPE)

    def check(self, diagnostics: Diagnostics) -> None:
        """The type's own rules, beyond what reading checks."""

    def key(self, shuffle_choices: bool) -> dict:
        """What a grader needs and a candidate must never see. `shuffle_choices`: the exam's setting."""
        return {"type": self.TYPE, "points": self.points}

    def page_data(self, html: Html, shuffle_choices: bool) -> dict:
        """What the page holds of the question: never an answer."""
        return {"id": self.id, "type": self.TYPE, "points": self.points, "prompt_html": html(self.prompt)}

    def texts(self) -> tuple[Text, ...]:
        return (self.prompt,)


@dataclass(frozen=True)
class Choice:
    id: str
    text: Text
    correct: bool
    position: Position


@dataclass(frozen=True, kw_only=True)
class ChoiceQuestion(Question):
    FIELDS: ClassVar[tuple[str, ...]] = ("choices", "shuffle")
    choices: tuple[Choice, ...]
    shuffle: bool | None  # None: the exam's setting

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        shuffle = fields.boolean("shuffle", True) if fields.has("shuffle") else None
        return cls(**common, choices=reader.choices(fields, common["id"]), shuffle=shuffle, **cls.read_more(fields))

    @classmethod
    def read_more(cls, fields: Fields) -> dict:
        return {}

    @property
    def correct_ids(self) -> list[str]:
        return [choice.id for choice in self.choices if choice.correct]

    def check(self, diagnostics: Diagnostics) -> None:
        if len(self.choices) < 2:
            diagnostics.error(self.position, f"question '{self.id}' needs at least two choices")
        if not self.correct_ids:
            diagnostics.error(self.position, f"question '{self.id}' has no correct choice: mark one with "
                                             "'correct: true'")
        ids: set[str] = set()
        texts: set[str] = set()
        for choice in self.choices:
            if choice.id in ids:
                diagnostics.error(choice.position, f"duplicate choice id '{choice.id}' in question '{self.id}'")
            if choice.text.source.strip() in texts:
                diagnostics.warning(choice.position, f"question '{self.id}' offers the same choice twice")
            ids.add(choice.id)
            texts.add(choice.text.source.strip())

    def shuffles(self, shuffle_choices: bool) -> bool:
        """Does the page shuffle this question's choices? Its own setting, else the exam's."""
        return shuffle_choices if self.shuffle is None else self.shuffle

    def key(self, shuffle_choices: bool) -> dict:
        # The choices and whether they are shuffled: what the page's seeded shuffle depends on, so
        # a grader re-derives the order each candidate was shown instead of believing a payload.
        return {**super().key(shuffle_choices), "correct": self.correct_ids,
                "choices": [choice.id for choice in self.choices], "shuffle_choices": self.shuffles(shuffle_choices)}

    def page_data(self, html: Html, shuffle_choices: bool) -> dict:
        return {**super().page_data(html, shuffle_choices),
                "shuffle_choices": self.shuffles(shuffle_choices),
                "choices": [{"id": choice.id, "html": html(choice.text)} for choice in self.choices]}

    def texts(self) -> tuple[Text, ...]:
        return (self.prompt, *(choice.text for choice in self.choices))


@dataclass(frozen=True, kw_only=True)
class SingleChoice(ChoiceQuestion):
    TYPE: ClassVar[str] = "single"

    def check(self, diagnostics: Diagnostics) -> None:
        super().check(diagnostics)
        correct = self.correct_ids
        if len(correct) > 1:
            diagnostics.error(self.position, f"single-choice question '{self.id}' has {len(correct)} correct "
                                             "choices; mark only one, or make it 'type: multiple'")


@dataclass(frozen=True, kw_only=True)
class MultipleChoice(ChoiceQuestion):
    TYPE: ClassVar[str] = "multiple"
    FIELDS: ClassVar[tuple[str, ...]] = ("choices", "shuffle", "partial_credit")
    partial_credit: bool

    @classmethod
    def read_more(cls, fields: Fields) -> dict:
        return {"partial_credit": fields.boolean("partial_credit", False)}

    def key(self, shuffle_choices: bool) -> dict:
        return {**super().key(shuffle_choices), "partial_credit": self.partial_credit}


@dataclass(frozen=True, kw_only=True)
class TrueFalse(Question):
    TYPE: ClassVar[str] = "true_false"
    FIELDS: ClassVar[tuple[str, ...]] = ("answer",)
    answer: bool

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        if fields.has("answer") and not isinstance(fields.mapping["answer"], bool):
            reader.diagnostics.error(fields.at("answer"), "a true_false 'answer' must be true or false")
            return None
        if not fields.has("answer"):
            reader.diagnostics.error(fields.pos, f"true_false question '{common['id']}' needs 'answer: true' or "
                                                 "'answer: false'")
            return None
        return cls(**common, answer=fields.mapping["answer"])

    def key(self, shuffle_choices: bool) -> dict:
        return {**super().key(shuffle_choices), "answer": self.answer}


@dataclass(frozen=True, kw_only=True)
class ShortText(Question):
    TYPE: ClassVar[str] = "short_text"
    FIELDS: ClassVar[tuple[str, ...]] = ("answers", "case_sensitive")
    answers: tuple[str, ...]
    case_sensitive: bool

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        answers = fields.string_list("answers", required=True)
        if answers is not None and not answers:
            reader.diagnostics.error(fields.at("answers"), f"short_text question '{common['id']}' needs at least "
                                                           "one accepted answer")
        return cls(**common, answers=answers or (), case_sensitive=fields.boolean("case_sensitive", False))

    def key(self, shuffle_choices: bool) -> dict:
        return {**super().key(shuffle_choices), "answers": list(self.answers), "case_sensitive": self.case_sensitive}


@dataclass(frozen=True, kw_only=True)
class LongText(Question):
    TYPE: ClassVar[str] = "long_text"
    FIELDS: ClassVar[tuple[str, ...]] = ("rubric",)
    rubric: str | None

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        return cls(**common, rubric=fields.string("rubric"))

    def key(self, shuffle_choices: bool) -> dict:
        return {**super().key(shuffle_choices), "rubric": self.rubric}


@dataclass(frozen=True, kw_only=True)
class Numeric(Question):
    TYPE: ClassVar[str] = "numeric"
    FIELDS: ClassVar[tuple[str, ...]] = ("answer", "tolerance")
    answer: float
    tolerance: float

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        answer = fields.number("answer", required=True)
        tolerance = fields.number("tolerance", 0, minimum=0)
        if answer is None:
            return None
        return cls(**common, answer=answer, tolerance=tolerance or 0)

    def key(self, shuffle_choices: bool) -> dict:
        return {**super().key(shuffle_choices), "answer": self.answer, "tolerance": self.tolerance}


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

# How a part's questions are shown: all on one page (the default), or one at a time with previous
# and next buttons. Either way the page, its autosave and its payload are the same.
PART_DISPLAYS = ("all", "one_per_page")


@dataclass(frozen=True)
class Part:
    index: int  # 1-based
    title: str
    time_limit: int  # minutes
    items: tuple[PartItem, ...]
    position: Position
    time_limit_position: Position
    display: str = PART_DISPLAYS[0]


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

    def texts(self) -> list[Text]:
        """Every Markdown text of the exam: what is rendered, and what a change to reloads."""
        texts = [self.instructions] if self.instructions else []
        for question in self.all_questions():
            texts.extend(question.texts())
        return texts

    def question_count(self, part: Part) -> int:
        return sum(item.draw if isinstance(item, PoolDraw) else 1 for item in part.items)
