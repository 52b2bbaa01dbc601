"""A synthetic exam corpus for the benchmark: N exams of Q questions with realistic Markdown.

Every question type appears; prompts mix paragraphs, lists, inline and fenced code and tables;
some exams take their instructions and a question from .md files and show an image; many choices
are plain text (as real choices mostly are). The same content is also written as MkDocs pages
(one page per exam, the Markdown flattened), so both generators build the same text.

    python bench/corpus.py OUT_DIR --exams 200 --questions 40
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

TYPES = ("single", "multiple", "true_false", "short_text", "long_text", "numeric")
WORDS = ("array heap graph vertex edge queue stack pointer node tree balance rotation hash bucket collision "
         "latency throughput cache memory register branch loop invariant proof lemma bound estimate sample "
         "variance mean median matrix vector scalar integral derivative limit series function domain range "
         "protocol packet router socket thread process lock deadlock schedule kernel buffer stream").split()
IMAGE = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><path d="M0 30 L40 30 L0 0 Z" '
         b'fill="none" stroke="black"/></svg>\n')


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    prompt: str  # Markdown
    choices: tuple[tuple[str, bool], ...] = ()  # (Markdown text, correct)
    from_file: bool = False


@dataclass(frozen=True)
class Exam:
    id: str
    title: str
    instructions: str
    questions: tuple[Question, ...]

    def fragments(self) -> list[str]:
        """Every Markdown text examsite renders for this exam, once each."""
        texts = [self.instructions]
        for question in self.questions:
            texts.append(question.prompt)
            texts.extend(text for text, _ in question.choices)
        return texts


def _sentence(rng: random.Random, words: int = 12) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    if rng.random() < 0.5:
        chosen[rng.randrange(words)] = f"`{rng.choice(WORDS)}()`"
    if rng.random() < 0.3:
        chosen[rng.randrange(words)] = f"**{rng.choice(WORDS)}**"
    if rng.random() < 0.2:
        chosen[rng.randrange(words)] = f"*{rng.choice(WORDS)}*"
    return (" ".join(chosen)).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(1, 3)))


def _list(rng: random.Random) -> str:
    marker = rng.choice(("-", "1."))
    return "\n".join(f"{marker} {_sentence(rng, rng.randint(4, 8))}" for _ in range(rng.randint(2, 4)))


def _code(rng: random.Random) -> str:
    name = rng.choice(WORDS)
    lines = [f"def {name}(items):", "    total = 0", "    for item in items:",
             f"        total += item.{rng.choice(WORDS)}", "    return total"]
    return "```python\n" + "\n".join(lines) + "\n```"


def _table(rng: random.Random) -> str:
    rows = ["| n | time (ms) | memory (KB) |", "|---|---:|---:|"]
    rows += [f"| {10 ** i} | {rng.randint(1, 900)} | {rng.randint(1, 9000)} |" for i in range(1, rng.randint(3, 5))]
    return "\n".join(rows)


def _prompt(rng: random.Random, image: bool) -> str:
    blocks = [_paragraph(rng)]
    extra = rng.random()
    if extra < 0.25:
        blocks.append(_list(rng))
    elif extra < 0.45:
        blocks.append(_code(rng))
    elif extra < 0.55:
        blocks.append(_table(rng))
    if image:
        blocks.append("![A right triangle with legs of 3 and 4 units](images/figure.svg)")
    blocks.append(_sentence(rng, rng.randint(6, 10)).rstrip(".") + "?")
    return "\n\n".join(blocks)


def _choices(rng: random.Random, kind: str) -> tuple[tuple[str, bool], ...]:
    count = rng.randint(3, 5)
    correct = {0} if kind == "single" else set(rng.sample(range(count), rng.randint(1, 2)))
    result = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.6:  # most real choices are plain words or numbers: no Markdown in them
            text = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {index}"
        elif roll < 0.8:
            text = f"O(n^{index + 1}) with {rng.choice(WORDS)}"
        else:
            text = f"`{rng.choice(WORDS)}.{rng.choice(WORDS)}()` then *{rng.choice(WORDS)}*"
        result.append((text, index in correct))
    return tuple(result)


def make_exam(index: int, questions: int, seed: int = 1) -> Exam:
    rng = random.Random(seed * 1_000_003 + index)
    exam_id = f"exam-{index:05d}"
    items = []
    for number in range(questions):
        kind = TYPES[number % len(TYPES)]
        image = index % 10 == 0 and number == 1
        choices = _choices(rng, kind) if kind in ("single", "multiple") else ()
        from_file = index % 5 == 0 and number == 2  # a true_false question, from its own .md file
        items.append(Question(f"q{number + 1}", kind, _prompt(rng, image), choices, from_file))
    instructions = "\n\n".join([f"# About this exam\n\n{_paragraph(rng)}", _list(rng), _paragraph(rng)])
    return Exam(exam_id, f"Exam {index}: {rng.choice(WORDS)} and {rng.choice(WORDS)}", instructions, tuple(items))


def _yaml_text(text: str, indent: int) -> str:
    """A Markdown text as a YAML block scalar (or a JSON string, which is valid YAML, for one line)."""
    if "\n" not in text:
        return json.dumps(text, ensure_ascii=False)
    pad = " " * indent
    return "|\n" + "\n".join(pad + line if line else "" for line in text.split("\n"))


def exam_yaml(exam: Exam) -> tuple[str, dict[str, str]]:
    """The exam's YAML, and the .md files it references (name -> text)."""
    md_files: dict[str, str] = {}
    instructions = f"{exam.id}.md"
    md_files[instructions] = exam.instructions + "\n"
    lines = [f"id: {exam.id}", f"title: {json.dumps(exam.title)}", f"instructions: {instructions}",
             "languages: [en]", "time_limit: 60", "shuffle: {questions: false, choices: true}", "questions:"]
    for question in exam.questions:
        if question.from_file:
            name = f"questions/{exam.id}-{question.id}.md"
            front = [f"id: {question.id}", f"type: {question.type}"] + _type_fields(question, 0)
            md_files[name] = "---\n" + "\n".join(front) + "\n---\n" + question.prompt + "\n"
            lines.append(f"  - file: {name}")
            continue
        lines += [f"  - id: {question.id}", f"    type: {question.type}",
                  f"    prompt: {_yaml_text(question.prompt, 6)}"]
        lines += ["    " + line for line in _type_fields(question, 4)]
    return "\n".join(lines) + "\n", md_files


def _type_fields(question: Question, indent: int) -> list[str]:
    kind = question.type
    if kind in ("single", "multiple"):
        out = ["choices:"]
        for text, correct in question.choices:
            out.append(f"  - text: {_yaml_text(text, indent + 6)}")
            if correct:
                out.append("    correct: true")
        if kind == "multiple":
            out.append("partial_credit: true")
        return out
    if kind == "true_false":
        return ["answer: true"]
    if kind == "short_text":
        return ["answers: [heap, a heap]"]
    if kind == "long_text":
        return ["rubric: Names the invariant and shows why it holds."]
    return ["answer: 42", "tolerance: 0.5"]


def mkdocs_page(exam: Exam) -> str:
    """The same Markdown as one MkDocs page: the instructions, then each question and its choices."""
    blocks = [f"# {exam.title}", exam.instructions]
    for number, question in enumerate(exam.questions, 1):
        blocks.append(f"## Question {number}")
        blocks.append(question.prompt)
        if question.choices:
            blocks.append("\n".join(f"- {text}" for text, _ in question.choices))
    return "\n\n".join(blocks) + "\n"


CONFIG = """\
site: {title: Benchmark exams, base_url: https://exams.example.edu/}
proview: {sdk: v8, environment: dev, dsn: bench-dsn, languages: [en]}
submission: {url: https://api.example.edu/submissions}
exams: [exams/*.yaml]
"""


def write_corpus(root: Path, exams: int, questions: int, seed: int = 1) -> list[Exam]:
    """An examsite site in root/site and the same content as an MkDocs project in root/mkdocs."""
    site, docs = root / "site", root / "mkdocs" / "docs"
    (site / "exams" / "questions").mkdir(parents=True, exist_ok=True)
    (site / "exams" / "images").mkdir(parents=True, exist_ok=True)
    (docs / "images").mkdir(parents=True, exist_ok=True)
    (site / "exams.yaml").write_text(CONFIG, encoding="utf-8")
    (site / "exams" / "images" / "figure.svg").write_bytes(IMAGE)
    (docs / "images" / "figure.svg").write_bytes(IMAGE)
    (root / "mkdocs" / "mkdocs.yml").write_text(
        "site_name: Benchmark exams\nmarkdown_extensions: [fenced_code, tables, sane_lists]\n"
        "use_directory_urls: true\n", encoding="utf-8")
    made = []
    for index in range(exams):
        exam = make_exam(index, questions, seed)
        text, md_files = exam_yaml(exam)
        (site / "exams" / f"{exam.id}.yaml").write_text(text, encoding="utf-8")
        for name, body in md_files.items():
            (site / "exams" / name).write_text(body, encoding="utf-8")
        (docs / f"{exam.id}.md").write_text(mkdocs_page(exam), encoding="utf-8")
        made.append(exam)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--exams", type=int, default=200)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()
    made = write_corpus(args.out, args.exams, args.questions)
    fragments = sum(len(exam.fragments()) for exam in made)
    print(f"wrote {len(made)} exams, {len(made) * args.questions} questions, {fragments} Markdown fragments "
          f"under {args.out}")


if __name__ == "__main__":
    main()
