"""The exam model: frozen dataclasses, one per question type.

Each question type is one class here, the table the build reads: its fields (`FIELDS`), how it is
read from an exam file (`read`), its own rules (`check`), its private key material (`key`) and
the data its page gets (`page_data`). The browser runtime's table of types (`exam.js`) and the
graders' (`results/grade.py`) are the other two places a type lives. `QUESTION_TYPES` lists them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Union

from generator.diagnostics import Diagnostics, Position
from generator.site.fields import Fields

# Question, choice and item ids: letters, digits, '-', '_' and '.'.
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# A cloze text's blanks, `[[name]]`: render/markdown.py turns each into an answer box's place.
BLANK_MARKER = re.compile(r"\[\[([A-Za-z0-9_-]+)\]\]")


class Html(Protocol):
    """Renders a text for the page (render/pages.py); `blanks`: its BLANK_MARKERs become the
    places of answer boxes, `<span data-blank="N"></span>`, N counting from 0."""

    def __call__(self, text: "Text", blanks: bool = False) -> str: ...


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

    def position_at(self, index: int) -> Position:
        """Where the character at `index` of the source stands: its line (a block scalar's lines
        follow one another in the file)."""
        before = self.source[:index]
        line = before.count("\n")
        col = index - (before.rfind("\n") + 1) + 1 if line else self.position.col + index
        return Position(self.position.path, self.position.line + line, col)


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


def _hidden_id(prefix: str, text: Text) -> str:
    """An id that says nothing about where the text stands in the source (items, options): the
    page lists them by id, so positional ids would give the key away."""
    return prefix + hashlib.sha256(text.source.strip().encode("utf-8")).hexdigest()[:10]


def _scrambled(entries: list[dict], question_id: str) -> list[dict]:
    """`entries` in an order that depends on their ids, never on the source's."""
    return sorted(entries, key=lambda e: hashlib.sha256(f"{question_id}|{e['id']}".encode("utf-8")).digest())


@dataclass(frozen=True)
class Item:
    id: str
    text: Text
    position: Position


@dataclass(frozen=True, kw_only=True)
class Ordering(Question):
    """Items to put in order; written in the correct order, shown in a seeded shuffled one."""

    TYPE: ClassVar[str] = "ordering"
    FIELDS: ClassVar[tuple[str, ...]] = ("items", "partial_credit")
    items: tuple[Item, ...]
    partial_credit: bool

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        entries = fields.sequence("items", required=True)
        items = []
        for index, entry in enumerate(entries or ()):
            position = entries.item_at(index)  # type: ignore[union-attr]
            given = None
            if isinstance(entry, dict):
                item = Fields(entry, "an item", reader.diagnostics)
                item.check_unknown(("id", "text"))
                given = item.string("id")
                if given is not None and not ID.match(given):
                    reader.diagnostics.error(item.at("id"), f"item id '{given}' may hold only letters, digits, "
                                                            "'-', '_' and '.'")
                if not item.has("text"):
                    reader.diagnostics.error(position, f"an item of question '{common['id']}' needs 'text'")
                    continue
                entry, position = item.mapping["text"], item.at("text")
            text = reader.text(entry, position, "an item")
            if text is not None:
                items.append(Item(given or _hidden_id("i", text), text, position))
        return cls(**common, items=tuple(items), partial_credit=fields.boolean("partial_credit", False))

    def check(self, diagnostics: Diagnostics) -> None:
        if len(self.items) < 2:
            diagnostics.error(self.position, f"ordering question '{self.id}' needs at least two items")
        ids: set[str] = set()
        texts: set[str] = set()
        for item in self.items:
            if item.text.source.strip() in texts:
                diagnostics.error(item.position, f"ordering question '{self.id}' lists the same item twice")
            elif item.id in ids:
                diagnostics.error(item.position, f"duplicate item id '{item.id}' in question '{self.id}'")
            ids.add(item.id)
            texts.add(item.text.source.strip())

    def key(self, shuffle_choices: bool) -> dict:
        return {**super().key(shuffle_choices), "items": [item.id for item in self.items],
                "partial_credit": self.partial_credit}

    def page_data(self, html: Html, shuffle_choices: bool) -> dict:
        items = [{"id": item.id, "html": html(item.text)} for item in self.items]
        return {**super().page_data(html, shuffle_choices), "items": _scrambled(items, self.id)}

    def texts(self) -> tuple[Text, ...]:
        return (self.prompt, *(item.text for item in self.items))


@dataclass(frozen=True)
class Pair:
    id: str  # the prompt's: p1, p2, ... by position (the page shows prompts in source order)
    prompt: Text
    answer: Text
    position: Position


@dataclass(frozen=True, kw_only=True)
class Matching(Question):
    """Prompts, each matched with one option: the pairs' answers and the distractors, shuffled."""

    TYPE: ClassVar[str] = "matching"
    FIELDS: ClassVar[tuple[str, ...]] = ("pairs", "distractors")
    pairs: tuple[Pair, ...]
    distractors: tuple[Item, ...]

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        entries = fields.sequence("pairs", required=True)
        pairs = []
        for index, entry in enumerate(entries or ()):
            pair = Fields.of(entry, entries.item_at(index), "a pair", reader.diagnostics)  # type: ignore[union-attr]
            if pair is None:
                continue
            pair.check_unknown(("prompt", "answer"))
            texts = []
            for key in ("prompt", "answer"):
                if not pair.has(key):
                    reader.diagnostics.error(pair.pos, f"a pair of question '{common['id']}' needs '{key}'")
                else:
                    texts.append(reader.text(pair.mapping[key], pair.at(key), f"a pair's '{key}'"))
            if len(texts) == 2 and None not in texts:
                pairs.append(Pair(f"p{index + 1}", texts[0], texts[1], pair.pos))  # type: ignore[arg-type]
        distractors = []
        listed = fields.sequence("distractors")
        for index, entry in enumerate(listed or ()):
            position = listed.item_at(index)  # type: ignore[union-attr]
            text = reader.text(entry, position, "a distractor")
            if text is not None:
                distractors.append(Item(_hidden_id("o", text), text, position))
        return cls(**common, pairs=tuple(pairs), distractors=tuple(distractors))

    def options(self) -> list[Item]:
        """Every option, the pairs' answers then the distractors, in source order."""
        return [Item(_hidden_id("o", pair.answer), pair.answer, pair.answer.position) for pair in self.pairs] \
            + list(self.distractors)

    def check(self, diagnostics: Diagnostics) -> None:
        if len(self.pairs) < 2:
            diagnostics.error(self.position, f"matching question '{self.id}' needs at least two pairs")
        seen: set[str] = set()
        for option in self.options():
            if option.id in seen:
                diagnostics.error(option.position, f"matching question '{self.id}' offers the option "
                                                   f"'{option.text.source.strip()}' twice; each must differ")
            seen.add(option.id)

    def key(self, shuffle_choices: bool) -> dict:
        return {**super().key(shuffle_choices),
                "pairs": {pair.id: _hidden_id("o", pair.answer) for pair in self.pairs},
                "options": [option.id for option in self.options()]}

    def page_data(self, html: Html, shuffle_choices: bool) -> dict:
        options = [{"id": option.id, "html": html(option.text)} for option in self.options()]
        return {**super().page_data(html, shuffle_choices),
                "prompts": [{"id": pair.id, "html": html(pair.prompt)} for pair in self.pairs],
                "options": _scrambled(options, self.id)}

    def texts(self) -> tuple[Text, ...]:
        return (self.prompt, *(pair.prompt for pair in self.pairs), *(o.text for o in self.options()))


@dataclass(frozen=True)
class Blank:
    """A blank's accepted answers: texts (`answers`), or a number within `tolerance` (`answer`)."""

    name: str
    answers: tuple[str, ...]
    case_sensitive: bool
    answer: float | None
    tolerance: float
    position: Position


@dataclass(frozen=True, kw_only=True)
class Cloze(Question):
    """A Markdown text with `[[name]]` blanks, each defined under `blanks`."""

    TYPE: ClassVar[str] = "cloze"
    FIELDS: ClassVar[tuple[str, ...]] = ("text", "blanks")
    text: Text
    blanks: tuple[Blank, ...]  # in the order their markers stand in the text

    @classmethod
    def read(cls, fields: Fields, common: dict, reader: TextReader) -> "Question | None":
        text = None
        if not fields.has("text") or fields.mapping["text"] is None:
            reader.diagnostics.error(fields.pos, f"cloze question '{common['id']}' needs 'text', with [[name]] "
                                                 "for each blank")
        else:
            text = reader.text(fields.mapping["text"], fields.at("text"), "'text'")
        defined = fields.mapping_of("blanks", "'blanks'")
        if text is None:
            return None
        blanks: dict[str, Blank] = {}
        for name in (defined.mapping if defined is not None else {}):
            blank = defined.mapping_of(name, f"blank '{name}'")  # type: ignore[union-attr]
            if blank is None:
                continue
            blank.check_unknown(("answers", "case_sensitive", "answer", "tolerance"))
            position = defined.mapping.key_at(name)  # type: ignore[union-attr]
            numeric = blank.has("answer")
            if numeric and blank.has("answers"):
                reader.diagnostics.error(blank.mapping.key_at("answers"), f"blank '{name}' has 'answer' (a number) "
                                                                           "and 'answers' (texts): keep one")
            misplaced = "case_sensitive" if numeric else "tolerance"
            if blank.has(misplaced):
                kind = "a text blank ('answers')" if numeric else "a number blank ('answer')"
                reader.diagnostics.error(blank.mapping.key_at(misplaced), f"'{misplaced}' belongs to {kind}; "
                                                                          f"blank '{name}' is not one")
            answers = () if numeric else blank.string_list("answers") or ()
            answer = blank.number("answer") if numeric else None
            if not answers and answer is None:
                reader.diagnostics.error(position, f"blank '{name}' has no accepted answer: give 'answers: [...]' "
                                                   "(texts) or 'answer: <number>'")
                continue
            blanks[name] = Blank(name, answers, blank.boolean("case_sensitive", False), answer,
                                 blank.number("tolerance", 0, minimum=0) or 0, position)
        ordered, placed = [], set()
        for marker in BLANK_MARKER.finditer(text.source):
            name = marker.group(1)
            if name in placed:
                reader.diagnostics.error(text.position_at(marker.start()), f"blank '{name}' is marked twice; "
                                                                           "give each blank a name of its own")
            elif name not in blanks and (defined is None or name not in defined.mapping):
                reader.diagnostics.error(text.position_at(marker.start()), f"blank [[{name}]] has no definition "
                                                                           f"under 'blanks'")
            elif name in blanks:
                ordered.append(blanks[name])
            placed.add(name)
        for name, blank in blanks.items():
            if name not in placed:
                reader.diagnostics.error(blank.position, f"blank '{name}' is not marked in the text: write "
                                                         f"[[{name}]] where it goes")
        if not blanks and not placed:
            reader.diagnostics.error(text.position, f"cloze question '{common['id']}' has no blanks: mark each "
                                                    "with [[name]] and define it under 'blanks'")
        return cls(**common, text=text, blanks=tuple(ordered))

    def key(self, shuffle_choices: bool) -> dict:
        blanks = [{"name": b.name, "answers": list(b.answers), "case_sensitive": b.case_sensitive}
                  if b.answer is None else {"name": b.name, "answer": b.answer, "tolerance": b.tolerance}
                  for b in self.blanks]
        return {**super().key(shuffle_choices), "blanks": blanks}

    def page_data(self, html: Html, shuffle_choices: bool) -> dict:
        # Each blank's kind (a number or a text) sets its keyboard; it says nothing of the answer.
        return {**super().page_data(html, shuffle_choices), "text_html": html(self.text, blanks=True),
                "blanks": ["number" if b.answer is not None else "text" for b in self.blanks]}

    def texts(self) -> tuple[Text, ...]:
        return (self.prompt, self.text)


QUESTION_TYPES: dict[str, type[Question]] = {
    cls.TYPE: cls for cls in (SingleChoice, MultipleChoice, TrueFalse, ShortText, LongText, Numeric,
                              Ordering, Matching, Cloze)
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

    def text_files(self) -> set[Path]:
        """The files the texts were read from: the exam's own and its Markdown files. (A Path is
        made once a file, not once a text: an exam has thousands of texts.)"""
        one_a_file = {(text.base_dir, text.position.path): text for text in self.texts()}
        return {text.file for text in one_a_file.values()}

    def question_count(self, part: Part) -> int:
        return sum(item.draw if isinstance(item, PoolDraw) else 1 for item in part.items)
