"""Fuzzing `examsite check`: random and mutated YAML and Markdown must end in exit status 0 or 1
with diagnostics, never an exception. Seeded and of fixed size: the same inputs on every run,
a few seconds in all."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

REPO = Path(__file__).resolve().parents[2]
SEED = 16
CASES = 120
CONFIG = (REPO / "exams.yaml").read_text(encoding="utf-8")
EXAMS = sorted((REPO / "exams").glob("*.yaml"))
EXAM_NAMES = {path.name for path in EXAMS}
MARKDOWN = sorted((REPO / "exams").rglob("*.md"))

YAML_TOKENS = ["- ", ": ", "? ", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "<<: *a\n", "!!python/object:os.system ",
               "!!binary ", "!!set ", "!!timestamp ", "|", ">-", "---\n", "...\n", "%YAML 1.1\n", "'", '"', "#", "\t",
               "\r\n", "\n  ", "\n", "~", "null", "true", "2026-12-03", "0x1F", "1e999", ".nan", "-.inf", "\\u0000",
               "\ufeff", "\u2028", "\ue000", "é", "file: ", "instructions: ", "prompt: ", "choices: ", "type: ",
               "pool: ", "draw: ", "parts: ", "time_limit: ", "../../outside.md", "/etc/hostname", "${HOME}"]
MARKDOWN_TOKENS = ["# ", "## ", "###### ", "**", "*", "_", "`", "```\n", "```python\n", "~~~", "$", "$$", "\\frac{",
                   "\\sqrt{", "^{", "_{", "}", "{", "\\", "![a](", "![](", "](", ")", "[x]", "[x]: ", "<", ">", "<img src=",
                   '"', "<script>", "</div>", "<math>", "&#xe000;", "&amp;", "\ue000", "\ue001", "| a | b |\n|---|---|\n",
                   "> ", "1. ", "- ", "* ", "---\n", "\n\n", "\n", "    ", "\t", "http://", "javascript:", "../", ".svg",
                   "images/triangle.svg", "![a](a%00.png)", "é", "\u202e", "\x00", "\x1b"]


def mutate(text: str, tokens: list[str], rng: random.Random) -> str:
    for _ in range(rng.randint(1, 6)):
        where = rng.randint(0, len(text))
        kind = rng.randrange(8)
        if kind == 0:  # cut
            text = text[:where] + text[where + rng.randint(1, 80):]
        elif kind == 1:  # repeat a piece
            piece = text[where:where + rng.randint(1, 120)]
            text = text[:where] + piece * rng.randint(2, 5) + text[where:]
        elif kind == 2:  # swap two lines
            lines = text.split("\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif kind == 3:  # nest deeply
            opener, closer = rng.choice([("[", "]"), ("{a: ", "}"), ("- ", ""), ("> ", ""), ("$\\frac{", "}$"),
                                         ("*", "*"), ("[", "](x)"), ("<div>", "</div>"), ("{", "}")])
            depth = rng.choice([50, 330, 1000, 5000])
            text = text[:where] + opener * depth + "x" + closer * depth + text[where:]
        elif kind == 4 and ": " in text:  # a value nested deeply, in place of one
            lines = text.split("\n")
            index = rng.choice([i for i, line in enumerate(lines) if ": " in line])
            depth = rng.choice([50, 330, 1000, 5000])
            opener, closer = rng.choice([("[", "]"), ("{a: ", "}"), ("[{a: ", "}]")])
            lines[index] = lines[index].split(": ")[0] + ": " + opener * depth + "x" + closer * depth
            text = "\n".join(lines)
        else:  # insert tokens
            text = text[:where] + "".join(rng.choice(tokens) for _ in range(rng.randint(1, 12))) + text[where:]
    return text


def random_yaml(rng: random.Random, depth: int = 0) -> str:
    """A random YAML value, in flow style: mappings with the keys exams use, lists, scalars."""
    keys = ["id", "title", "type", "prompt", "choices", "text", "correct", "answer", "answers", "points", "questions",
            "parts", "time_limit", "pools", "pool", "draw", "file", "instructions", "shuffle", "lang", "items", "pairs",
            "distractors", "blanks", "x"]
    roll = rng.random()
    if roll < 0.02:  # deep enough to break a recursive reader
        levels = rng.choice([330, 1000, 5000])
        return "[" * levels + "x" + "]" * levels
    if depth < 4 and roll < 0.3:
        return "{" + ", ".join(f"{rng.choice(keys)}: {random_yaml(rng, depth + 1)}" for _ in range(rng.randint(0, 5))) + "}"
    if depth < 4 and roll < 0.5:
        return "[" + ", ".join(random_yaml(rng, depth + 1) for _ in range(rng.randint(0, 4))) + "]"
    return rng.choice(["single", "multiple", "true_false", "numeric", "short_text", "long_text", "ordering", "matching",
                       "cloze", "'[[b]]'", "0", "-1", "90",
                       "1.5", "true", "null", "''", '"$x^2$"', "q1", "q.md", "'![a](images/triangle.svg)'", "[]", "{}"])


def a_case(rng: random.Random) -> tuple[str, str, str, dict[str, str | bytes]]:
    """(exams.yaml, the example exam the case starts from, that exam file's text, the Markdown
    files it replaces). One exam a case keeps each `check` short."""
    config, base = CONFIG, rng.choice(EXAMS)
    exam, markdown = base.read_text(encoding="utf-8"), {}
    roll = rng.random()
    if roll < 0.5:
        exam = mutate(exam, YAML_TOKENS, rng)
    elif roll < 0.65:
        exam = "id: fuzz\ntitle: Fuzz\n" + "\n".join(f"{key}: {random_yaml(rng)}" for key in
                                                     rng.sample(["time_limit", "questions", "parts", "pools",
                                                                 "shuffle", "instructions", "accommodations"], 4))
    elif roll < 0.75:
        config = mutate(CONFIG, YAML_TOKENS, rng)
    for path in MARKDOWN:
        if rng.random() < 0.4:
            text = mutate(path.read_text(encoding="utf-8"), MARKDOWN_TOKENS, rng)
            # Now and then not UTF-8 at all.
            markdown[str(path.relative_to(REPO))] = text.encode("utf-8") + b"\xff\xfe" if rng.random() < 0.05 else text
    return config, base.name, exam, markdown


@pytest.fixture(scope="module")
def cases() -> list[tuple[str, str, str, dict[str, str | bytes]]]:
    rng = random.Random(SEED)
    return [a_case(rng) for _ in range(CASES)]


def test_check_ends_in_diagnostics_for_random_and_mutated_input(tmp_path, cases):
    runner = CliRunner()
    outcomes = set()
    for number, (config, base, exam, markdown) in enumerate(cases):
        site = tmp_path / f"case-{number}"
        shutil.copytree(REPO / "exams", site / "exams", ignore=lambda folder, names: [n for n in names if n in EXAM_NAMES])
        (site / "exams.yaml").write_text(config, encoding="utf-8")
        (site / "exams" / base).write_text(exam, encoding="utf-8")
        for name, content in markdown.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (site / name).write_bytes(data)
        result = runner.invoke(main, ["check", "--config", str(site / "exams.yaml"), "--no-cache", "--jobs", "1",
                                      "--quiet"], catch_exceptions=True)
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        assert not crashed and result.exit_code in (0, 1) and "Traceback" not in result.stderr, (
            f"case {number}: exit {result.exit_code}, {result.exception!r}\n{result.stderr[-3000:]}\n"
            f"exam:\n{exam[:3000]}")
        outcomes.add(result.exit_code)
        shutil.rmtree(site)
    assert outcomes == {0, 1}  # the mutations leave some inputs valid and break others
