"""Exam files (YAML, with Markdown inline or in .md files) -> the Exam model.

This module checks shapes and types while it reads, because that is where positions are at
hand; rules that look across questions and parts live in `validate.py`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from generator.diagnostics import Diagnostics, Position, shown_path
from generator.site.fields import LANGUAGE_CODE, Fields, closest, type_name
from generator.site.files import Refused, SiteFiles
from generator.site.model import (ID as QUESTION_ID, PART_DISPLAYS, QUESTION_TYPES, Accommodation, Choice, Exam, Part,
                                  PartItem, Pool, PoolDraw, Question, Text)
from generator.site.source import YList, YMap, load_yaml, split_front_matter

EXAM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

EXAM_KEYS = ("id", "title", "instructions", "workflow_identifier", "lang", "languages", "shuffle", "pools",
             "parts", "time_limit", "questions", "display", "accommodations")
MAX_EXTRA_TIME_PERCENT = 200
PART_KEYS = ("title", "time_limit", "questions", "display")
COMMON_QUESTION_KEYS = ("id", "type", "prompt", "points")


class _ExamReader:
    def __init__(self, path: Path, shown: str, diagnostics: Diagnostics, files: SiteFiles) -> None:
        self.path = path
        self.shown = shown
        self.base_dir = path.parent
        self.diagnostics = diagnostics
        self.files = files

    # Markdown ---------------------------------------------------------------------------------

    def markdown_file(self, name: str, position: Position) -> tuple[str, Position, Path, str | None] | None:
        """Read a referenced .md file: (body, where the body starts, its folder, front matter or None)."""
        file = (self.base_dir / name)
        try:
            text = self.files.read_text(file, "Markdown file", name)
        except Refused as error:
            self.diagnostics.error(position, str(error))
            return None
        except OSError:
            self.diagnostics.error(position, f"Markdown file '{name}' not found (looked in {self.shown_dir()})")
            return None
        except ValueError:
            self.diagnostics.error(position, f"Markdown file '{name}' is not UTF-8 text")
            return None
        front, body, body_line = split_front_matter(text)
        return body, Position(shown_path(file), body_line, 1), file.parent, front

    def shown_dir(self) -> str:
        return shown_path(self.base_dir) or "."

    def text(self, value: Any, position: Position, what: str) -> Text | None:
        """Markdown given inline, or read from a `.md` file when the value is such a name."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.diagnostics.error(position, f"{what} must be Markdown text, not {type_name(value)}")
            return None
        if value.strip().endswith(".md") and "\n" not in value.strip():
            read = self.markdown_file(value.strip(), position)
            if read is None:
                return None
            body, body_position, folder, _front = read
            return Text(body, body_position, folder)
        return Text(value, position, self.base_dir)

    # The exam ---------------------------------------------------------------------------------

    def exam(self) -> Exam | None:
        try:
            source = self.files.read_text(self.path, "the exam file", self.shown)
        except Refused as error:
            self.diagnostics.error(Position(self.shown, 1, 1), str(error))
            return None
        except OSError as error:
            self.diagnostics.error(Position(self.shown, 1, 1), f"cannot read the exam file: {error.strerror}")
            return None
        except ValueError:
            self.diagnostics.error(Position(self.shown, 1, 1), "the exam file is not UTF-8 text")
            return None
        tree = load_yaml(source, self.shown, self.diagnostics)
        if tree is None:
            if not self.diagnostics.has_errors:
                self.diagnostics.error(Position(self.shown, 1, 1), "the exam file is empty")
            return None
        top = Fields.of(tree, Position(self.shown, 1, 1), "an exam", self.diagnostics)
        if top is None:
            return None
        top.check_unknown(EXAM_KEYS)
        exam_id = top.string("id", self.path.stem) or self.path.stem
        if not EXAM_ID.match(exam_id):
            self.diagnostics.error(top.at("id") if top.has("id") else top.pos,
                                   f"exam id '{exam_id}' must be a URL slug: lowercase letters, digits, '-' and '_'")
        title = top.string("title", required=True) or exam_id
        instructions = self.text(top.mapping["instructions"], top.at("instructions"), "'instructions'") \
            if top.has("instructions") and top.mapping["instructions"] is not None else None
        languages = top.language_list("languages")
        lang = top.string("lang")
        if lang is not None and not LANGUAGE_CODE.match(lang):
            self.diagnostics.error(top.at("lang"), f"'{lang}' is not a language code such as en, fr or pt-BR")
        lang = lang or (languages[0] if languages else "en")
        shuffle_questions, shuffle_choices = False, False
        shuffle = top.mapping_of("shuffle", "'shuffle'")
        if shuffle is not None:
            shuffle.check_unknown(("questions", "choices"))
            shuffle_questions = shuffle.boolean("questions", False)
            shuffle_choices = shuffle.boolean("choices", False)

        pools = self.pools(top)
        parts = self.parts(top)
        return Exam(
            id=exam_id,
            title=title,
            instructions=instructions,
            workflow_identifier=top.string("workflow_identifier", exam_id) or exam_id,
            lang=lang,
            languages=languages,
            shuffle_questions=shuffle_questions,
            shuffle_choices=shuffle_choices,
            pools=pools,
            parts=parts,
            source=self.path,
            position=top.pos,
            accommodations=self.accommodations(top),
        )

    def accommodations(self, top: Fields) -> tuple[Accommodation, ...]:
        entries = top.sequence("accommodations")
        if entries is None:
            return ()
        result, seen = [], set()
        for index, entry in enumerate(entries):
            fields = Fields.of(entry, entries.item_at(index), "an accommodation", self.diagnostics)
            if fields is None:
                continue
            fields.check_unknown(("extra_time", "attendees"))
            percent = fields.integer("extra_time", required=True, minimum=1)
            if percent is not None and percent > MAX_EXTRA_TIME_PERCENT:
                self.diagnostics.error(fields.at("extra_time"), f"'extra_time' is a percentage of the time limit, "
                                                                f"at most {MAX_EXTRA_TIME_PERCENT}, not {percent}")
                percent = None
            attendees = fields.string_list("attendees", required=True)
            if attendees is not None and not attendees:
                self.diagnostics.error(fields.at("attendees"), "'attendees' lists no one")
            for attendee in attendees or ():
                if attendee in seen:
                    self.diagnostics.error(fields.at("attendees"), f"attendee '{attendee}' has two accommodations")
                seen.add(attendee)
            if percent is not None and attendees:
                result.append(Accommodation(percent, attendees, fields.pos))
        return tuple(result)

    def pools(self, top: Fields) -> tuple[Pool, ...]:
        pools = top.mapping_of("pools", "'pools'")
        if pools is None:
            return ()
        result = []
        for name, entries in pools.mapping.items():
            position = pools.at(name)
            if not isinstance(entries, YList):
                self.diagnostics.error(position, f"pool '{name}' must be a list of questions, not {type_name(entries)}")
                continue
            questions = [self.question(entry, entries.item_at(i)) for i, entry in enumerate(entries)]
            result.append(Pool(name, tuple(q for q in questions if isinstance(q, Question)), pools.mapping.key_at(name)))
        return tuple(result)

    def parts(self, top: Fields) -> tuple[Part, ...]:
        parts = top.sequence("parts")
        if parts is None:
            if not top.has("questions"):
                self.diagnostics.error(top.pos, "an exam needs 'parts', or 'time_limit' and 'questions' for a single part")
                return ()
            part = self.part(top, 1, top.string("title", "") or "")
            return (part,) if part else ()
        if top.has("questions") or top.has("time_limit") or top.has("display"):
            key = next(k for k in ("questions", "time_limit", "display") if top.has(k))
            self.diagnostics.error(top.mapping.key_at(key),
                                   f"'{key}' belongs inside each part when the exam has 'parts'")
        if not parts:
            self.diagnostics.error(top.at("parts"), "'parts' is empty: an exam needs at least one part")
        result = []
        for index, entry in enumerate(parts):
            fields = Fields.of(entry, parts.item_at(index), f"part {index + 1}", self.diagnostics)
            if fields is None:
                continue
            fields.check_unknown(PART_KEYS)
            part = self.part(fields, index + 1, fields.string("title", f"Part {index + 1}") or "")
            if part:
                result.append(part)
        return tuple(result)

    def part(self, fields: Fields, index: int, title: str) -> Part | None:
        time_limit = fields.integer("time_limit", required=True, minimum=1)
        entries = fields.sequence("questions", required=True)
        if entries is None:
            return None
        items: list[PartItem] = []
        for i, entry in enumerate(entries):
            item = self.part_item(entry, entries.item_at(i))
            if item is not None:
                items.append(item)
        if not entries:
            self.diagnostics.error(fields.at("questions"), f"part {index} has no questions")
        return Part(index, title, time_limit or 0, tuple(items), fields.pos, fields.at("time_limit"),
                    self.display(fields))

    def display(self, fields: Fields) -> str:
        display = fields.string("display", PART_DISPLAYS[0]) or PART_DISPLAYS[0]
        if display in PART_DISPLAYS:
            return display
        close = closest(display, PART_DISPLAYS)
        hint = f"; did you mean '{close}'?" if close else ""
        self.diagnostics.error(fields.at("display"), f"'display' must be one of {', '.join(PART_DISPLAYS)}, "
                                                     f"not '{display}'{hint}")
        return PART_DISPLAYS[0]

    def part_item(self, entry: Any, position: Position) -> PartItem | None:
        if isinstance(entry, YMap) and "pool" in entry:
            fields = Fields(entry, "a pool draw", self.diagnostics)
            fields.check_unknown(("pool", "draw"))
            name = fields.string("pool", required=True)
            draw = fields.integer("draw", required=True, minimum=1)
            if name is None or draw is None:
                return None
            return PoolDraw(name, draw, entry.pos)
        return self.question(entry, position)

    # Questions --------------------------------------------------------------------------------

    def question(self, entry: Any, position: Position) -> Question | None:
        if isinstance(entry, YMap) and "file" in entry:
            return self.question_file(entry)
        fields = Fields.of(entry, position, "a question", self.diagnostics)
        if fields is None:
            return None
        return self.question_fields(fields, None)

    def question_file(self, entry: YMap) -> Question | None:
        fields = Fields(entry, "a question from a file", self.diagnostics)
        fields.check_unknown(("file",))
        name = fields.string("file", required=True)
        if not name:
            return None
        read = self.markdown_file(name, fields.at("file"))
        if read is None:
            return None
        body, body_position, folder, front = read
        if front is None:
            self.diagnostics.error(fields.at("file"), f"'{name}' needs YAML front matter (between '---' lines) "
                                                      "with the question's id and type")
            return None
        tree = load_yaml(front, body_position.path, self.diagnostics, line_offset=1)
        if tree is None:
            return None
        matter = Fields.of(tree, Position(body_position.path, 2, 1), "the front matter", self.diagnostics)
        if matter is None:
            return None
        if matter.has("prompt"):
            self.diagnostics.error(matter.mapping.key_at("prompt"),
                                   "a question file's prompt is its Markdown body, not a 'prompt' key")
        return self.question_fields(matter, Text(body, body_position, folder))

    def question_fields(self, fields: Fields, prompt: Text | None) -> Question | None:
        named = fields.mapping.get("id")
        if isinstance(named, str) and named:  # problems then name the question, not "a question"
            fields.what = f"question '{named}'"
        kind = fields.string("type", required=True)
        if kind is None:
            return None
        if kind not in QUESTION_TYPES:
            self.diagnostics.error(fields.at("type"),
                                   f"unknown question type '{kind}'; use one of {', '.join(QUESTION_TYPES)}")
            return None
        question_type = QUESTION_TYPES[kind]
        fields.check_unknown(COMMON_QUESTION_KEYS + question_type.FIELDS)
        question_id = fields.string("id", required=True)
        if question_id is None:
            return None
        if not QUESTION_ID.match(question_id):
            self.diagnostics.error(fields.at("id"), f"question id '{question_id}' may hold only letters, digits, "
                                                    "'-', '_' and '.'")
        if prompt is None:
            if not fields.has("prompt") or fields.mapping["prompt"] is None:
                self.diagnostics.error(fields.pos, f"question '{question_id}' needs a 'prompt'")
                return None
            prompt = self.text(fields.mapping["prompt"], fields.at("prompt"), "'prompt'")
            if prompt is None:
                return None
        common = dict(id=question_id, prompt=prompt, points=fields.number("points", 1, minimum=0),
                      position=fields.pos)
        return question_type.read(fields, common, self)

    def choices(self, fields: Fields, question_id: str) -> tuple[Choice, ...]:
        entries = fields.sequence("choices", required=True)
        if entries is None:
            return ()
        result = []
        for index, entry in enumerate(entries):
            position = entries.item_at(index)
            default_id = _letters(index)
            if isinstance(entry, (str, int, float)) and not isinstance(entry, bool):
                result.append(Choice(default_id, Text(str(entry), position, self.base_dir), False, position))
                continue
            choice = Fields.of(entry, position, "a choice", self.diagnostics)
            if choice is None:
                continue
            choice.check_unknown(("id", "text", "correct"))
            choice_id = choice.string("id", default_id) or default_id
            if not QUESTION_ID.match(choice_id):
                self.diagnostics.error(choice.at("id"), f"choice id '{choice_id}' may hold only letters, digits, "
                                                        "'-', '_' and '.'")
            if not choice.has("text"):
                self.diagnostics.error(position, f"a choice of question '{question_id}' needs 'text'")
                continue
            text = self.text(choice.mapping["text"], choice.at("text"), "a choice's 'text'")
            if text is not None:
                result.append(Choice(choice_id, text, choice.boolean("correct", False), position))
        return tuple(result)


def _letters(index: int) -> str:
    """a, b, ..., z, aa, ab, ...: choice ids by position."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("a") + rest) + name
    return name


def load_exam(path: Path, diagnostics: Diagnostics, files: SiteFiles) -> Exam | None:
    """Read one exam file, and the files it names from among `files`; None when it cannot be read
    at all. Problems go to `diagnostics`."""
    return _ExamReader(path, shown_path(path), diagnostics, files).exam()
