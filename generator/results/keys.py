"""Load the private answer keys (`keys/<exam-id>.json`, docs/page-contract.md).

Keys are trusted input written by `examsite build`, but they are still files a person may edit,
so every shape problem becomes a `KeyFileError` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

QUESTION_TYPES = ("single", "multiple", "true_false", "short_text", "long_text", "numeric", "ordering", "matching",
                  "cloze")


class KeyFileError(Exception):
    """An answer key that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class BlankKey:
    """A cloze blank: accepted texts (`answers`), or a number (`answer`) within `tolerance`."""

    name: str
    answers: tuple[str, ...] = ()
    case_sensitive: bool = False
    answer: float | None = None
    tolerance: float = 0.0


@dataclass(frozen=True)
class QuestionKey:
    id: str
    type: str
    points: float
    correct: tuple[str, ...] = ()  # single / multiple
    partial_credit: bool = False  # multiple
    answer: bool | float | None = None  # true_false / numeric
    tolerance: float = 0.0  # numeric
    answers: tuple[str, ...] = ()  # short_text
    case_sensitive: bool = False  # short_text
    choices: tuple[str, ...] = ()  # single / multiple: every choice id, in source order
    shuffle_choices: bool = False  # single / multiple: whether the page shuffles them
    items: tuple[str, ...] = ()  # ordering: the item ids in the correct order
    pairs: tuple[tuple[str, str], ...] = ()  # matching: (prompt id, option id), in prompt order
    options: tuple[str, ...] = ()  # matching: every option id
    blanks: tuple[BlankKey, ...] = ()  # cloze: in the order they stand in the text


@dataclass(frozen=True)
class PartItem:
    """A fixed `question`, or `draw` questions drawn out of `pool`."""

    question: str | None = None
    pool: str | None = None
    draw: int = 0


@dataclass(frozen=True)
class PartKey:
    index: int
    title: str
    items: tuple[PartItem, ...]  # in page order, which the page's draws follow

    @property
    def questions(self) -> tuple[str, ...]:
        """The fixed questions, in source order."""
        return tuple(item.question for item in self.items if item.question is not None)

    @property
    def pools(self) -> tuple[tuple[str, int], ...]:
        """(pool name, draw) of each draw, in source order."""
        return tuple((item.pool, item.draw) for item in self.items if item.pool is not None)


@dataclass(frozen=True)
class ExamKey:
    exam_id: str
    title: str
    parts: tuple[PartKey, ...]
    pools: Mapping[str, tuple[str, ...]]
    questions: Mapping[str, QuestionKey]
    source: str
    shuffle_questions: bool = False

    def part(self, index: int) -> PartKey | None:
        return next((p for p in self.parts if p.index == index), None)

    def question_order(self) -> tuple[str, ...]:
        """Every question id in key order (fixed questions, then pool members), for columns."""
        seen: list[str] = []
        for part in self.parts:
            for qid in part.questions:
                seen.append(qid)
            for pool, _draw in part.pools:
                seen.extend(self.pools.get(pool, ()))
        seen.extend(q for q in self.questions if q not in seen)
        return tuple(dict.fromkeys(seen))


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise KeyFileError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KeyFileError(f"{where}: expected a list of strings")
    return tuple(value)


def parse_question(qid: str, raw: Any, where: str) -> QuestionKey:
    if not isinstance(raw, dict):
        raise KeyFileError(f"{where}: expected an object")
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        raise KeyFileError(f"{where}.type: unknown question type {qtype!r}")
    points = _number(raw.get("points", 1), f"{where}.points")
    if qtype in ("single", "multiple"):
        correct = _strings(raw.get("correct"), f"{where}.correct")
        if not correct:
            raise KeyFileError(f"{where}.correct: no correct choice")
        if "choices" not in raw or not isinstance(raw.get("shuffle_choices"), bool):
            raise KeyFileError(f"{where}: no choices or shuffle_choices (a key written by an older "
                               "examsite: run examsite build again)")
        choices = _strings(raw["choices"], f"{where}.choices")
        unknown = [c for c in correct if c not in choices]
        if unknown:
            raise KeyFileError(f"{where}.correct: {', '.join(unknown)} not among the choices")
        return QuestionKey(qid, qtype, points, correct=correct,
                           partial_credit=bool(raw.get("partial_credit", False)),
                           choices=choices, shuffle_choices=raw["shuffle_choices"])
    if qtype == "true_false":
        if not isinstance(raw.get("answer"), bool):
            raise KeyFileError(f"{where}.answer: expected true or false")
        return QuestionKey(qid, qtype, points, answer=raw["answer"])
    if qtype == "numeric":
        answer = _number(raw.get("answer"), f"{where}.answer")
        tolerance = _number(raw.get("tolerance", 0), f"{where}.tolerance")
        if tolerance < 0:
            raise KeyFileError(f"{where}.tolerance: must not be negative")
        return QuestionKey(qid, qtype, points, answer=answer, tolerance=tolerance)
    if qtype == "short_text":
        answers = _strings(raw.get("answers"), f"{where}.answers")
        if not answers:
            raise KeyFileError(f"{where}.answers: no accepted answer")
        return QuestionKey(qid, qtype, points, answers=answers,
                           case_sensitive=bool(raw.get("case_sensitive", False)))
    if qtype == "ordering":
        items = _strings(raw.get("items"), f"{where}.items")
        if len(items) < 2 or len(set(items)) != len(items):
            raise KeyFileError(f"{where}.items: expected two or more different item ids")
        return QuestionKey(qid, qtype, points, items=items, partial_credit=bool(raw.get("partial_credit", False)))
    if qtype == "matching":
        options = _strings(raw.get("options"), f"{where}.options")
        pairs = raw.get("pairs")
        if not isinstance(pairs, dict) or not pairs or not all(isinstance(v, str) for v in pairs.values()):
            raise KeyFileError(f"{where}.pairs: expected an object of prompt id -> option id")
        unknown = [o for o in pairs.values() if o not in options]
        if unknown:
            raise KeyFileError(f"{where}.pairs: {', '.join(unknown)} not among the options")
        return QuestionKey(qid, qtype, points, pairs=tuple(pairs.items()), options=options)
    if qtype == "cloze":
        raw_blanks = raw.get("blanks")
        if not isinstance(raw_blanks, list) or not raw_blanks:
            raise KeyFileError(f"{where}.blanks: expected a non-empty list")
        return QuestionKey(qid, qtype, points, blanks=tuple(_blank(b, f"{where}.blanks[{n}]")
                                                             for n, b in enumerate(raw_blanks)))
    return QuestionKey(qid, qtype, points)  # long_text: graded by a person


def _blank(raw: Any, where: str) -> BlankKey:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise KeyFileError(f"{where}: expected an object with a name")
    if "answer" in raw:
        tolerance = _number(raw.get("tolerance", 0), f"{where}.tolerance")
        if tolerance < 0:
            raise KeyFileError(f"{where}.tolerance: must not be negative")
        return BlankKey(raw["name"], answer=_number(raw["answer"], f"{where}.answer"), tolerance=tolerance)
    answers = _strings(raw.get("answers"), f"{where}.answers")
    if not answers:
        raise KeyFileError(f"{where}.answers: no accepted answer")
    return BlankKey(raw["name"], answers=answers, case_sensitive=bool(raw.get("case_sensitive", False)))


def parse_key(raw: Any, source: str) -> ExamKey:
    if not isinstance(raw, dict):
        raise KeyFileError(f"{source}: expected a JSON object")
    if raw.get("schema") != 1:
        raise KeyFileError(f"{source}: unsupported schema {raw.get('schema')!r} (expected 1)")
    exam_id = raw.get("exam_id")
    if not isinstance(exam_id, str) or not exam_id:
        raise KeyFileError(f"{source}: exam_id missing")
    raw_questions = raw.get("questions")
    if not isinstance(raw_questions, dict):
        raise KeyFileError(f"{source}: questions must be an object")
    questions = {qid: parse_question(qid, q, f"{source}: questions.{qid}")
                 for qid, q in raw_questions.items()}
    raw_pools = raw.get("pools", {})
    if not isinstance(raw_pools, dict):
        raise KeyFileError(f"{source}: pools must be an object")
    pools = {name: _strings(ids, f"{source}: pools.{name}") for name, ids in raw_pools.items()}
    for name, ids in pools.items():
        missing = [q for q in ids if q not in questions]
        if missing:
            raise KeyFileError(f"{source}: pools.{name}: unknown question(s) {', '.join(missing)}")
    shuffle_questions = raw.get("shuffle_questions")
    if not isinstance(shuffle_questions, bool):
        raise KeyFileError(f"{source}: shuffle_questions missing or not true/false (a key written by an "
                           "older examsite: run examsite build again)")
    raw_parts = raw.get("parts")
    if not isinstance(raw_parts, list) or not raw_parts:
        raise KeyFileError(f"{source}: parts must be a non-empty list")
    parts = []
    for n, part in enumerate(raw_parts):
        where = f"{source}: parts[{n}]"
        if not isinstance(part, dict) or not isinstance(part.get("items"), list):
            raise KeyFileError(f"{where}: expected an object with items")
        index = part.get("index", n + 1)
        if isinstance(index, bool) or not isinstance(index, int):
            raise KeyFileError(f"{where}.index: expected an integer")
        items = []
        for m, item in enumerate(part["items"]):
            if isinstance(item, dict) and isinstance(item.get("question"), str):
                if item["question"] not in questions:
                    raise KeyFileError(f"{where}.items[{m}]: unknown question {item['question']!r}")
                items.append(PartItem(question=item["question"]))
            elif isinstance(item, dict) and isinstance(item.get("pool"), str):
                if item["pool"] not in pools:
                    raise KeyFileError(f"{where}.items[{m}]: unknown pool {item['pool']!r}")
                draw = item.get("draw", len(pools[item["pool"]]))
                if isinstance(draw, bool) or not isinstance(draw, int) or draw < 0:
                    raise KeyFileError(f"{where}.items[{m}].draw: expected a whole number")
                items.append(PartItem(pool=item["pool"], draw=draw))
            else:
                raise KeyFileError(f"{where}.items[{m}]: expected {{question}} or {{pool, draw}}")
        parts.append(PartKey(index, str(part.get("title", "")), tuple(items)))
    return ExamKey(exam_id, str(raw.get("title", exam_id)), tuple(parts), pools, questions, source,
                   shuffle_questions)


def load_keys(directory: Path) -> dict[str, ExamKey]:
    """Every `*.json` key in `directory`, by exam id."""
    if not directory.is_dir():
        raise KeyFileError(f"{directory}: no such keys directory")
    keys: dict[str, ExamKey] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KeyFileError(f"{path}: cannot read answer key: {exc}") from None
        key = parse_key(raw, str(path))
        if key.exam_id in keys:
            raise KeyFileError(f"{path}: exam {key.exam_id!r} also keyed in {keys[key.exam_id].source}")
        keys[key.exam_id] = key
    if not keys:
        raise KeyFileError(f"{directory}: no answer keys (*.json) found")
    return keys


KEYS_BUILD = "BUILD"  # in the keys folder: the SHA-256 of the manifest.json published with these keys


def check_build(directory: Path, manifest: Path) -> None:
    """KeyFileError unless `directory` holds the keys of the build that wrote `manifest`: a build
    writes the keys folder first and names in BUILD the manifest it belongs to, so keys of another
    version of the exams (an older build, or one killed before its pages went live) are refused."""
    try:
        published = hashlib.sha256(manifest.read_bytes()).hexdigest()
    except OSError as exc:
        raise KeyFileError(f"{manifest}: cannot read the manifest: {exc.strerror or exc}") from None
    try:
        recorded = (directory / KEYS_BUILD).read_text(encoding="utf-8").strip()
    except OSError:
        raise KeyFileError(f"{directory}: no {KEYS_BUILD} file: these keys do not say which build they belong "
                           "to (written by an older examsite: build again)") from None
    if recorded != published:
        raise KeyFileError(f"{directory} holds the keys of another build than {manifest} (its {KEYS_BUILD} names "
                           f"manifest {recorded[:12]}…, this one is {published[:12]}…): grade with the keys "
                           "written by the build that published these pages")
