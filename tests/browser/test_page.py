"""What the candidate sees of the page in Chromium (issue 19): the question types, a page that never
moves under the candidate, opening at the top, the time warnings and the closing words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

FOCUS = "/focus/focus/"


def test_an_unknown_question_type_is_said_before_the_exam_starts(harness):
    """The runtime's type table has no 'essay': the candidate is told, and no session starts."""
    h = harness

    def essay(route):
        page = route.fetch().text()
        assert '"type":"long_text"' in page
        route.fulfill(body=page.replace('"type":"long_text"', '"type":"essay"'), content_type="text/html")

    h.page.route(h.base_url + FOCUS + "?attendee=type-1", essay)
    h.goto(FOCUS + "?attendee=type-1")
    h.expect_state("error")
    alert = h.page.locator("#exam-status [role=alert]")
    expect(alert).to_have_text("This exam has a question this page cannot show (type “essay”). "
                               "Do not start; tell your exam organiser.")
    expect(h.page.locator("#start-exam")).to_be_disabled()
    assert "start" not in [c["name"] for c in h.calls()]
    assert h.page.locator("#exam-questions fieldset").count() == 0


# ------------------------------------------------------------------------------------------- no layout shift

# Every layout shift of the page view, as the Layout Instability API reports it, with what moved.
RECORD_SHIFTS = """
window.__shifts = [];
new PerformanceObserver(list => list.getEntries().forEach(e => window.__shifts.push({
  value: e.value, input: e.hadRecentInput,
  moved: e.sources.map(s => s.node ? (s.node.id || s.node.className || s.node.nodeName) : '?'),
}))).observe({type: 'layout-shift', buffered: true});
"""


def shifts_since(h, mark: int) -> list[dict]:
    h.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    h.page.wait_for_timeout(100)  # observers are told after the frame
    return h.page.evaluate("window.__shifts").__getitem__(slice(mark, None))


@pytest.mark.parametrize("width", [1280, 375])
def test_nothing_moves_while_answering_saving_and_crossing_the_hour(harness, width):
    """A 90-minute part: typing (Saving… then saved), picking a choice, flagging and unflagging (the
    question list's buttons changing state with each), the timer going from 1:00:00 to 0:59:59 and
    the 10-minute warning move nothing on the page: the layout shifts add up to exactly 0, counting
    those right after input too."""
    h = harness
    h.page.set_viewport_size({"width": width, "height": 800})
    h.context.add_init_script(RECORD_SHIFTS)
    h.goto(f"/focus/long/?attendee=shift-{width}")
    h.start()
    timer = h.page.locator("#exam-timer")
    expect(timer).to_have_text("Time left 1:30:00")
    mark = len(shifts_since(h, 0))  # from here on, the candidate is working

    h.question("l1").get_by_label("Your answer").press_sequentially("an answer")
    expect(h.page.locator("#exam-saved")).to_have_text("Saving…")
    h.page.clock.run_for(1000)
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")
    h.question("l2").get_by_label("x", exact=True).check()
    listed = h.page.get_by_role("navigation", name="Question list").get_by_role("button")
    expect(listed.nth(1)).to_have_accessible_name("Question 2, answered")
    h.question("l1").get_by_role("button", name="Flag for review").click()
    h.question("l2").get_by_role("button", name="Flag for review").click()
    expect(listed.nth(0)).to_have_accessible_name("Question 1, answered, Flagged")
    h.question("l2").get_by_role("button", name="Flagged").click()
    expect(listed.nth(1)).to_have_accessible_name("Question 2, answered")
    h.page.clock.fast_forward("29:50")
    h.page.clock.run_for("00:15")  # one tick a second over the hour
    expect(timer).to_have_attribute("data-remaining", re.compile(r"^35[89]\d$"))  # under the hour
    h.question("l1").get_by_label("Your answer").press_sequentially(", and more")
    h.page.clock.run_for(1000)
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")
    # The 10-minute warning appears beside the timer (before the guard renews the session at 85).
    h.page.clock.fast_forward("49:45")
    h.page.clock.run_for("00:15")
    expect(h.page.locator("#exam-warning")).to_have_text("10 minutes left.")

    shifts = shifts_since(h, mark)
    assert sum(s["value"] for s in shifts) == 0, shifts


@pytest.mark.parametrize("width", [1280, 375])
def test_one_question_a_page_moves_only_when_the_candidate_moves(harness, width):
    """display: one_per_page. Answering, flagging and the list's states move nothing, input or not;
    going to another question (Next, Previous, the list) changes the page only right after the
    candidate's click, which the Layout Instability API leaves out (hadRecentInput): the other
    shifts add up to exactly 0."""
    h = harness
    h.page.set_viewport_size({"width": width, "height": 800})
    h.context.add_init_script(RECORD_SHIFTS)
    h.goto(f"/focus/paged/?attendee=shift-paged-{width}")
    h.start()
    mark = len(shifts_since(h, 0))
    h.question("s1").get_by_label("y", exact=True).check()
    h.question("s1").get_by_role("button", name="Flag for review").click()
    h.question("s1").get_by_role("button", name="Flagged").click()
    h.page.clock.run_for(1000)
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")
    shifts = shifts_since(h, mark)
    assert sum(s["value"] for s in shifts) == 0, shifts

    listed = h.page.get_by_role("navigation", name="Question list").get_by_role("button")
    h.page.locator("#next-question").click()
    h.question("s2").get_by_label("Your answer").press_sequentially("an answer")
    h.page.clock.run_for(1000)
    h.page.locator("#next-question").click()  # to the long text: the tallest question
    listed.nth(0).click()
    h.page.locator("#next-question").click()
    h.page.locator("#previous-question").click()
    expect(listed.nth(1)).to_have_accessible_name("Question 2, answered")
    h.page.clock.run_for(1000)
    shifts = shifts_since(h, mark)
    assert any(s["input"] for s in shifts), "the moves between questions were not seen"
    assert sum(s["value"] for s in shifts if not s["input"]) == 0, shifts


# ------------------------------------------------------------------------------------------- the start page

@pytest.mark.parametrize("width", [1280, 375])
def test_the_page_opens_at_the_top_and_shows_start_only_once_usable(harness, width):
    """Focus goes to the ID field without scrolling past the title, the part and the time limit;
    the disabled Start button is not shown until the ID is given and the exam can start."""
    h = harness
    h.page.set_viewport_size({"width": width, "height": 720})
    h.goto("/examples/data-structures-final/")
    h.expect_state("identify")
    expect(h.page.locator("#attendee-id")).to_be_focused()
    assert h.page.evaluate("window.scrollY") == 0
    expect(h.page.locator("#exam-title")).to_be_in_viewport()
    expect(h.page.locator("#start-exam")).to_be_hidden()
    h.page.locator("#attendee-id").fill("top-1")
    h.page.locator("#attendee-id").press("Enter")
    h.expect_state("ready")
    expect(h.page.locator("#start-exam")).to_be_visible()
    expect(h.page.locator("#start-exam")).to_be_enabled()


# ------------------------------------------------------------------------------------------- the questions

def test_multiple_choice_says_select_all_that_apply(harness):
    h = harness
    h.goto(FOCUS + "?attendee=hint-1")
    h.start()
    multi = h.question("q-multi")
    hint = multi.locator(".hint")
    expect(hint).to_have_text("Select all that apply.")
    # Read with the question: part of the fieldset's description, after the prompt.
    assert multi.get_attribute("aria-describedby").split() == ["q-1-prompt", hint.get_attribute("id")]
    expect(multi).to_have_accessible_description("Pick the primes. Select all that apply.")
    expect(h.question("q-single").locator(".hint")).to_have_count(0)


# ------------------------------------------------------------------------------------------- time

def test_time_warnings_show_beside_the_timer_and_mark_it_at_10_and_5_minutes(harness):
    """extra-1 has 15 minutes. Scrolled down to the last question, the candidate still sees each
    warning, next to the timer, for its first minute; the status area at the top is left alone."""
    h = harness
    h.goto(FOCUS + "?attendee=extra-1")
    h.start()
    h.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    timer, warning = h.page.locator("#exam-timer"), h.page.locator("#exam-warning")
    expect(warning).to_be_empty()
    h.page.clock.fast_forward("04:55")
    h.page.clock.run_for("00:10")  # 10 minutes left
    expect(warning).to_have_text("10 minutes left.")
    expect(warning).to_be_in_viewport()
    expect(timer).to_have_class("timer-warn")
    assert timer.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    assert h.page.evaluate("document.getElementById('exam-announcer').textContent") == "10 minutes left."
    h.page.clock.run_for("01:00")
    expect(warning).to_be_empty()
    expect(timer).to_have_class("timer-warn")  # the mark stays
    h.page.clock.fast_forward("03:55")
    h.page.clock.run_for("00:10")  # 5 minutes left
    expect(warning).to_have_text("5 minutes left.")
    expect(timer).to_have_class("timer-low")
    assert timer.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    assert "left" not in h.status_text()
    # Both sit in the header, on screen however far the candidate has scrolled.
    header = h.page.locator("#exam-header").bounding_box()
    box = warning.bounding_box()
    assert header["y"] == 0 and box["y"] + box["height"] <= header["y"] + header["height"]


# ------------------------------------------------------------------------------------------- the end

def test_the_last_part_says_the_exam_is_finished(harness):
    h = harness
    h.goto("/focus/multi/?attendee=end-1")
    h.start()
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    expect(h.page.locator("#next-part")).to_be_visible()
    expect(h.page.locator("#exam-finished")).to_have_count(0)  # part 1 of 2: not finished yet
    h.page.locator("#next-part").click()
    h.start()
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    expect(h.page.locator("#exam-status .status-message")).to_contain_text("Your answers have been submitted.")
    expect(h.page.locator("#exam-finished")).to_have_text("You have finished the exam. You can close this page.")
    expect(h.page.locator("#next-part")).to_have_count(0)


def test_a_time_up_submission_says_time_ran_out(harness):
    h = harness
    h.goto(FOCUS + "?attendee=end-2")
    h.start()
    h.page.clock.fast_forward("10:01")
    h.expect_state("submitted")
    message = h.page.locator("#exam-status .status-message")
    expect(message).to_contain_text("Time ran out, so your answers were submitted automatically. Submission ID:")
    expect(h.page.locator("#exam-finished")).to_be_visible()
    h.goto(FOCUS + "?attendee=end-2")  # on return too
    h.expect_state("submitted")
    expect(message).to_contain_text("Time ran out, so your answers were submitted automatically.")
