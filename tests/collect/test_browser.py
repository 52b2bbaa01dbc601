"""End to end in Chromium: a page built with submission.url pointing at the collect service, served
from another local origin, submits; the row is in the database and `examsite grade --db` scores
it. A page served from an origin the service does not allow is refused by the browser (CORS),
and its answers stay in the page's outbox."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from click.testing import CliRunner
from playwright.sync_api import expect

from generator.cli import main
from tests.browser.conftest import serving

from .conftest import REPO, stored

EXAM = """\
id: e2e
title: End to end
time_limit: 10
questions:
  - {id: q1, type: single, prompt: Pick four., choices: [{text: "3"}, {text: "4", correct: true}]}
  - {id: q2, type: short_text, prompt: Name a colour., answers: [red]}
"""


def build(tmp_path, submission_url: str):
    src = tmp_path / "site"
    (src / "exams").mkdir(parents=True)
    (src / "exams.yaml").write_text(
        "site: {title: E2E, base_url: 'http://127.0.0.1/'}\n"
        "proview: {sdk: v8, environment: dev, dsn: test-dsn}\n"
        f"submission: {{url: '{submission_url}'}}\n"
        "exams: [exams/*.yaml]\n")
    (src / "exams" / "e2e.yaml").write_text(EXAM)
    out, keys = tmp_path / "output", tmp_path / "keys"  # out: as the servers in the test serve it
    subprocess.run([sys.executable, "-m", "generator", "build", "--config", str(src / "exams.yaml"), "--out",
                    str(out), "--keys-dir", str(keys), "--proview", "fake", "--no-cache", "--quiet"],
                   cwd=REPO, check=True, capture_output=True)
    return keys


def take_exam(page, url: str) -> None:
    page.goto(url)
    html = page.locator("html")
    expect(html).to_have_attribute("data-exam-state", "ready", timeout=10000)
    page.locator("#start-exam").click()
    expect(html).to_have_attribute("data-exam-state", "running", timeout=10000)
    page.locator('fieldset[data-question-id="q1"]').get_by_label("4", exact=True).check()
    page.locator('fieldset[data-question-id="q2"]').get_by_label("Your answer").fill("red")
    page.locator("#submit-exam").click()
    page.locator("#confirm-yes").click()


def test_a_page_submits_to_the_service_and_grade_scores_it(tmp_path, browser, start):
    db = str(tmp_path / "collect.sqlite")
    out = tmp_path / "output"  # served as files are asked for: it can be built after the servers start
    with serving(out) as allowed, serving(out) as other:
        service = start(db, origins=(allowed,))
        keys = build(tmp_path, service.base + "/submissions")
        context = browser.new_context()
        context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        errors: list[str] = []
        try:
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            take_exam(page, f"{allowed}/e2e/?attendee=e2e-1")
            expect(page.locator("html")).to_have_attribute("data-exam-state", "submitted", timeout=15000)
            assert page.evaluate("JSON.parse(localStorage.getItem('examsite:outbox'))") == []

            # From an origin the service does not list: the preflight is refused, the POST never sent.
            refused = context.new_page()
            console: list[str] = []
            refused.on("console", lambda m: console.append(m.text))
            take_exam(refused, f"{other}/e2e/?attendee=e2e-2")
            expect(refused.locator("#exam-status")).to_contain_text("attempt 1", timeout=15000)
            outbox = refused.evaluate("JSON.parse(localStorage.getItem('examsite:outbox'))")
            assert [e["payload"]["attendee_identifier"] for e in outbox] == ["e2e-2"]
            assert outbox[0]["payload"]["answers"] == {"q1": "b", "q2": "red"}
            assert refused.locator("html").get_attribute("data-exam-state") == "submitting"
            assert any("CORS" in line for line in console)
        finally:
            context.close()
    assert errors == []
    storage = stored(db)
    try:
        (row,) = storage.rows()
    finally:
        storage.close()
    payload = json.loads(row.body)
    assert (payload["exam_id"], payload["attendee_identifier"], payload["answers"]) == (
        "e2e", "e2e-1", {"q1": "b", "q2": "red"})
    graded = CliRunner().invoke(main, ["grade", "--keys", str(keys), "--db", db])
    assert graded.exit_code == 0, graded.output
    (result,) = csv.DictReader(io.StringIO(graded.stdout))
    assert (result["attendee_identifier"], result["points"], result["max_points"]) == ("e2e-1", "2", "2")
