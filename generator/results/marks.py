"""Marks for the answers a person grades (long_text): the marking sheet out, the marks back in.

`examsite grade --marking-sheet marks.csv` writes one row per long_text answer with an empty
`mark` column; the marker fills it in (points, between 0 and the question's points), and
`--marks marks.csv` brings the marks into the totals. A row left empty still awaits marking.
Rows are matched on exam, attendee and question, so the sheet may be sorted or cut down.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .export import safe_cell, to_csv
from .grade import GradeResult

COLUMNS = ["exam_id", "attendee_identifier", "question_id", "max_points", "mark", "answer",
           "submission_id"]
_KEY_COLUMNS = ("exam_id", "attendee_identifier", "question_id")


class MarksError(Exception):
    """A marks file that cannot be used: every problem, each as `path:line:col: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MarkSheet:
    marks: Mapping[tuple[str, str, str], float]  # (exam, attendee, question) -> points
    where: Mapping[tuple[str, str, str], str]  # the same keys -> `path:line:col` of the mark


def marking_sheet(result: GradeResult) -> str:
    rows = [[m.exam_id, m.attendee_identifier, m.question_id, m.max_points, m.mark, m.answer,
             m.submission_id] for row in result.rows for m in row.manual]
    return to_csv(COLUMNS, rows)


def _cell(text: str) -> str:
    """A cell as written, less the apostrophe `safe_cell` put before a formula character."""
    return text[1:] if text.startswith("'") and safe_cell(text[1:]) == text else text


def read_marks(path: Path) -> MarkSheet:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MarksError([f"{path}:1:1: not UTF-8 text"]) from None
    except OSError as exc:
        raise MarksError([f"{path}: {exc.strerror or exc}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    missing = [c for c in (*_KEY_COLUMNS, "mark") if c not in header]
    if missing:
        raise MarksError([f"{path}:1:1: no {', '.join(missing)} column(s); the sheet from "
                          "examsite grade --marking-sheet has them"])
    index = {name: header.index(name) for name in (*_KEY_COLUMNS, "mark")}
    problems: list[str] = []
    marks: dict[tuple[str, str, str], float] = {}
    where: dict[tuple[str, str, str], str] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            problems.append(f"{path}:{line}:1: {len(cells)} cell(s), the header has {len(header)}")
            continue
        key = tuple(_cell(cells[index[c]]) for c in _KEY_COLUMNS)
        at = f"{path}:{line}:{index['mark'] + 1}"
        raw = cells[index["mark"]].strip()
        if not raw:
            continue  # not marked yet
        try:
            mark = float(raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw)
        except ValueError:
            problems.append(f"{at}: mark {raw!r} is not a number")
            continue
        if not math.isfinite(mark) or mark < 0:
            problems.append(f"{at}: mark {raw!r} must be a number from 0")
            continue
        if key in where:
            problems.append(f"{at}: {key[1]!r}'s answer to {key[2]} in {key[0]} is also marked at "
                            f"{where[key]}")
            continue
        marks[key], where[key] = mark, at  # type: ignore[index]
    if problems:
        raise MarksError(problems)
    return MarkSheet(marks, where)  # type: ignore[arg-type]


def check_marks(sheet: MarkSheet, result: GradeResult) -> list[str]:
    """Marks that match no graded long_text answer, or give more than the question's points."""
    answers = {(m.exam_id, m.attendee_identifier, m.question_id): m
               for row in result.rows for m in row.manual}
    problems = []
    for key, mark in sheet.marks.items():
        item = answers.get(key)
        if item is None:
            problems.append(f"{sheet.where[key]}: no graded long_text answer of attendee {key[1]!r} "
                            f"to question {key[2]} in exam {key[0]}")
        elif mark > item.max_points:
            problems.append(f"{sheet.where[key]}: mark {mark:g} is more than question {key[2]}'s "
                            f"{item.max_points:g} point(s)")
    return problems
