"""`examsite init` and `examsite new`: a site and an exam that build as they are, to edit."""

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
# display: one_per_page           # one question at a time; by default all are on one page
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
  - id: q5
    type: ordering                 # write the items in the correct order; each candidate sees them shuffled
    partial_credit: true           # credit for each neighbouring pair in the right order
    prompt: Put these numbers in order, smallest first.
    items: ["0.5", "3/4", "1", "1.25"]
  - id: q6
    type: matching                 # a drop-down per prompt, offering every answer and distractor
    points: 3                      # shared evenly among the pairs
    prompt: Match each planet with its position from the Sun.
    pairs:
      - {{prompt: Mercury, answer: First}}
      - {{prompt: Earth, answer: Third}}
      - {{prompt: Mars, answer: Fourth}}
    distractors: [Second]
  - id: q7
    type: cloze                    # [[name]] marks a blank; `blanks` says what each accepts
    points: 2                      # shared evenly among the blanks
    prompt: Fill in the blanks.
    text: "Water boils at [[boiling]] degrees Celsius at sea level, and its formula is [[formula]]."
    blanks:
      boiling: {{answer: 100, tolerance: 0}}
      formula: {{answers: [H2O, H₂O], case_sensitive: true}}
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
    instructions.write_text(INSTRUCTIONS_TEMPLATE.format(count=7), encoding="utf-8")
    return [exam_file, instructions]


SITE_TEMPLATE = """\
# The site configuration. `examsite serve` previews it; `examsite build` builds it into output/
# (answer keys into keys/); `examsite build --env prod` lays `environments.prod` over the rest.
site:
  title: {title}
  base_url: https://exams.example.edu/     # where output/ is published

proview:
  sdk: v8
  environment: dev                         # dev | staging | prod: picks Proview's loader
  dsn: ${{PROVIEW_DSN:-dev-dsn}}             # the DSN Talview gave you, from the environment

submission:
  url: https://api.example.edu/submissions # where pages send answers (examsite collect serve)

exams:
  - exams/*.yaml

environments:
  prod:
    proview: {{environment: prod, dsn: ${{PROVIEW_DSN}}}}
"""

TEMPLATES_NOTE = """\
# Your page templates

Put a `page.html` here to change the exam page. To change only a part of it, extend examsite's own
page and override a block (title, head, header, preparing, instructions, footer, footer_content):

    {% extends "examsite/page.html" %}
    {% block footer_content %}<p>Academic integrity office: integrity@example.edu</p>{% endblock %}
"""

GITIGNORE = """\
# What examsite writes: never commit the answer keys or the candidates' data.
/output/
/keys/
/.examsite/
/report/
*.sqlite
*.sqlite-*
*.jsonl
"""


def scaffold_site(folder: Path) -> list[Path]:
    """exams.yaml, a sample exam with its Markdown instructions, templates/ and a .gitignore."""
    planned = [folder / "exams.yaml", folder / "exams" / "sample-exam.yaml", folder / "exams" / "sample-exam.md",
               folder / "templates" / "README.md", folder / ".gitignore"]
    existing = [path for path in planned if path.exists()]
    if existing:
        raise ExamsiteError(f"{existing[0]} already exists; examsite init never overwrites a file "
                            "(run it in a new folder)")
    folder.mkdir(parents=True, exist_ok=True)
    title = folder.resolve().name.replace("-", " ").replace("_", " ").capitalize() or "Exams"
    (folder / "exams.yaml").write_text(SITE_TEMPLATE.format(title=f"{title} exams"), encoding="utf-8")
    created = [folder / "exams.yaml", *scaffold_exam("sample-exam", folder / "exams")]
    (folder / "templates").mkdir(exist_ok=True)
    (folder / "templates" / "README.md").write_text(TEMPLATES_NOTE, encoding="utf-8")
    (folder / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return created + [folder / "templates" / "README.md", folder / ".gitignore"]
