"""The page's pool draws and shuffles (exam.js) and the grader's (generator/results/draws.py)
agree: Chromium runs exam.js's own draw code for a few thousand attendee ids on every built page,
and Python must derive the same order for each."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from playwright.sync_api import Browser

from generator.results.draws import page_order
from generator.results.keys import parse_key

EXAM_JS = Path(__file__).resolve().parents[2] / "generator" / "render" / "runtime" / "exam.js"
SECTION = re.compile(r"// -+ deterministic draws and shuffles\n(.*?)\n\s*// -+ ", re.S)
DATA = re.compile(r'<script type="application/json" id="examsite-data">(.*?)</script>', re.S)

# exam.js's draw section as it is, run with the page's data and each attendee in turn.
RUN = """([source, data, attendees]) => {
  const run = new Function('data', 'attendees', 'var exam = data.exam, attendee;\\n' + source +
    '\\nreturn attendees.map(function (a) { attendee = a; return drawOrder(); });');
  return JSON.stringify(run(data, attendees));  // one string: Playwright is slow with many objects
}"""


def attendee_ids(count: int) -> list[str]:
    """Ids as people and systems make them: numbers, e-mail addresses, accents, scripts beyond
    Latin, and characters outside the Basic Multilingual Plane (two UTF-16 code units each)."""
    rng = random.Random(18)
    alphabets = ["abcdefghijklmnopqrstuvwxyz0123456789", "éèçàüößñ", "学生考试", "مرحبا", "🦊🎓𝔸", "-_.@+ "]
    ids = [f"cand-{n}" for n in range(count // 2)]
    while len(ids) < count:
        ids.append("".join(rng.choice(rng.choice(alphabets)) for _ in range(rng.randint(1, 24))))
    return ids


def test_python_and_javascript_draw_the_same_for_thousands_of_attendees(browser: Browser, sites: Path):
    found = SECTION.search(EXAM_JS.read_text(encoding="utf-8"))
    assert found and "function drawOrder" in found.group(1), "exam.js's draw section moved"
    pages = sorted((sites / "examples").glob("*/**/index.html")) + sorted((sites / "focus").glob("*/**/index.html"))
    attendees = attendee_ids(3000)
    context = browser.new_context()
    compared = set()
    try:
        page = context.new_page()
        for html in pages:
            data = json.loads(DATA.search(html.read_text(encoding="utf-8")).group(1))
            site = next(p for p in html.parents if p.parent == sites)
            raw_key = json.loads((sites / f"{site.name}-keys" / f"{data['exam']['id']}.json").read_text())
            exam = parse_key(raw_key, "key")
            part = exam.part(data["part"]["index"])
            in_js = json.loads(page.evaluate(RUN, [found.group(1), data, attendees]))
            for attendee, js in zip(attendees, in_js):
                order = page_order(exam, part, attendee)
                assert js == {"questions": list(order.questions),
                              "choices": {q: list(c) for q, c in order.choices.items()}}, (html, attendee)
            compared.add((exam.exam_id, part.index, exam.shuffle_questions, bool(part.pools)))
    finally:
        context.close()
    # Pools, shuffled questions and several parts were all among what was compared.
    assert any(pools for *_, pools in compared) and any(shuffle for _, _, shuffle, _ in compared)
    assert any(index == 2 for _, index, _, _ in compared) and len(compared) >= 8
