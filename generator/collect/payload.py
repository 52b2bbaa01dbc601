"""The submission payload (docs/page-contract.md, "Submission payload"), checked field by field.

Only the shape is checked here, and, given the answer keys, that the exam, the part and every
answered or shown question exist: whether the answers are right is `examsite grade`'s business.
A payload that passes is kept in canonical form (keys sorted, no spaces, UTF-8), so the stored
text is one JSON Lines line and an identical resend has an identical digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping

from generator.results.keys import ExamKey

KINDS = ("final", "interim")
REASONS = ("submit", "time_up", "session_refresh")
MAX_ID = 200  # characters of any identifier


@dataclass(frozen=True)
class Submission:
    submission_id: str
    exam_id: str
    part: int
    kind: str
    attendee_identifier: str
    body: str  # canonical JSON text
    digest: str  # sha256 hex of `body`

    @property
    def receipt(self) -> str:
        return "sha256:" + self.digest


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _identifier(payload: Mapping[str, Any], field: str, problems: list[str], nullable: bool = False) -> None:
    value = payload.get(field)
    if value is None and nullable and field in payload:
        return
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        kind = "text or null" if nullable else "non-empty text"
        problems.append(f"{field}: expected {kind} of at most {MAX_ID} characters")


def shape_problems(payload: Any) -> list[str]:
    """What is wrong with the payload's shape, in the contract's terms; [] when nothing is."""
    if not isinstance(payload, dict):
        return ["the body must be a JSON object"]
    problems: list[str] = []
    if payload.get("schema") != 1:
        problems.append("schema: expected 1")
    for field in ("submission_id", "exam_id", "workflow_identifier", "attendee_identifier"):
        _identifier(payload, field, problems)
    for field in ("session_identifier", "proview_session_uuid"):
        _identifier(payload, field, problems, nullable=True)
    if payload.get("kind") not in KINDS:
        problems.append("kind: expected \"final\" or \"interim\"")
    if payload.get("reason") not in REASONS:
        problems.append("reason: expected \"submit\", \"time_up\" or \"session_refresh\"")
    part, count = payload.get("part"), payload.get("part_count")
    if not _is_int(part) or part < 1:
        problems.append("part: expected a whole number from 1")
    if not _is_int(count) or count < 1 or (_is_int(part) and part > count):
        problems.append("part_count: expected a whole number, at least part")
    for field in ("started_at", "submitted_at"):
        if not isinstance(payload.get(field), str) or not payload[field]:
            problems.append(f"{field}: expected an ISO 8601 time")
    remaining = payload.get("time_remaining_seconds")
    if not isinstance(remaining, (int, float)) or isinstance(remaining, bool):
        problems.append("time_remaining_seconds: expected a number")
    if not isinstance(payload.get("answers"), dict):
        problems.append("answers: expected an object")
    order = payload.get("order")
    if not isinstance(order, dict):
        problems.append("order: expected an object")
    else:
        questions = order.get("questions")
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            problems.append("order.questions: expected a list of question ids")
        choices = order.get("choices", {})
        if not isinstance(choices, dict) or not all(
                isinstance(c, list) and all(isinstance(i, str) for i in c) for c in choices.values()):
            problems.append("order.choices: expected an object of lists of choice ids")
    return problems


def key_problems(payload: Mapping[str, Any], keys: Mapping[str, ExamKey]) -> list[str]:
    """For a well-shaped payload: the exam, part and questions the keys do not know."""
    exam = keys.get(payload["exam_id"])
    if exam is None:
        return [f"exam_id: no exam {payload['exam_id']!r}"]
    problems = []
    if exam.part(payload["part"]) is None:
        problems.append(f"part: exam {exam.exam_id!r} has no part {payload['part']}")
    named = list(payload["answers"]) + list(payload["order"].get("questions", []))
    unknown = sorted({q for q in named if q not in exam.questions})
    if unknown:
        problems.append(f"unknown question(s) in exam {exam.exam_id!r}: {', '.join(map(repr, unknown))}")
    return problems


def check_submission(payload: Any, keys: Mapping[str, ExamKey] | None) -> Submission | list[str]:
    problems = shape_problems(payload)
    if not problems and keys is not None:
        problems = key_problems(payload, keys)
    if problems:
        return problems
    body = canonical(payload)
    return Submission(payload["submission_id"], payload["exam_id"], payload["part"], payload["kind"],
                      payload["attendee_identifier"], body,
                      hashlib.sha256(body.encode("utf-8")).hexdigest())
