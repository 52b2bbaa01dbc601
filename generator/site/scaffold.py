"""`examsite new`: a new exam that builds as it is, for the instructor to edit."""

from __future__ import annotations

from pathlib import Path

from generator.diagnostics import ExamsiteError
from generator.site.exams import EXAM_ID

EXAM_TEMPLATE = """\
# {exam_id}: edit the questions, then run `examsite serve` to preview or `examsite build`.
id: {exam_id}
title: {title}
instructions: {exam_id}.md          # Markdown; a value ending in .md is read from that file
time_limit: 30                     # minutes; a Proview session may not run longer than 90
shuffle: {{questions: false, choices: true}}
questions:
  - id: q1
    type: single
    points: 1
    prompt: Which of these is a prime number?
    choices:
      - text: "4"
      - text: "7"
        correct: true
      - text: "9"
  - id: q2
    type: true_false
    prompt: The square root of 16 is 4.
    answer: true
  - id: q3
    type: short_text
    prompt: Name the planet closest to the Sun.
    answers: [Mercury]
    case_sensitive: false
  - id: q4
    type: long_text
    points: 3
    prompt: Explain, in a few sentences, how you approached question 1.
    rubric: Mentions divisibility; names 7 as having no divisors but 1 and itself.
"""

INSTRUCTIONS_TEMPLATE = """\
You have **30 minutes** for {count} questions.

- Keep your camera and microphone on for the whole exam.
- Your answers are saved as you go; if the page reloads, they come back.
- Press **Submit** when you are done.
"""


def scaffold_exam(exam_id: str, exams_dir: Path) -> list[Path]:
    if not EXAM_ID.match(exam_id):
        raise ExamsiteError(f"'{exam_id}' is not a valid exam id: use lowercase letters, digits, '-' and '_' "
                            "(it becomes the exam's URL)")
    exam_file = exams_dir / f"{exam_id}.yaml"
    instructions = exams_dir / f"{exam_id}.md"
    for path in (exam_file, instructions):
        if path.exists():
            raise ExamsiteError(f"{path} already exists; choose another exam id")
    exams_dir.mkdir(parents=True, exist_ok=True)
    title = exam_id.replace("-", " ").replace("_", " ").capitalize()
    exam_file.write_text(EXAM_TEMPLATE.format(exam_id=exam_id, title=title), encoding="utf-8")
    instructions.write_text(INSTRUCTIONS_TEMPLATE.format(count=4), encoding="utf-8")
    return [exam_file, instructions]
