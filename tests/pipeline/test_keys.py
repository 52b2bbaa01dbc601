"""The answer key is never published: proved by a scan and by building with only the key changed."""

from __future__ import annotations

import json
import shutil
from string import Template
from pathlib import Path

from generator.build.run import build
from tests.kit.sites import make_site, read_tree

REPO = Path(__file__).resolve().parents[2]
KEY_FIELDS = ("correct", "answer", "answers", "tolerance", "rubric", "case_sensitive", "partial_credit")


def walk_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_keys(item)


def test_examples_output_holds_no_key_material(tmp_path):
    shutil.copy(REPO / "exams.yaml", tmp_path / "exams.yaml")
    shutil.copytree(REPO / "exams", tmp_path / "exams")
    out, keys = tmp_path / "output", tmp_path / "keys"
    build(tmp_path / "exams.yaml", None, out, keys)
    secrets = []
    for key_file in keys.glob("*.json"):
        key = json.loads(key_file.read_text())
        for question in key["questions"].values():
            secrets += [answer for answer in question.get("answers", []) if len(answer) >= 5]
            if question.get("rubric"):
                secrets.append(question["rubric"])
    assert len(secrets) >= 3  # the examples do have accepted answers and rubrics to leak
    published = read_tree(out)
    assert not any(p.startswith("keys") or p.endswith(("algebra-quiz.json", "data-structures-final.json"))
                   for p in published)
    for name, content in published.items():
        text = content.decode("utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{name} reveals '{secret}'"
        if name.endswith(".html"):
            assert not any(f'"{field}"' in text for field in KEY_FIELDS), name


def test_key_material_goes_to_the_keys_folder(tmp_path):
    shutil.copy(REPO / "exams.yaml", tmp_path / "exams.yaml")
    shutil.copytree(REPO / "exams", tmp_path / "exams")
    build(tmp_path / "exams.yaml", None, tmp_path / "output", tmp_path / "keys")
    key = json.loads((tmp_path / "keys" / "data-structures-final.json").read_text())
    assert key["questions"]["linked-list-ops"] == {"type": "multiple", "points": 3, "correct": ["a", "b"],
                                                    "partial_credit": False, "choices": ["a", "b", "c", "d"],
                                                    "shuffle_choices": False}
    assert key["questions"]["tree-height"] == {"type": "numeric", "points": 2, "answer": 3, "tolerance": 0}
    assert key["questions"]["stack-output"]["answers"] == ["or"]
    assert key["pools"]["complexity"] == ["c-binary-search", "c-hash-lookup", "c-heap-push", "c-quicksort"]
    assert key["parts"][0]["items"][-1] == {"pool": "complexity", "draw": 2}


EXAM_WITH_KEY = Template("""\
id: keyed
title: Keyed exam
time_limit: 20
questions:
  - id: choose
    type: single
    prompt: Pick one.
    choices: [{text: alpha$alpha}, {text: beta}, {text: gamma$gamma}]
  - id: several
    type: multiple
    prompt: Pick some.
    partial_credit: $partial
    choices: [{text: one$one}, {text: two$two}, {text: three, correct: true}]
  - id: number
    type: numeric
    prompt: A number.
    answer: $number
    tolerance: $tolerance
  - id: word
    type: short_text
    prompt: A word.
    answers: [$answers]
    case_sensitive: $case
  - id: truth
    type: true_false
    prompt: True?
    answer: $truth
  - id: essay
    type: long_text
    prompt: Write.
    rubric: $rubric
""")
CORRECT = ", correct: true"


def test_changing_only_the_key_changes_nothing_published(tmp_path):
    first = dict(alpha=CORRECT, gamma="", one=CORRECT, two="", partial="false", number=42, tolerance=0,
                 answers="photosynthesis", case="false", truth="true", rubric="Mentions chlorophyll")
    second = dict(alpha="", gamma=CORRECT, one="", two=CORRECT, partial="true", number=17.5, tolerance=0.5,
                  answers="respiration, Krebs cycle", case="true", truth="false", rubric="Mentions mitochondria")
    outputs, keys = [], []
    for index, values in enumerate((first, second)):
        root = tmp_path / str(index)
        config = make_site(root, {"keyed": EXAM_WITH_KEY.substitute(values)})
        build(config, None, root / "output", root / "keys")
        outputs.append(read_tree(root / "output"))
        keys.append(json.loads((root / "keys" / "keyed.json").read_text()))
    assert keys[0]["questions"]["choose"]["correct"] == ["a"] and keys[1]["questions"]["choose"]["correct"] == ["c"]
    assert keys[0]["questions"]["number"]["answer"] == 42 and keys[1]["questions"]["number"]["answer"] == 17.5
    assert outputs[0] == outputs[1]
