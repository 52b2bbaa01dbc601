"""Ordering, matching and cloze questions (issue 20): validation at path:line:col, the private key
and the page data, which holds ids and HTML in an order that gives nothing away."""

from __future__ import annotations

import json
import re

import pytest

from tests.kit.sites import CONFIG, build_site, make_site, problems
from tests.pipeline.test_validation import exam_with

ORDERING = """\
- id: q1
  type: ordering
  prompt: Order them.
  items:
    - First
    - Second
{more}"""

MATCHING = """\
- id: q1
  type: matching
  prompt: Match them.
  pairs:
    - {{prompt: France, answer: Paris}}
{more}"""

CLOZE = """\
- id: q1
  type: cloze
  prompt: Fill in the blanks.
  text: "Paris is in [[country]], on the [[river]]."
  blanks:
{more}"""

# (name, question, line of the exam file, fragment of the message); the question starts at line 5.
CASES = [
    ("ordering with one item", "- {id: q1, type: ordering, prompt: Hi, items: [alone]}", 5,
     "ordering question 'q1' needs at least two items"),
    ("ordering without items", "- {id: q1, type: ordering, prompt: Hi}", 5, "question 'q1' needs 'items'"),
    ("ordering with an item twice", ORDERING.format(more="    - First\n"), 11,
     "ordering question 'q1' lists the same item twice"),
    ("ordering item ids twice", ORDERING.format(more="    - {id: x, text: Third}\n    - {id: x, text: Fourth}\n"), 12,
     "duplicate item id 'x' in question 'q1'"),
    ("ordering item without text", ORDERING.format(more="    - {id: x}\n"), 11, "an item of question 'q1' needs 'text'"),
    ("matching with one pair", MATCHING.format(more=""), 5, "matching question 'q1' needs at least two pairs"),
    ("matching answer twice", MATCHING.format(more="    - {prompt: Lyon, answer: Paris}\n"), 10,
     "matching question 'q1' offers the option 'Paris' twice"),
    ("matching distractor repeats an answer",
     MATCHING.format(more="    - {prompt: Spain, answer: Madrid}\n  distractors:\n    - Rome\n    - Madrid\n"), 13,
     "offers the option 'Madrid' twice"),
    ("matching pair without answer", MATCHING.format(more="    - {prompt: Spain}\n"), 10,
     "a pair of question 'q1' needs 'answer'"),
    ("cloze blank without answers", CLOZE.format(more="    country: {answers: [France]}\n    river: {case_sensitive: true}\n"),
     11, "blank 'river' has no accepted answer"),
    ("cloze blank with an empty list", CLOZE.format(more="    country: {answers: [France]}\n    river: {answers: []}\n"),
     11, "blank 'river' has no accepted answer"),
    ("cloze marker without a definition", CLOZE.format(more="    country: {answers: [France]}\n"), 8,
     "blank [[river]] has no definition under 'blanks'"),
    ("cloze definition without a marker",
     CLOZE.format(more="    country: {answers: [France]}\n    river: {answers: [Seine]}\n    sea: {answer: 3}\n"), 12,
     "blank 'sea' is not marked in the text: write [[sea]] where it goes"),
    ("cloze text and number at once",
     CLOZE.format(more="    country: {answers: [France]}\n    river: {answer: 3, answers: [Seine]}\n"), 11,
     "blank 'river' has 'answer' (a number) and 'answers' (texts): keep one"),
    ("cloze tolerance on a text blank",
     CLOZE.format(more="    country: {answers: [France], tolerance: 1}\n    river: {answers: [Seine]}\n"), 10,
     "'tolerance' belongs to a number blank ('answer'); blank 'country' is not one"),
    ("cloze marker twice", CLOZE.format(more="    country: {answers: [France]}\n    river: {answers: [Seine]}\n")
     .replace("on the [[river]]", "on the [[river]] and [[river]]"), 8, "blank 'river' is marked twice"),
    ("cloze marker in code", CLOZE.format(more="    country: {answers: [France]}\n    river: {answers: [Seine]}\n")
     .replace("on the [[river]]", "on the `[[river]]`"), 8,
     "blank [[river]] stands in code, a formula, a link or an image, where no answer box can go"),
    ("cloze without text", "- {id: q1, type: cloze, prompt: Hi, blanks: {a: {answer: 1}}}", 5,
     "cloze question 'q1' needs 'text'"),
]


@pytest.mark.parametrize("question,line,message", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_malformed_question_is_reported_at_its_line(tmp_path, question, line, message):
    reported = problems(make_site(tmp_path, {"sample": exam_with(question)}))
    matching = [p for p in reported if message in p]
    assert matching, f"expected '{message}' in {reported}"
    assert any(f"/exams/sample.yaml:{line}:" in p and ": error: " in p for p in matching), reported


def test_a_block_text_marker_is_reported_at_its_own_line(tmp_path):
    question = """\
- id: q1
  type: cloze
  prompt: Fill in.
  text: |
    First line, no blank.

    Here: [[missing]].
  blanks: {}
"""
    reported = problems(make_site(tmp_path, {"sample": exam_with(question)}))
    assert any("/exams/sample.yaml:11:" in p and "blank [[missing]] has no definition" in p for p in reported), reported


TYPES = exam_with("""\
- id: ord
  type: ordering
  partial_credit: true
  prompt: Order.
  items: [Alpha, Beta, {id: g, text: Gamma}, Delta]
- id: match
  type: matching
  prompt: Match.
  pairs:
    - {prompt: One, answer: Un}
    - {prompt: Two, answer: Deux}
  distractors: [Trois]
- id: cloze
  type: cloze
  prompt: Fill in.
  text: "A [[word]] *and* a [[amount]] with $x^2$."
  blanks:
    word: {answers: [Mot, mot], case_sensitive: true}
    amount: {answer: 2.5, tolerance: 0.1}
""")


def test_keys_hold_the_answers_and_pages_only_ids_and_html(tmp_path):
    config = make_site(tmp_path / "site", {"sample": TYPES})
    build_site(config, tmp_path / "out", tmp_path / "keys")
    key = json.loads((tmp_path / "keys" / "sample.json").read_text())["questions"]
    page = (tmp_path / "out" / "sample" / "index.html").read_text()
    data = json.loads(re.search(r'id="examsite-data">(.*?)</script>', page, re.S).group(1))
    ordering, matching, cloze = (item["question"] for item in data["items"])

    # Ordering: the key's order by id; the page's items the same ids, in an order of their own.
    assert key["ord"]["type"] == "ordering" and key["ord"]["partial_credit"] is True
    assert len(key["ord"]["items"]) == 4 and key["ord"]["items"][2] == "g"
    assert sorted(i["id"] for i in ordering["items"]) == sorted(key["ord"]["items"])
    assert [i["id"] for i in ordering["items"]] != key["ord"]["items"]
    assert {i["html"] for i in ordering["items"]} == {"<p>Alpha</p>", "<p>Beta</p>", "<p>Gamma</p>", "<p>Delta</p>"}
    assert set(ordering) == {"id", "type", "points", "prompt_html", "items"}

    # Matching: prompts by position, options by content hash; the pairing only in the key.
    assert [p["id"] for p in matching["prompts"]] == ["p1", "p2"]
    assert sorted(o["id"] for o in matching["options"]) == sorted(key["match"]["options"])
    by_html = {o["html"]: o["id"] for o in matching["options"]}
    assert key["match"]["pairs"] == {"p1": by_html["<p>Un</p>"], "p2": by_html["<p>Deux</p>"]}
    assert set(matching) == {"id", "type", "points", "prompt_html", "prompts", "options"}

    # Cloze: the text's HTML with a numbered place per blank; kinds, never names or answers.
    assert cloze["blanks"] == ["text", "number"]
    assert '<span data-blank="0"></span> <em>and</em> a <span data-blank="1"></span> with <math' in cloze["text_html"]
    assert key["cloze"]["blanks"] == [{"name": "word", "answers": ["Mot", "mot"], "case_sensitive": True},
                                      {"name": "amount", "answer": 2.5, "tolerance": 0.1}]
    for secret in ("word", "amount", "Mot", "2.5", "pairs", "partial_credit"):
        assert secret not in page, secret


def test_raw_html_cannot_forge_a_blank(tmp_path):
    forged = TYPES.replace('text: "A [[word]]', 'text: "<span data-blank=\\"7\\" class=\\"x\\">A</span> [[word]]')
    config = make_site(tmp_path / "site", {"sample": forged})
    build_site(config, tmp_path / "out", tmp_path / "keys")
    page = (tmp_path / "out" / "sample" / "index.html").read_text()
    assert 'data-blank=\\"7' not in page and page.count("data-blank") == 2


def test_blanks_survive_python_markdown_too(tmp_path):
    config = make_site(tmp_path / "site", {"sample": TYPES},
                       config=CONFIG + "markdown:\n  engine: python-markdown\n  extensions: [smarty]\n")
    build_site(config, tmp_path / "out", tmp_path / "keys")
    page = (tmp_path / "out" / "sample" / "index.html").read_text()
    data = json.loads(re.search(r'id="examsite-data">(.*?)</script>', page, re.S).group(1))
    cloze = data["items"][2]["question"]
    assert '<span data-blank="0"></span> <em>and</em> a <span data-blank="1"></span> with <math' in cloze["text_html"]
