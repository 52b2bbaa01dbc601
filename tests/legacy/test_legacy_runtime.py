"""The exam page with the legacy embed (issue 5), in Chromium, against the legacy stand-in:
tv('init', token, options) at start, questions only after initCallback, ProctorClient3.stop(callback)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.legacy.conftest import PREVIEW_STYLE, TOKEN

FOCUS = "/focus/focus/"
LONG = "/focus/long/"


def names(calls):
    return [c["name"] for c in calls]


def submit(h):
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()


def answered_earlier(h, path, attendee):
    """A first visit that starts and answers, so a failing later visit can be checked to lose nothing."""
    h.goto(f"{path}?attendee={attendee}")
    h.start()
    h.question("q-short").get_by_label("Your answer").fill("kept")
    h.page.locator("#exam-saved").filter(has_text="All answers saved").wait_for()


# ------------------------------------------------------------------------------------------------ happy path

def test_example_exam_start_to_submit_with_the_legacy_call_sequence(legacy):
    h = legacy
    h.goto("/examples/algebra-quiz/?attendee=cand-1&proview_fail=init_hold")
    h.expect_state("ready")
    expect(h.page.locator(".proview-fake-badge")).to_have_text("Preview: not proctored")
    assert h.calls() == []  # tv('init') runs the hardware checks: only when the candidate starts

    h.page.locator("#start-exam").click()
    h.expect_state("starting")
    assert names(h.calls()) == ["init"]
    token, options = h.calls()[0]["args"]
    assert token == TOKEN
    assert options == {
        "session": "algebra-quiz-2026.cand-1",  # mandatory in the legacy embed: derived by the page
        "profileId": "cand-1",
        "session_type": "ai_proctor", "sessionType": "ai_proctor",  # both spellings
        "sessionTitle": "Algebra quiz, week 6",  # defaults to the exam title
        "initCallback": "[function]", "networkDisconnectionCallback": "[function]",
    }
    # Until initCallback reports success, no question is in the page.
    h.page.wait_for_timeout(200)
    assert h.state() == "starting"
    assert h.page.locator("#exam-questions fieldset, #exam-questions input").count() == 0
    assert "Solve for" not in h.page.locator("body").inner_text()
    h.page.evaluate("window.__proview_fake.releaseInit()")
    h.expect_state("running")
    expect(h.page.locator("#exam-questions fieldset")).to_have_count(7)

    h.question("solve-linear").get_by_label("x = 5", exact=True).check()
    h.question("term-name").get_by_label("Your answer").fill("coefficient")
    submit(h)
    h.expect_state("submitted")

    assert names(h.calls()) == ["init", "initCallback", "stop", "stopCallback"]
    session_uuid = h.calls()[1]["args"][1]
    assert len(h.endpoint.accepted) == 1
    p = h.endpoint.accepted[0]
    assert (p["kind"], p["reason"]) == ("final", "submit")
    assert p["answers"] == {"solve-linear": "b", "term-name": "coefficient"}
    assert p["proview_session_uuid"] == session_uuid
    assert p["session_identifier"] == "algebra-quiz-2026.cand-1"
    expect(h.page.locator("#submission-id")).to_have_text(p["submission_id"])


def test_stop_is_called_only_after_the_answers_are_accepted(legacy):
    h = legacy
    h.endpoint.statuses = [503]
    h.goto(FOCUS + "?attendee=order-1")
    h.start()
    options = h.calls()[0]["args"][1]
    assert options["previewStyle"] == PREVIEW_STYLE
    assert options["session"] == "focus-wf.order-1"
    h.question("q-short").get_by_label("Your answer").fill("red")
    submit(h)
    h.advance_until(lambda: len(h.endpoint.requests) >= 1, step_ms=200)
    h.page.wait_for_timeout(100)
    assert "stop" not in names(h.calls())  # the first attempt failed: the session keeps running
    h.advance_until(lambda: h.state() == "submitted")
    assert [r["status"] for r in h.endpoint.requests] == [503, 200]
    assert names(h.calls())[-2:] == ["stop", "stopCallback"]


def test_real_build_loads_the_legacy_loader_from_the_cdn(legacy):
    """Without --proview fake: the default loader, cross-origin, last, async, under the built CSP."""
    h = legacy
    h.goto("/real/algebra-quiz/?attendee=real-1")
    loader = h.page.locator("script").last
    assert loader.get_attribute("src") == "https://cdn.proview.io/init.js"
    assert loader.get_attribute("async") is not None and loader.get_attribute("crossorigin") == "anonymous"
    h.start()
    h.question("term-name").get_by_label("Your answer").fill("coefficient")
    submit(h)
    h.expect_state("submitted")
    assert names(h.calls()) == ["init", "initCallback", "stop", "stopCallback"]
    assert h.endpoint.accepted[0]["answers"] == {"term-name": "coefficient"}


# ------------------------------------------------------------------------------------------------ initCallback(err)

def test_init_callback_error_is_shown_and_loses_nothing(legacy):
    h = legacy
    answered_earlier(h, FOCUS, "initerr-1")
    h.goto(FOCUS + "?attendee=initerr-1&proview_fail=init_error")
    h.expect_state("ready")
    h.page.locator("#start-exam").click()
    h.expect_state("error")
    expect(h.page.locator("#exam-status [role=alert]")).to_contain_text("Camera access was denied")
    expect(h.page.locator("#retry")).to_be_visible()
    assert h.page.locator("#exam-questions fieldset").count() == 0
    assert h.record("focus", 1, "initerr-1")["answers"] == {"q-short": "kept"}
    h.page.locator("#retry").click()  # still failing: the message stays, tv('init') was tried again
    h.expect_state("error")
    expect(h.page.locator("#exam-status [role=alert]")).to_contain_text("Camera access was denied")
    assert names(h.calls()) == ["init", "initCallback", "init", "initCallback"]
    assert h.record("focus", 1, "initerr-1")["answers"] == {"q-short": "kept"}


def test_init_callback_error_then_retry_runs_the_exam_with_the_earlier_answer(legacy):
    h = legacy
    answered_earlier(h, FOCUS, "initerr-2")
    h.goto(FOCUS + "?attendee=initerr-2&proview_fail=init_error_once")
    h.expect_state("ready")
    h.page.locator("#start-exam").click()
    h.expect_state("error")
    h.page.locator("#retry").click()
    h.expect_state("running")
    expect(h.question("q-short").get_by_label("Your answer")).to_have_value("kept")
    submit(h)
    h.expect_state("submitted")
    assert h.endpoint.accepted[-1]["answers"] == {"q-short": "kept"}


# ------------------------------------------------------------------------------------------------ stop(callback)

def test_stop_that_never_calls_back_does_not_trap_the_candidate(legacy):
    h = legacy
    h.goto(FOCUS + "?attendee=silent-1&proview_fail=stop_silent")
    h.start()
    h.question("q-short").get_by_label("Your answer").fill("red")
    h.question("q-tf").get_by_label("False", exact=True).check()
    submit(h)
    h.advance_until(lambda: "stop" in names(h.calls()), step_ms=100)
    assert len(h.endpoint.accepted) == 1  # the answers are in before the session is stopped
    expect(h.page.locator("#exam-status")).to_contain_text("Closing the proctoring session")
    h.page.clock.fast_forward("00:15")
    h.page.wait_for_timeout(50)
    assert h.state() == "submitting"  # still waiting for the callback...
    h.page.clock.fast_forward("00:06")
    h.expect_state("submitted")  # ...but not for ever (20 s)
    p = h.endpoint.accepted[0]
    assert p["answers"] == {"q-short": "red", "q-tf": False}
    expect(h.page.locator("#submission-id")).to_have_text(p["submission_id"])
    assert names(h.calls()) == ["init", "initCallback", "stop"]


# ------------------------------------------------------------------------------------------------ network

def test_network_disconnection_pauses_the_timer_and_renews_the_session(legacy):
    h = legacy
    h.goto(FOCUS + "?attendee=net-1")
    h.start()
    h.question("q-short").get_by_label("Your answer").fill("before")
    first_uuid = h.record("focus", 1, "net-1")["session_uuid"]
    h.page.evaluate("window.__proview_fake.disconnect()")
    h.expect_state("paused")
    expect(h.page.locator("#exam-status")).to_contain_text("lost its internet connection")
    assert names(h.calls())[-1] == "pause"  # ProctorClient3.pause
    assert h.question("q-short").evaluate("fs => fs.disabled")
    before = h.remaining()
    h.page.clock.fast_forward("03:00")
    h.page.wait_for_timeout(50)
    assert abs(h.remaining() - before) <= 1, "the timer ran while the proctoring service was disconnected"
    expect(h.page.locator("#exam-timer")).to_contain_text("paused")

    # The legacy client cannot resume: continuing renews the session (interim upload, stop, reload).
    h.page.locator("#resume-exam").click()
    h.advance_until(lambda: names(h.call_log()).count("initCallback") == 2 and h.state() == "running", step_ms=500)
    log = names(h.call_log())
    assert log == ["load", "init", "initCallback", "pause", "stop", "stopCallback",
                   "load", "init", "initCallback"], log
    sessions = [c["args"][1]["session"] for c in h.call_log() if c["name"] == "init"]
    assert sessions == ["focus-wf.net-1", "focus-wf.net-1.r1"]
    expect(h.question("q-short").get_by_label("Your answer")).to_have_value("before")
    assert abs(h.remaining() - before) <= 3
    interim = h.endpoint.accepted[0]
    assert (interim["kind"], interim["reason"], interim["answers"]) == ("interim", "session_refresh",
                                                                        {"q-short": "before"})
    assert interim["proview_session_uuid"] == first_uuid
    h.question("q-short").get_by_label("Your answer").fill("after")
    submit(h)
    h.expect_state("submitted")
    final = h.endpoint.accepted[-1]
    assert final["answers"] == {"q-short": "after"} and final["session_identifier"] == "focus-wf.net-1.r1"


def test_browser_offline_pauses_and_coming_back_renews_the_session(legacy):
    h = legacy
    h.goto(FOCUS + "?attendee=net-2")
    h.start()
    h.question("q-short").get_by_label("Your answer").fill("kept")
    h.context.set_offline(True)
    h.expect_state("paused")
    assert names(h.calls())[-1] == "pause"
    h.context.set_offline(False)
    h.advance_until(lambda: names(h.call_log()).count("initCallback") == 2 and h.state() == "running", step_ms=500)
    assert names(h.call_log())[3:7] == ["pause", "stop", "stopCallback", "load"]
    expect(h.question("q-short").get_by_label("Your answer")).to_have_value("kept")


# ------------------------------------------------------------------------------------------------ the guard

@pytest.mark.parametrize("fail", ["", "stop_silent"])
def test_guard_refreshes_into_a_new_legacy_session_at_85_minutes(legacy, fail):
    h = legacy
    h.goto(f"{LONG}?attendee=long-1&proview_fail={fail}")
    h.start()
    h.question("l1").get_by_label("Your answer").fill("before the refresh")
    h.question("l2").get_by_label("y", exact=True).check()
    first_uuid = h.record("long", 1, "long-1")["session_uuid"]
    h.page.clock.fast_forward("01:24:50")
    h.page.wait_for_timeout(50)
    assert h.state() == "running" and "stop" not in names(h.calls())
    h.page.clock.fast_forward("00:15")  # 85:05 of session time: the guard fires
    h.advance_until(lambda: names(h.call_log()).count("initCallback") == 2 and h.state() == "running", step_ms=1000)
    stopped = ["stop"] if fail else ["stop", "stopCallback"]  # a silent stop times out, then the page moves on
    log = names(h.call_log())
    assert log == ["load", "init", "initCallback", *stopped, "load", "init", "initCallback"], log
    sessions = [c["args"][1]["session"] for c in h.call_log() if c["name"] == "init"]
    assert sessions == ["long-wf.long-1", "long-wf.long-1.r1"]
    expect(h.question("l1").get_by_label("Your answer")).to_have_value("before the refresh")
    expect(h.question("l2").get_by_label("y", exact=True)).to_be_checked()
    assert 270 <= h.remaining() <= 5 * 60 + 5
    interim = h.endpoint.accepted[0]
    assert (interim["kind"], interim["reason"]) == ("interim", "session_refresh")
    assert interim["answers"] == {"l1": "before the refresh", "l2": "b"}
    assert interim["proview_session_uuid"] == first_uuid
    rec = h.record("long", 1, "long-1")
    assert rec["session_uuid"] != first_uuid
    submit(h)
    h.advance_until(lambda: h.state() == "submitted")
    final = h.endpoint.accepted[-1]
    assert final["kind"] == "final" and final["session_identifier"] == "long-wf.long-1.r1"
    assert final["answers"] == {"l1": "before the refresh", "l2": "b"}


# ------------------------------------------------------------------------------------------------ the loader

def test_loader_failure_is_shown_and_retry_loads_it(legacy):
    """No proviewOnLoad in this embed: the adapter sees the loader's load event, also for the loader
    that the page re-inserts on retry."""
    h = legacy
    answered_earlier(h, FOCUS, "load-1")
    h.page.route("**/proview-fake-legacy.*.js", lambda route: route.fulfill(status=404, body="not found"))
    h.goto(FOCUS + "?attendee=load-1")
    h.expect_state("error")
    expect(h.page.locator("#exam-status [role=alert]")).to_contain_text("could not be loaded")
    assert h.record("focus", 1, "load-1")["answers"] == {"q-short": "kept"}
    h.page.unroute("**/proview-fake-legacy.*.js")
    h.page.locator("#retry").click()
    h.start()
    expect(h.question("q-short").get_by_label("Your answer")).to_have_value("kept")
    assert names(h.calls()) == ["init", "initCallback"]


def test_a_loader_that_only_reads_its_queue_when_it_runs_is_run_again_at_start(legacy):
    """Public integrations queue tv('init') before the loader runs; here it runs first. A loader that
    leaves the page's queueing function in place (proview_fail=queue_only) still gets the call."""
    h = legacy
    h.goto(FOCUS + "?attendee=queue-1&proview_fail=queue_only")
    h.expect_state("ready")
    assert h.page.evaluate("typeof window.tv.l") == "number"  # the page's own queueing function, left in place
    h.start()
    assert names(h.calls()) == ["init", "initCallback"]
    assert h.page.locator('script[src*="proview-fake-legacy"]').count() == 2
    h.question("q-short").get_by_label("Your answer").fill("queued")
    submit(h)
    h.expect_state("submitted")
    assert h.endpoint.accepted[0]["answers"] == {"q-short": "queued"}
    assert names(h.calls()) == ["init", "initCallback", "stop", "stopCallback"]


def test_multi_part_example_runs_both_parts_with_one_legacy_session_each(legacy):
    h = legacy
    h.goto("/examples/data-structures-final/?attendee=multi-7")
    h.start()
    h.question("stack-output").get_by_label("Your answer").fill("or")
    submit(h)
    h.expect_state("submitted")
    h.page.locator("#next-part").click()
    h.page.wait_for_url("**/data-structures-final/part-2/?attendee=multi-7")
    h.start()
    h.question("lru-design").get_by_label("Your answer").fill("hash map + list")
    submit(h)
    h.expect_state("submitted")
    log = names(h.call_log())
    assert log == ["load", "init", "initCallback", "stop", "stopCallback"] * 2, log
    sessions = [c["args"][1]["session"] for c in h.call_log() if c["name"] == "init"]
    assert sessions == ["cs201-final-2026.multi-7.p1", "cs201-final-2026.multi-7.p2"]
    p1, p2 = h.endpoint.accepted
    assert p1["answers"] == {"stack-output": "or"} and p2["answers"] == {"lru-design": "hash map + list"}
    assert p1["proview_session_uuid"] != p2["proview_session_uuid"]
