"""Issue 20's "done when": an exam with all nine question types, one question a page and flags is
taken in Chromium, graded by `examsite grade`, and the report shows its item statistics."""

from __future__ import annotations

import json
import subprocess
import sys

from playwright.sync_api import expect

from tests.browser.conftest import REPO
from tests.browser.test_question_types import order_by_keyboard

NINE = "/focus/nine/"


def test_nine_types_one_a_page_with_flags_are_taken_graded_and_analysed(harness, sites, tmp_path, browser):
    h = harness
    h.goto(NINE + "?attendee=nine-1")
    h.start()
    shown = h.page.locator("fieldset[data-question-id]:visible")
    next_ = h.page.locator("#next-question")

    def answer(qid: str, act) -> None:
        expect(shown).to_have_attribute("data-question-id", qid)
        act(h.question(qid))
        if qid != "cloze":
            next_.click()

    answer("one", lambda q: q.get_by_label("4", exact=True).check())
    answer("many", lambda q: (q.get_by_label("2", exact=True).check(), q.get_by_label("4", exact=True).check()))
    answer("tf", lambda q: q.get_by_label("True", exact=True).check())
    answer("short", lambda q: q.get_by_label("Your answer").fill("mercury"))
    answer("essay", lambda q: (q.get_by_label("Your answer").fill("Blue light scatters more."),
                               q.get_by_role("button", name="Flag for review").click()))
    answer("num", lambda q: q.get_by_label("Your answer").fill("12"))
    answer("ord", lambda q: order_by_keyboard(h, ["Venus", "Earth", "Mars", "Mercury"]))
    answer("match", lambda q: (q.get_by_label("France", exact=True).select_option(label="Paris"),
                               q.get_by_label("Spain", exact=True).select_option(label="Paris")))
    answer("cloze", lambda q: (q.get_by_label("Blank 1").fill("Paris"), q.get_by_label("Blank 2").fill("4")))

    h.page.locator("#submit-exam").click()
    expect(h.page.locator("#confirm-flagged")).to_have_text("Flagged for review: Question 5.")
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    payload = h.endpoint.accepted[-1]
    assert set(payload["answers"]) == {"one", "many", "tf", "short", "essay", "num", "ord", "match", "cloze"}

    submissions = tmp_path / "submissions.jsonl"
    submissions.write_text(json.dumps(payload) + "\n")
    keys = str(sites / "focus-keys")
    graded = subprocess.run([sys.executable, "-m", "generator", "grade", "--keys", keys, str(submissions),
                             "--format", "json", "--strict"], cwd=REPO, capture_output=True, text=True, check=True)
    (row,) = json.loads(graded.stdout)["rows"]
    scores = {q["id"]: (q["status"], q["points"]) for q in row["questions"]}
    # many: both primes and a wrong pick, without partial credit; ord: 2 of the 3 neighbour pairs;
    # match: 1 of 2 pairs; essay waits for a person.
    assert scores == {"one": ("correct", 1.0), "many": ("wrong", 0.0), "tf": ("correct", 1.0),
                      "short": ("correct", 1.0), "essay": ("manual", None), "num": ("correct", 1.0),
                      "ord": ("partial", 2.0), "match": ("partial", 1.0), "cloze": ("correct", 2.0)}

    report = tmp_path / "report"
    subprocess.run([sys.executable, "-m", "generator", "report", "--keys", keys, "--submissions", str(submissions),
                    "--out", str(report)], cwd=REPO, capture_output=True, text=True, check=True)
    context = browser.new_context()  # the harness's context serves only the exam site
    page = context.new_page()
    page.goto((report / "index.html").as_uri())
    questions = page.locator("table.items tbody tr")
    expect(questions).to_have_count(9)
    expect(page.locator('tr[data-question="one"] .facility')).to_contain_text("100 %")
    expect(page.locator('tr[data-question="match"] .facility')).to_contain_text("50 %")
    expect(page.locator('tr[data-question="many"] [data-choice]')).to_have_count(3)
    expect(page.locator("table.candidates")).to_contain_text("awaiting marking")
    context.close()
