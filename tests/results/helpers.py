"""Shared builders for the results tests: an answer key and payloads as the page contract shows."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

from generator.results.draws import page_order
from generator.results.keys import parse_key

KEY: dict[str, Any] = {
    "schema": 1, "exam_id": "algebra-midterm", "title": "Algebra midterm",
    "parts": [
        {"index": 1, "title": "Part A", "items": [{"question": "q1"}, {"pool": "geometry", "draw": 2}]},
        {"index": 2, "title": "Part B", "items": [{"question": "q2"}, {"question": "q3"},
                                                  {"question": "q4"}]},
    ],
    "pools": {"geometry": ["g1", "g2", "g3"]},
    "shuffle_questions": True,
    "questions": {
        "q1": {"type": "single", "points": 2, "correct": ["b"], "choices": ["a", "b"],
               "shuffle_choices": True},
        "q2": {"type": "multiple", "points": 1, "correct": ["a", "c"], "partial_credit": False,
               "choices": ["a", "b", "c"], "shuffle_choices": True},
        "q4": {"type": "multiple", "points": 4, "correct": ["a", "b"], "partial_credit": True,
               "choices": ["a", "b", "c"], "shuffle_choices": False},
        "g1": {"type": "true_false", "points": 1, "answer": True},
        "g2": {"type": "numeric", "points": 1, "answer": 12, "tolerance": 0.5},
        "g3": {"type": "short_text", "points": 1, "answers": ["Triangle"], "case_sensitive": False},
        "q3": {"type": "long_text", "points": 5, "rubric": "explain"},
    },
}

_ids = itertools.count(1)


def shown(part: int, attendee: str, raw_key: dict | None = None) -> dict:
    """The `order` the page shows `attendee` in `part` (draws.py; tests/browser/test_draws.py
    holds it to the page's own)."""
    exam = parse_key(raw_key or KEY, "keys/algebra-midterm.json")
    order = page_order(exam, exam.part(part), attendee)  # type: ignore[arg-type]
    return {"questions": list(order.questions), "choices": {q: list(c) for q, c in order.choices.items()}}


def payload(part: int = 1, attendee: str = "cand-1", kind: str = "final", **overrides: Any) -> dict:
    """A payload as the page sends it, every answer right but q4's (partly) and q3's (for a
    person to mark); part 1 answers q1 and the two pool questions the attendee drew."""
    base: dict[str, Any] = {
        "schema": 1, "submission_id": f"sub-{next(_ids)}", "kind": kind,
        "exam_id": "algebra-midterm", "part": part, "part_count": 2,
        "workflow_identifier": "wf", "attendee_identifier": attendee,
        "session_identifier": f"ext-{attendee}", "proview_session_uuid": f"uuid-{attendee}-{part}",
        "started_at": "2026-11-21T10:00:00Z", "submitted_at": "2026-11-21T10:30:00Z",
        "time_remaining_seconds": 10, "reason": "submit",
    }
    if part == 1:
        answers = {"q1": "b", "g1": True, "g2": 12, "g3": " triangle "}
    else:
        answers = {"q2": ["a", "c"], "q3": "Because.", "q4": ["a"]}
    base["order"] = shown(part, attendee)
    base["answers"] = {q: a for q, a in answers.items() if q in base["order"]["questions"]}
    base.update(overrides)
    return base


def key() -> dict:
    return copy.deepcopy(KEY)


def write_keys(directory: Path, *keys: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for k in keys or (key(),):
        (directory / f"{k['exam_id']}.json").write_text(json.dumps(k), encoding="utf-8")
    return directory


def write_jsonl(path: Path, payloads: list[Any]) -> Path:
    lines = [p if isinstance(p, str) else json.dumps(p) for p in payloads]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
