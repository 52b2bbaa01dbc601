"""Extra time at runtime: the page finds the candidate among the salted hashes (crypto.subtle) and
gives the listed attendee the longer time, and no one else; a part longer than one Proview session
(80 minutes + 25% = 100) still renews its session at the 90-minute guard (85 minutes)."""

from __future__ import annotations

import json

from playwright.sync_api import expect


def names(calls) -> list[str]:
    return [c["name"] for c in calls]


def test_the_listed_attendee_gets_the_extra_time_within_the_session_guard(harness):
    h = harness
    h.goto("/focus/extra/?attendee=acc-1")
    h.expect_state("ready")
    data = h.page.locator("#examsite-data").text_content()
    assert "acc-1" not in data and "acc-3" not in data  # the list is not published
    assert len(json.loads(data)["accommodations"]["extra_time"][0]["attendees"]) == 2
    expect(h.page.locator("#exam-time-limit")).to_have_text("100 minutes (with 25% extra time)")
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    assert h.remaining() == 100 * 60
    h.question("e1").get_by_label("Your answer").fill("kept across sessions")

    h.page.clock.fast_forward("01:20:30")  # past the part's own 80 minutes: still running
    h.page.wait_for_timeout(50)
    assert h.state() == "running" and 19 * 60 <= h.remaining() <= 20 * 60
    h.page.clock.fast_forward("04:40")  # 85:10 of session time: the guard renews the session
    h.page.wait_for_load_state()
    h.expect_state("running")  # a new page view, started without a click
    assert names(h.call_log()).count("start") == 2 and "stop" in names(h.call_log())
    inits = [c["args"][0] for c in h.call_log() if c["name"] == "init"]
    assert inits[1]["session_identifier"] == "extra-wf.acc-1.r1"
    assert 14 * 60 <= h.remaining() <= 15 * 60  # 100 - 85 minutes, the extra time kept
    expect(h.question("e1").get_by_label("Your answer")).to_have_value("kept across sessions")
    h.advance_until(lambda: h.state() == "submitted", step_ms=60_000, limit=20)
    final = h.endpoint.accepted[-1]
    assert (final["kind"], final["reason"], final["session_identifier"]) == ("final", "time_up", "extra-wf.acc-1.r1")
    assert final["answers"] == {"e1": "kept across sessions"}


def test_an_unlisted_attendee_gets_the_part_time_only(harness):
    h = harness
    h.goto("/focus/extra/?attendee=acc-2")
    h.expect_state("ready")
    expect(h.page.locator("#exam-time-limit")).to_have_text("80 minutes")
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    assert h.remaining() == 80 * 60
    h.page.clock.fast_forward("01:20:01")
    h.expect_state("submitted")
    assert h.endpoint.accepted[-1]["reason"] == "time_up"
    assert "stop" not in names(h.call_log())  # over before the guard


def test_extra_time_for_an_id_typed_into_the_form(harness):
    """The same salted lookup for an ID the candidate types (no ?attendee in the URL)."""
    h = harness
    h.goto("/focus/extra/")
    h.expect_state("identify")
    h.page.locator("#attendee-id").fill("acc-3")
    h.page.locator("#attendee-id").press("Enter")
    h.expect_state("ready")
    expect(h.page.locator("#exam-time-limit")).to_have_text("100 minutes (with 25% extra time)")
