"""Grade rows as CSV and JSON text.

Attendee and session identifiers are typed by candidates or come from other systems, so CSV cells
that a spreadsheet would run as a formula (leading = + - @ tab CR) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Mapping, Sequence

from .grade import GradeResult, GradeRow
from .keys import ExamKey

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    text = str(value)
    # Numbers we wrote ourselves are safe; text from outside is not.
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def question_columns(rows: Sequence[GradeRow], keys: Mapping[str, ExamKey]) -> list[str]:
    columns: list[str] = []
    for exam_id in dict.fromkeys(r.exam_id for r in rows):
        for qid in keys[exam_id].question_order():
            if qid not in columns:
                columns.append(qid)
    return columns


BASE_COLUMNS = ["exam_id", "attendee_identifier", "points", "max_points", "percent",
                "manual_pending", "parts_submitted", "parts_missing", "session_identifiers",
                "proview_session_uuids"]


def base_cells(row: GradeRow) -> list[Any]:
    return [row.exam_id, row.attendee_identifier, row.points, row.max_points,
            round(row.percent, 2), " ".join(m.question_id for m in row.pending),
            " ".join(map(str, row.parts_submitted)), " ".join(map(str, row.parts_missing)),
            " ".join(row.session_identifiers), " ".join(row.proview_session_uuids)]


def to_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def grades_csv(result: GradeResult, keys: Mapping[str, ExamKey]) -> str:
    columns = question_columns(result.rows, keys)
    body = []
    for row in result.rows:
        by_id = {s.question_id: s for s in row.scores}
        cells = base_cells(row)
        for qid in columns:
            score = by_id.get(qid)
            cells.append("" if score is None else "manual" if score.points is None else score.points)
        body.append(cells)
    return to_csv(BASE_COLUMNS + [f"q:{q}" for q in columns], body)


def grades_json(result: GradeResult) -> str:
    rows = [{
        "exam_id": r.exam_id, "exam_title": r.exam_title,
        "attendee_identifier": r.attendee_identifier,
        "points": r.points, "max_points": r.max_points, "percent": round(r.percent, 2),
        "parts_submitted": list(r.parts_submitted), "parts_missing": list(r.parts_missing),
        "session_identifiers": list(r.session_identifiers),
        "proview_session_uuids": list(r.proview_session_uuids),
        "questions": [{"id": s.question_id, "part": s.part, "status": s.status,
                       "points": s.points, "max_points": s.max_points} for s in r.scores],
        "manual": [{"question": m.question_id, "max_points": m.max_points, "answer": m.answer,
                    "mark": m.mark, "origin": m.origin} for m in r.manual],
        "origins": list(r.origins),
    } for r in result.rows]
    problems = [{"origin": p.origin, "message": p.message} for p in result.problems]
    conflicts = [{"origin": p.origin, "message": p.message} for p in result.conflicts]
    return json.dumps({"rows": rows, "problems": problems, "conflicts": conflicts}, indent=2,
                      ensure_ascii=False) + "\n"
