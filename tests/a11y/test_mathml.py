"""The examples' formulas: every $...$ and $$...$$ of the sources is MathML in the built page, well
formed, made of MathML elements only, carrying its TeX as an annotation; the page ships no math
script; Chromium lays the formulas out, and each reaches screen readers with a name."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from generator.render.markdown import MATH_PATTERN
from generator.render.mathml import MATHML_TAGS

REPO = Path(__file__).resolve().parents[2]
MATHML = "{http://www.w3.org/1998/Math/MathML}"
MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.S)


def source_formulas(exam: str) -> list[str]:
    """Every formula written in the exam's YAML and instructions, as TeX."""
    texts = [(REPO / "exams" / f"{exam}.md").read_text(encoding="utf-8")]

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("prompt", "text", "answer") and isinstance(value, str):
                    texts.append(value)
                elif key in ("items", "distractors") and isinstance(value, list):
                    texts.extend(entry for entry in value if isinstance(entry, str))
                    walk(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((REPO / "exams" / f"{exam}.yaml").read_text(encoding="utf-8")))
    return [m.group("display") or m.group("inline") for text in texts for m in re.finditer(MATH_PATTERN, text)]


def page_formulas(page: Path) -> list[str]:
    html = page.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="examsite-data">(.*?)</script>', html, re.S)[1])
    shown = [html.split('id="examsite-data"')[0]]  # the instructions, rendered into the page


    def walk(node) -> None:  # every rendered text: prompts, choices, items, options, cloze texts
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("html") and isinstance(value, str):
                    shown.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data["items"])
    return [m.group(0) for text in shown for m in MATH_ELEMENT.finditer(text)]


def test_every_formula_of_the_stem_example_is_valid_mathml_with_its_tex(a11y_sites):
    for exam in ("physics-kinematics", "chimie-etats"):
        page = a11y_sites / "v8" / "examples" / exam / "index.html"
        expected = source_formulas(exam)
        found = page_formulas(page)
        assert expected and len(found) == len(expected), (exam, len(found), len(expected))
        annotations = []
        for markup in found:
            root = ET.fromstring(markup)  # well formed, or this raises
            assert root.tag == MATHML + "math" and root.get("display") in ("inline", "block")
            names = {element.tag.removeprefix(MATHML) for element in root.iter()}
            assert names <= set(MATHML_TAGS), names - set(MATHML_TAGS)
            [semantics] = list(root)
            assert semantics.tag == MATHML + "semantics"
            annotation = list(semantics)[-1]
            assert annotation.tag == MATHML + "annotation" and annotation.get("encoding") == "application/x-tex"
            annotations.append(annotation.text)
        assert sorted(annotations) == sorted(expected)
        scripts = re.findall(r'<script[^>]*src="([^"]+)"', page.read_text(encoding="utf-8"))
        assert not [s for s in scripts if re.search(r"math|katex|tex", s, re.I)]


def test_formulas_are_laid_out_and_named_in_chromium(harness):
    h = harness
    h.goto("/examples/physics-kinematics/?attendee=math-1")
    h.start()
    boxes = h.page.locator("math").evaluate_all(
        "ms => ms.map(m => [getComputedStyle(m).display, m.getBoundingClientRect().width > 0])")
    assert boxes and all(display in ("math", "inline math", "block math") and laid_out for display, laid_out in boxes)
    # A choice that is only a formula is still a named radio button (its TeX).
    question = h.question("displacement-formula")
    question.get_by_role("radio", name=r"x = \frac{1}{2} a t^2").check()
    assert h.record("physics-kinematics", 1, "math-1")["answers"]["displacement-formula"] == "b"
