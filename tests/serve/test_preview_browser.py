"""What an author sees in the browser while editing: reloads, the error overlay, a whole exam
taken offline to its submission, and the preview aid."""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest

from playwright.sync_api import expect

from .conftest import run_cli, save

expect.set_options(timeout=8000)
PROMPT = 'prompt: "Solve for *x*: `3x + 5 = 20`."'
EDITED = 'prompt: "Find *x* when `3x + 5 = 20`."'


def state(page):
    return expect(page.locator("html"))


def wait_connected(page):
    """The live-reload client is connected: a save from now on reloads this page."""
    state(page).to_have_attribute("data-examsite-live", "connected")


def csp_violations(page):
    return json.loads(page.evaluate("sessionStorage.getItem('__csp') || '[]'"))


def test_edit_break_fix_and_submit(server, page):
    exam_file = server.site / "exams" / "algebra-quiz.yaml"
    original = exam_file.read_text()
    assert PROMPT in original

    page.goto(server.url + "algebra-quiz/?attendee=cand-1")
    state(page).to_have_attribute("data-exam-state", "ready")
    wait_connected(page)
    page.locator("#start-exam").click()
    state(page).to_have_attribute("data-exam-state", "running")
    prompt = page.locator('fieldset[data-question-id="solve-linear"] .prompt')
    expect(prompt).to_contain_text("Solve for x")

    # An edit: the page reloads by itself, back into the running exam, with the new text.
    save(exam_file, original.replace(PROMPT, EDITED))
    expect(prompt).to_contain_text("Find x when")
    state(page).to_have_attribute("data-exam-state", "running")
    server.wait_for(r"algebra-quiz\.yaml: rebuilt 1 exam\(s\)")
    wait_connected(page)

    # A broken save: the overlay shows the very lines the CLI prints; the page is not blanked.
    broken = original.replace(EDITED, PROMPT).replace(PROMPT, EDITED).replace(
        "  - id: primes\n", "  - id: primes\n    type: [multiple\n")
    save(exam_file, broken)
    overlay = page.locator("#examsite-overlay")
    expect(overlay).to_be_visible()
    cli_errors = [line for line in run_cli(server.site, "check").stderr.splitlines() if ": error: " in line]
    assert cli_errors and all(re.match(r"exams/algebra-quiz\.yaml:\d+:\d+: error: ", line) for line in cli_errors)
    for line in cli_errors:
        expect(overlay).to_contain_text(line)
    expect(page.locator("#exam-title")).to_have_text("Algebra quiz, week 6")
    expect(prompt).to_contain_text("Find x when")  # the last good build, still running
    wait_connected(page)

    # The fix clears the overlay.
    save(exam_file, original.replace(PROMPT, EDITED))
    expect(overlay).to_have_count(0)
    state(page).to_have_attribute("data-exam-state", "running")
    server.wait_for(r"fixed; rebuilt 1 exam\(s\)")

    # Taken to the end, offline: the local endpoint stores the payload in SQLite.
    page.locator('fieldset[data-question-id="solve-linear"] input[value="b"]').check()
    page.locator("#submit-exam").click()
    page.locator("#confirm-yes").click()
    state(page).to_have_attribute("data-exam-state", "submitted")

    database = server.site / ".examsite" / "submissions.sqlite"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT id, received_at, body FROM submissions ORDER BY id").fetchall()
    finals = [json.loads(body) for _, _, body in rows if json.loads(body)["kind"] == "final"]
    assert len(finals) == 1, rows
    assert finals[0]["exam_id"] == "algebra-quiz" and finals[0]["attendee_identifier"] == "cand-1"
    assert finals[0]["answers"]["solve-linear"] == "b"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", rows[-1][1])
    server.wait_for(r"submission #\d+ stored: algebra-quiz part 1, final \(submit\), attendee cand-1")

    listed = run_cli(server.site, "submissions")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"algebra-quiz\s+part 1\s+final\s+attendee cand-1", listed.stdout)
    assert csp_violations(page) == []


def test_preview_aid_shows_the_key_and_jumps_the_clock(server, page):
    page.goto(server.url + "algebra-quiz/?attendee=cand-2&answers=1")
    state(page).to_have_attribute("data-exam-state", "ready")
    page.locator("#start-exam").click()
    state(page).to_have_attribute("data-exam-state", "running")

    notes = page.locator("fieldset[data-question-id] > .examsite-key")
    expect(notes).to_have_count(7)
    # The choices as the candidate reads them, not their ids.
    expect(page.locator('fieldset[data-question-id="solve-linear"] > .examsite-key')).to_have_text(
        "Answer: x = 5 · 2 pt")
    expect(page.locator('fieldset[data-question-id="primes"] > .examsite-key')).to_have_text(
        "Answer: 2; 11 (partial credit) · 3 pt")
    expect(page.locator('fieldset[data-question-id="term-name"] > .examsite-key')).to_contain_text("coefficient")
    page.locator("#examsite-show-key").uncheck()
    expect(notes).to_have_count(0)

    timer = page.locator("#exam-timer")
    expect(timer).to_have_attribute("data-remaining", re.compile(r"^2[34]\d\d$"))  # 40 minutes
    page.locator('#examsite-preview button[data-jump="900"]').click()
    expect(timer).to_have_attribute("data-remaining", re.compile(r"^1[45]\d\d$"))  # 15 minutes later

    # The keys go to the preview aid alone: no file the site serves holds one.
    status, _, key = server.get("/__examsite/keys/algebra-quiz.json")
    assert status == 200 and b"coefficient" in key
    status, _, manifest = server.get("/manifest.json")
    served = [server.get("/" + name) for name in json.loads(manifest)["files"]]
    assert len(served) > 5 and all(status == 200 for status, _, _ in served)
    assert not [body for _, _, body in served if b"coefficient" in body]
    assert csp_violations(page) == []


def test_preview_aid_shows_ordering_matching_and_cloze_keys_as_the_candidate_reads_them(server, page):
    page.goto(server.url + "physics-kinematics/?attendee=cand-3&answers=1")
    state(page).to_have_attribute("data-exam-state", "ready")
    page.locator("#start-exam").click()
    state(page).to_have_attribute("data-exam-state", "running")

    def note(qid):
        return page.locator(f'fieldset[data-question-id="{qid}"] > .examsite-key')

    # The key's order, whatever order the page shows; formulas by their TeX.
    expect(note("free-fall-order")).to_have_text(
        "Answer: It leaves the hand moving upwards. → It slows down as it rises. → It stops for an instant at "
        "the top, where v = 0. → It speeds up on the way down. (partial credit) · 2 pt")
    expect(note("motion-graphs")).to_have_text(
        "Answer: At rest → A horizontal line; Constant velocity → A straight sloped line; Constant acceleration "
        "from rest, x = \\frac{1}{2} a t^2 → A parabola · 3 pt")
    expect(note("units")).to_have_text(
        "Answer: [1] m/s² | m/s^2 | m s^-2 | metres per second squared; [2] 5 · 2 pt")
    assert csp_violations(page) == []


def test_a_save_while_the_page_loads_is_not_missed(server, page):
    """A build published before the page's live-reload socket connected still reaches it."""
    page.route("**/livereload.js*", lambda route: (time.sleep(1.0), route.continue_()))
    page.goto(server.url + "data-structures-final/?attendee=cand-3", wait_until="commit")
    instructions = server.site / "exams" / "data-structures-final.md"
    save(instructions, instructions.read_text() + "\nLate addition to the instructions.\n")
    expect(page.locator(".instructions")).to_contain_text("Late addition to the instructions.")


@pytest.mark.parametrize("width", [1280, 375])
def test_the_preview_badge_is_not_under_the_panel(server, page, width):
    page.set_viewport_size({"width": width, "height": 740})
    page.goto(server.url + "algebra-quiz/?attendee=cand-4")
    state(page).to_have_attribute("data-exam-state", "ready")
    badge = page.locator(".proview-fake-badge")
    expect(badge).to_have_text("Preview: not proctored")
    expect(page.locator("#examsite-preview")).to_be_visible()
    # What the screen shows at the badge's centre is the badge itself, not the panel over it.
    assert badge.evaluate("""b => { const r = b.getBoundingClientRect();
      return r.width > 0 && b.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }""")


def test_the_exam_list_is_styled_for_any_screen_and_no_page_asks_for_a_missing_favicon(server, page):
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(server.url)
    assert page.locator('meta[name="viewport"]').get_attribute("content") == "width=device-width, initial-scale=1"
    expect(page.locator("main.examsite-index li a").first).to_be_visible()
    # Laid out for the phone's width (not a 980 px desktop page shrunk), in the preview's own style.
    assert page.evaluate("document.documentElement.clientWidth") == 375
    assert page.locator("main.examsite-index > ul > li").first.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    page.goto(server.url + "algebra-quiz/?attendee=cand-5")
    state(page).to_have_attribute("data-exam-state", "ready")
    page.wait_for_timeout(300)  # the browser asks for /favicon.ico after the page loads
    status, _, body = server.get("/favicon.ico")
    assert (status, body) == (204, b"")
    assert missing == []
