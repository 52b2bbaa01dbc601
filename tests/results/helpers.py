"""Shared builders for the results tests: an answer key and payloads as the page contract shows."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

KEY: dict[str, Any] = {
    "schema": 1, "exam_id": "algebra-midterm", "title": "Algebra midterm",
    "parts": [
        {"index": 1, "title": "Part A", "items": [{"question": "q1"}, {"pool": "geometry", "draw": 2}]},
        {"index": 2, "title": "Part B", "items": [{"question": "q2"}, {"question": "q3"},
                                                  {"question": "q4"}]},
    ],
    "pools": {"geometry": ["g1", "g2", "g3"]},
    "questions": {
        "q1": {"type": "single", "points": 2, "correct": ["b"]},
        "q2": {"type": "multiple", "points": 1, "correct": ["a", "c"], "partial_credit": False},
        "q4": {"type": "multiple", "points": 4, "correct": ["a", "b"], "partial_credit": True},
        "g1": {"type": "true_false", "points": 1, "answer": True},
        "g2": {"type": "numeric", "points": 1, "answer": 12, "tolerance": 0.5},
        "g3": {"type": "short_text", "points": 1, "answers": ["Triangle"], "case_sensitive": False},
        "q3": {"type": "long_text", "points": 5, "rubric": "explain"},
    },
}

_ids = itertools.count(1)


def payload(part: int = 1, attendee: str = "cand-1", kind: str = "final", **overrides: Any) -> dict:
    base: dict[str, Any] = {
        "schema": 1, "submission_id": f"sub-{next(_ids)}", "kind": kind,
        "exam_id": "algebra-midterm", "part": part, "part_count": 2,
        "workflow_identifier": "wf", "attendee_identifier": attendee,
        "session_identifier": f"ext-{attendee}", "proview_session_uuid": f"uuid-{attendee}-{part}",
        "started_at": "2026-11-21T10:00:00Z", "submitted_at": "2026-11-21T10:30:00Z",
        "time_remaining_seconds": 10, "reason": "submit",
    }
    if part == 1:
        base["answers"] = {"q1": "b", "g1": True, "g3": " triangle "}
        base["order"] = {"questions": ["g3", "q1", "g1"], "choices": {"q1": ["b", "a"]}}
    else:
        base["answers"] = {"q2": ["a", "c"], "q3": "Because.", "q4": ["a"]}
        base["order"] = {"questions": ["q2", "q3", "q4"],
                         "choices": {"q2": ["c", "a", "b"], "q4": ["a", "b", "c"]}}
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
