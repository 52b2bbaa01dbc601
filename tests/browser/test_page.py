"""What the candidate sees of the page in Chromium (issue 19): the question types, a page that never
moves under the candidate, opening at the top, the time warnings and the closing words."""

from __future__ import annotations

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
