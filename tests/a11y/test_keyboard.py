"""A whole exam with the keyboard only: Tab, Shift+Tab, Space, Enter, arrow keys, Escape and typing,
in document order, with a visible focus indicator on every stop; focus moves to the questions when
they appear and to the message when something goes wrong."""

from __future__ import annotations

from playwright.sync_api import expect

# What has focus, and whether it shows: :focus-visible and a real outline (on the status box, which
# draws its outline on its message box).
FOCUSED = """() => {
  const e = document.activeElement;
  const drawn = e.id === 'exam-status' ? e.firstElementChild : e;
  const s = getComputedStyle(drawn);
  return {id: e.id, type: e.type || e.tagName.toLowerCase(), name: e.name || '', value: e.value || '',
          label: e.getAttribute('aria-label') || e.textContent,
          visible: e.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2};
}"""


def focused(h) -> dict:
    return h.page.evaluate(FOCUSED)


def press(h, key: str, expected_id: str | None = None) -> dict:
    h.page.keyboard.press(key)
    now = focused(h)
    if expected_id is not None:
        assert now["id"] == expected_id, (key, now)
    assert now["visible"], f"no visible focus on {now} after {key}"
    return now


def test_a_whole_exam_by_keyboard(harness):
    h = harness
    h.goto("/focus/focus/")
    h.expect_state("identify")
    assert focused(h)["id"] == "attendee-id"  # the page starts where the candidate must type
    h.page.keyboard.type("kbd-1")
    h.page.keyboard.press("Enter")
    h.expect_state("ready")
    expect(h.page.locator("#start-exam")).to_be_focused()  # the form is gone: the next step has focus
    assert focused(h)["visible"]
    h.page.keyboard.press("Enter")
    h.expect_state("running")
    expect(h.page.locator("#questions-heading")).to_be_focused()  # focus moves to the revealed content
    assert focused(h)["visible"]

    # The timer's toggle, just before the content, works from the keyboard.
    press(h, "Shift+Tab", "timer-toggle")
    h.page.keyboard.press("Enter")
    expect(h.page.locator("#exam-timer")).to_be_hidden()
    expect(h.page.locator("#timer-toggle")).to_have_text("Show timer")
    h.page.keyboard.press("Space")
    expect(h.page.locator("#exam-timer")).to_be_visible()
    expect(h.page.locator("#timer-toggle")).to_have_text("Hide timer")

    # The question list, one stop per question, before the questions.
    for n in range(1, 8):
        assert press(h, "Tab")["label"] == f"Question {n}, not answered"

    # Every question, in document order, each followed by its flag.
    def flag_stop() -> None:
        assert press(h, "Tab")["label"] == "Flag for review"

    stops = [press(h, "Tab", "q-0-0")]                       # single: a radio group
    single = press(h, "ArrowDown", "q-0-1")["value"]         # arrows move and choose
    flag_stop()
    stops.append(press(h, "Tab", "q-1-0"))                   # multiple: three checkboxes
    h.page.keyboard.press("Space")
    stops.append(press(h, "Tab", "q-1-1"))
    stops.append(press(h, "Tab", "q-1-2"))
    h.page.keyboard.press("Space")
    flag_stop()
    stops.append(press(h, "Tab", "q-2-t"))                   # true/false
    h.page.keyboard.press("Space")
    flag_stop()
    stops.append(press(h, "Tab", "q-3-a"))                   # numeric
    h.page.keyboard.type("4")
    flag_stop()
    stops.append(press(h, "Tab", "q-4-a"))                   # short text
    h.page.keyboard.type("red")
    flag_stop()
    stops.append(press(h, "Tab", "q-5-a"))                   # long text
    h.page.keyboard.type("Because it is.")
    flag_stop()
    stops.append(press(h, "Tab", "q-6-t"))                   # the pool's true/false
    press(h, "ArrowDown", "q-6-f")
    flag_stop()
    press(h, "Tab", "submit-exam")
    press(h, "Shift+Tab")                                    # and back: the flag, then
    press(h, "Shift+Tab", "q-6-f")                           # the chosen radio of the group
    press(h, "Tab")
    press(h, "Tab", "submit-exam")
    assert [s["type"] for s in stops] == ["radio", "checkbox", "checkbox", "checkbox", "radio", "text", "text",
                                          "textarea", "radio"]

    # The confirmation: focus on the safe choice, Escape keeps working, Shift+Tab reaches Submit.
    h.page.keyboard.press("Enter")
    expect(h.page.locator("#confirm-submit")).to_be_visible()
    assert focused(h)["id"] == "confirm-no" and focused(h)["visible"]
    h.page.keyboard.press("Escape")
    expect(h.page.locator("#confirm-submit")).to_have_count(0)
    assert focused(h)["id"] == "submit-exam"
    h.page.keyboard.press("Enter")
    press(h, "Shift+Tab", "confirm-yes")
    h.page.keyboard.press("Enter")
    h.expect_state("submitted")
    expect(h.page.locator("#exam-status")).to_be_focused()  # the confirmation is read out
    assert focused(h)["visible"]

    answers = h.endpoint.accepted[-1]["answers"]
    pool = next(q for q in answers if q.startswith("p"))
    assert answers["q-single"] == single
    assert sorted(answers["q-multi"]) == sorted([stops[1]["value"], stops[3]["value"]])
    assert {k: v for k, v in answers.items() if k not in ("q-single", "q-multi", pool)} == {
        "q-tf": True, "q-num": 4, "q-short": "red", "q-long": "Because it is."}
    assert answers[pool] is False


def test_focus_goes_to_the_message_when_something_goes_wrong(harness):
    h = harness
    h.goto("/focus/focus/?attendee=kbd-2&proview_fail=start_reject")
    h.expect_state("ready")
    h.page.locator("#start-exam").focus()
    h.page.keyboard.press("Enter")
    h.expect_state("error")
    expect(h.page.locator("#exam-status")).to_be_focused()
    expect(h.page.locator("#exam-status [role=alert]")).to_contain_text("could not start")
    press(h, "Tab", "retry")  # the next stop is what to do about it


def test_a_pause_takes_focus_to_the_message_and_gives_it_back(harness):
    h = harness
    h.goto("/focus/focus/?attendee=kbd-3")
    h.start()
    h.question("q-short").get_by_label("Your answer").focus()
    h.context.set_offline(True)
    h.expect_state("paused")
    expect(h.page.locator("#exam-status")).to_be_focused()
    h.context.set_offline(False)
    h.expect_state("running")
    expect(h.question("q-short").get_by_label("Your answer")).to_be_focused()


def test_one_question_a_page_by_keyboard(harness):
    """display: one_per_page. Tab reaches the list, Enter jumps to a question (focus on it, shown),
    Space flags, Enter on Previous and Next moves; every stop shows its focus."""
    h = harness
    h.goto("/focus/paged/?attendee=kbd-paged")
    h.start()
    expect(h.page.locator("#questions-heading")).to_be_focused()
    assert press(h, "Tab")["label"] == "Question 1, not answered"
    press(h, "Tab")
    assert press(h, "Tab")["label"] == "Question 3, not answered"
    h.page.keyboard.press("Enter")
    shown = h.page.locator("fieldset[data-question-id]:visible")
    expect(shown).to_have_attribute("data-question-id", "s3")
    expect(shown).to_be_focused()
    assert focused(h)["visible"]  # the question the candidate jumped to shows it has focus
    press(h, "Tab", "q-2-a")
    h.page.keyboard.type("Typed.")
    assert press(h, "Tab")["label"] == "Flag for review"
    h.page.keyboard.press("Space")
    assert focused(h)["label"] == "Flagged"
    press(h, "Tab", "previous-question")  # Next is disabled on the last question
    h.page.keyboard.press("Enter")
    expect(shown).to_have_attribute("data-question-id", "s2")
    expect(shown).to_be_focused()
    press(h, "Tab", "q-1-a")
    press(h, "Tab")
    press(h, "Tab", "previous-question")
    press(h, "Tab", "next-question")
    h.page.keyboard.press("Enter")
    expect(shown).to_have_attribute("data-question-id", "s3")
    expect(h.page.get_by_role("navigation", name="Question list").get_by_role("button").nth(2)).to_have_accessible_name(
        "Question 3, answered, Flagged")
    press(h, "Tab", "q-2-a")
    for stop in ("Flagged", "Previous question"):
        assert press(h, "Tab")["label"] == stop
    press(h, "Tab", "submit-exam")
    h.page.keyboard.press("Enter")
    expect(h.page.locator("#confirm-flagged")).to_have_text("Flagged for review: Question 3.")
