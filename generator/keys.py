"""The private answer keys: keys/<exam-id>.json, for graders, never under the output folder."""

from __future__ import annotations

import json

from .model import Exam, PoolDraw

KEY_SCHEMA = 1


def exam_key(exam: Exam) -> dict:
    parts = []
    for part in exam.parts:
        items = [{"pool": item.pool, "draw": item.draw} if isinstance(item, PoolDraw) else {"question": item.id}
                 for item in part.items]
        parts.append({"index": part.index, "title": part.title, "time_limit_minutes": part.time_limit,
                      "items": items})
    return {
        "schema": KEY_SCHEMA,
        "exam_id": exam.id,
        "title": exam.title,
        "workflow_identifier": exam.workflow_identifier,
        "parts": parts,
        "pools": {pool.name: [question.id for question in pool.questions] for pool in exam.pools},
        "questions": {question.id: question.key() for question in exam.all_questions()},
        "accommodations": [{"extra_time_percent": a.extra_time_percent, "attendees": list(a.attendees)}
                           for a in exam.accommodations],
    }


def key_bytes(exam: Exam) -> bytes:
    return (json.dumps(exam_key(exam), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
