"""The candidate's navigation in Chromium (issue 20): the question list and its states, flags for
review (saved over a reload, listed before submitting, never sent), jumping, and a part shown one
question at a time (`display: one_per_page`) whose answers are saved and sent as on one page.
The same by keyboard alone: tests/a11y/test_keyboard.py."""

from __future__ import annotations

from playwright.sync_api import expect

FOCUS = "/focus/focus/"
PAGED = "/focus/paged/"

# The keys of a payload (docs/page-contract.md): flags are not among them.
PAYLOAD_KEYS = {"schema", "submission_id", "kind", "exam_id", "part", "part_count", "workflow_identifier",
                "attendee_identifier", "token", "session_identifier", "proview_session_uuid", "answers", "order",
                "started_at", "submitted_at", "time_remaining_seconds", "reason"}


def listed(h):
    """The question list's buttons."""
    return h.page.get_by_role("navigation", name="Question list").get_by_role("button")


def symbols(button) -> str:
    """What the button shows besides its number: its ::before and ::after, as drawn."""
    return button.evaluate("""b => ['::before', '::after'].map(p => getComputedStyle(b, p).content)
                                    .filter(c => c !== 'none').join(' ')""")


def submit_and_confirm(h):
    h.page.locator("#submit-exam").click()
    expect(h.page.locator("#confirm-submit")).to_be_visible()


def test_the_list_says_each_questions_state_in_words_and_symbols(harness):
    h = harness
    h.goto(FOCUS + "?attendee=nav-1")
    h.start()
    buttons = listed(h)
    expect(buttons).to_have_count(7)
    first, fifth = buttons.nth(0), buttons.nth(4)
    expect(first).to_have_text("1")
    expect(first).to_have_accessible_name("Question 1, not answered")
    assert symbols(first) == ""
    h.question("q-single").get_by_role("radio").first.check()
    expect(first).to_have_accessible_name("Question 1, answered")
    assert "✓" in symbols(first)
    # Typing answers it; clearing the box makes it unanswered again.
    box = h.question("q-short").get_by_label("Your answer")
    box.fill("red")
    expect(fifth).to_have_accessible_name("Question 5, answered")
    box.fill("")
    expect(fifth).to_have_accessible_name("Question 5, not answered")
    assert symbols(fifth) == ""
    # Flagged: in the name and as a symbol, with or without an answer.
    h.question("q-single").get_by_role("button", name="Flag for review").click()
    expect(first).to_have_accessible_name("Question 1, answered, Flagged")
    assert "⚑" in symbols(first) and "✓" in symbols(first)


def test_a_flag_is_a_toggle_kept_over_a_reload_listed_before_submitting_and_never_sent(harness):
    h = harness
    h.goto(FOCUS + "?attendee=nav-2")
    h.start()
    flag = h.question("q-tf").locator(".flag")
    expect(flag).to_have_text("Flag for review")
    expect(flag).to_have_attribute("aria-pressed", "false")
    flag.click()
    expect(flag).to_have_text("Flagged")
    expect(flag).to_have_attribute("aria-pressed", "true")
    h.question("q-num").locator(".flag").click()
    h.question("q-num").locator(".flag").click()  # and off again
    h.question("q-short").locator(".flag").click()
    h.question("q-short").get_by_label("Your answer").fill("red")
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")

    h.page.reload()
    h.start()
    expect(h.question("q-tf").locator(".flag")).to_have_attribute("aria-pressed", "true")
    expect(h.question("q-num").locator(".flag")).to_have_attribute("aria-pressed", "false")
    expect(h.question("q-short").locator(".flag")).to_have_text("Flagged")
    expect(listed(h).nth(2)).to_have_accessible_name("Question 3, not answered, Flagged")

    submit_and_confirm(h)
    expect(h.page.locator("#confirm-flagged")).to_have_text("Flagged for review: Question 3, Question 5.")
    expect(h.page.locator("#confirm-submit")).to_contain_text(
        "Unanswered: Question 1, Question 2, Question 3, Question 4, Question 6, Question 7.")
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    payload = h.endpoint.accepted[-1]
    assert set(payload) == PAYLOAD_KEYS
    assert payload["answers"] == {"q-short": "red"}


def test_no_flag_no_flag_line_in_the_confirmation(harness):
    h = harness
    h.goto(FOCUS + "?attendee=nav-3")
    h.start()
    submit_and_confirm(h)
    expect(h.page.locator("#confirm-flagged")).to_have_count(0)


def test_the_list_jumps_to_a_question_and_focuses_it(harness):
    h = harness
    h.page.set_viewport_size({"width": 1280, "height": 600})
    h.goto(FOCUS + "?attendee=nav-4")
    h.start()
    long_text = h.question("q-long")
    expect(long_text).not_to_be_in_viewport()
    listed(h).nth(5).click()
    expect(long_text).to_be_focused()
    expect(long_text).to_be_in_viewport()
    # Clear of the sticky header.
    header = h.page.locator("#exam-header").bounding_box()
    assert long_text.bounding_box()["y"] >= header["y"] + header["height"]


def test_one_per_page_previous_next_and_the_list(harness):
    h = harness
    h.goto(PAGED + "?attendee=paged-1")
    h.start()
    previous, next_ = h.page.locator("#previous-question"), h.page.locator("#next-question")
    expect(previous).to_have_text("Previous question")
    expect(next_).to_have_text("Next question")
    shown = h.page.locator("fieldset[data-question-id]:visible")
    expect(shown).to_have_count(1)
    expect(shown).to_have_attribute("data-question-id", "s1")
    expect(previous).to_be_disabled()
    expect(listed(h).nth(0)).to_have_attribute("aria-current", "true")
    h.question("s1").get_by_label("y", exact=True).check()

    next_.click()
    expect(shown).to_have_attribute("data-question-id", "s2")
    expect(h.question("s2")).to_be_focused()
    expect(listed(h).nth(0)).to_have_attribute("aria-current", "false")
    expect(listed(h).nth(1)).to_have_attribute("aria-current", "true")
    h.question("s2").get_by_label("Your answer").fill("a")
    next_.click()
    expect(shown).to_have_attribute("data-question-id", "s3")
    expect(next_).to_be_disabled()
    expect(previous).to_be_enabled()
    previous.click()
    expect(shown).to_have_attribute("data-question-id", "s2")
    # The list jumps, in this mode too.
    listed(h).nth(0).click()
    expect(shown).to_have_attribute("data-question-id", "s1")
    expect(h.question("s1")).to_be_focused()
    expect(h.question("s1").get_by_label("y", exact=True)).to_be_checked()
    expect(listed(h).nth(1)).to_have_accessible_name("Question 2, answered")


def test_one_per_page_answers_survive_a_reload_on_another_question_and_are_sent_as_on_one_page(harness):
    h = harness
    h.goto(PAGED + "?attendee=paged-2")
    h.start()
    h.question("s1").get_by_label("z", exact=True).check()
    h.page.locator("#next-question").click()
    h.question("s2").get_by_label("Your answer").fill("a")
    h.page.locator("#next-question").click()
    h.question("s3").get_by_label("Your answer").fill("Because.")
    h.page.locator("#previous-question").click()
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")
    record = h.record("paged", 1, "paged-2")
    assert record["answers"] == {"s1": "c", "s2": "a", "s3": "Because."}  # choices are a, b, c

    h.page.reload()
    h.start()
    # Back on the question the candidate was on, with every answer.
    shown = h.page.locator("fieldset[data-question-id]:visible")
    expect(shown).to_have_attribute("data-question-id", "s2")
    expect(h.question("s2").get_by_label("Your answer")).to_have_value("a")
    listed(h).nth(2).click()
    expect(h.question("s3").get_by_label("Your answer")).to_have_value("Because.")
    listed(h).nth(0).click()
    expect(h.question("s1").get_by_label("z", exact=True)).to_be_checked()

    submit_and_confirm(h)
    expect(h.page.locator("#confirm-submit")).to_contain_text("You have answered every question.")
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    payload = h.endpoint.accepted[-1]
    assert set(payload) == PAYLOAD_KEYS
    assert payload["answers"] == {"s1": "c", "s2": "a", "s3": "Because."}
    assert payload["order"]["questions"] == ["s1", "s2", "s3"]

