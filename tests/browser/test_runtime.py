"""The exam page in Chromium, start to submit, against the local Proview stand-in (issue 3)."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PAYLOAD_KEYS = {
    "schema", "submission_id", "kind", "exam_id", "part", "part_count", "workflow_identifier",
    "attendee_identifier", "token", "session_identifier", "proview_session_uuid", "answers", "order",
    "started_at", "submitted_at", "time_remaining_seconds", "reason",
}
FOCUS = "/focus/focus/"
FOCUS_SUBMIT_URL = "https://api.examsite.test/submissions"
FOCUS_IDS = ["q-single", "q-multi", "q-tf", "q-num", "q-short", "q-long"]


def names(calls):
    return [c["name"] for c in calls]


def answer_focus(h):
    """Answers every focus-exam question, by label, as a candidate would."""
    h.question("q-single").get_by_label("4", exact=True).check()
    h.question("q-multi").get_by_label("2", exact=True).check()
    h.question("q-multi").get_by_label("7", exact=True).check()
    h.question("q-tf").get_by_label("False", exact=True).check()
    h.question("q-num").get_by_label("Your answer").fill("4.5")
    h.question("q-short").get_by_label("Your answer").fill("red")
    h.question("q-long").get_by_label("Your answer").fill("Line one\nline two")
    h.page.locator('fieldset[data-question-id^="p"]').get_by_label("True", exact=True).check()


FOCUS_ANSWERS = {"q-single": "b", "q-multi": ["a", "c"], "q-tf": False, "q-num": 4.5, "q-short": "red",
                 "q-long": "Line one\nline two"}


def submit(h):
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()


# ------------------------------------------------------------------------------------------------ happy path

def test_happy_path_example_exam(harness):
    """The example quiz, start to submit: SDK call order, nothing before start, the documented payload."""
    h = harness
    h.goto("/examples/algebra-quiz/?attendee=cand-1&proview_fail=start_hold")
    h.expect_state("ready")
    intro = h.page.locator("#exam-intro")
    expect(intro).to_contain_text("Algebra quiz, week 6")
    expect(intro).to_contain_text("40 minutes")
    expect(intro).to_contain_text("Questions: 7")
    expect(intro).to_contain_text("Calculators are not allowed")  # the instructions
    expect(h.page.locator(".proview-fake-badge")).to_have_text("Preview: not proctored")
    assert names(h.calls()) == ["onError", "init", "limitLanguages"]

    # By keyboard: focus Start and press Enter. start() is held: no question may be in the DOM yet.
    h.page.locator("#start-exam").focus()
    h.page.keyboard.press("Enter")
    h.expect_state("starting")
    assert h.page.locator("#exam-questions fieldset, #exam-questions input").count() == 0
    assert "Solve for" not in h.page.locator("body").inner_text()
    h.page.evaluate("window.__proview_fake.releaseStart()")
    h.expect_state("running")
    expect(h.page.locator("#exam-questions fieldset")).to_have_count(7)
    expect(h.page.locator("#exam-timer")).to_contain_text("40:00")

    # Questions are fieldsets with legends and labelled inputs; a radio is answerable by keyboard.
    assert h.page.locator("fieldset > legend").count() == 7
    h.question("solve-linear").get_by_label("x = 5", exact=True).focus()
    h.page.keyboard.press("Space")
    h.question("primes").get_by_label("2", exact=True).check()
    h.question("primes").get_by_label("11", exact=True).check()
    h.question("slope-sign").get_by_label("True", exact=True).check()
    h.question("evaluate").get_by_label("Your answer").fill("6")
    h.question("term-name").get_by_label("Your answer").fill("coefficient")
    h.question("triangle-area").get_by_label("Your answer").fill("6")
    expect(h.page.locator("#exam-saved")).to_contain_text("saved")

    h.page.locator("#submit-exam").click()
    dialog = h.page.locator("#confirm-submit")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Unanswered: Question 7.")  # explain-method was left out
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")

    assert names(h.calls()) == ["onError", "init", "limitLanguages", "start", "complete"]
    init = h.calls()[1]["args"][0]
    assert init == {"dsn": "dev-dsn", "attendee_identifier": "cand-1", "workflow_identifier": "algebra-quiz-2026"}
    assert h.calls()[2]["args"] == [["en"]]

    assert len(h.endpoint.requests) == 1
    request = h.endpoint.requests[0]
    assert request["content_type"].startswith("application/json")
    p = request["payload"]
    assert set(p) == PAYLOAD_KEYS
    assert UUID4.match(p["submission_id"])
    assert (p["schema"], p["kind"], p["reason"]) == (1, "final", "submit")
    assert (p["exam_id"], p["part"], p["part_count"]) == ("algebra-quiz", 1, 1)
    assert (p["workflow_identifier"], p["attendee_identifier"]) == ("algebra-quiz-2026", "cand-1")
    assert p["token"] is None  # no launch-link token in this page's URL
    assert p["session_identifier"] == "cand-1-algebra-quiz-2026"  # derived by the SDK, not by the page
    assert isinstance(p["proview_session_uuid"], str) and p["proview_session_uuid"]
    assert p["answers"] == {"solve-linear": "b", "primes": ["a", "c"], "slope-sign": True, "evaluate": 6,
                            "term-name": "coefficient", "triangle-area": 6}
    assert p["order"]["questions"] == ["solve-linear", "primes", "slope-sign", "evaluate", "term-name",
                                       "triangle-area", "explain-method"]
    assert sorted(p["order"]["choices"]) == ["primes", "solve-linear"]
    assert sorted(p["order"]["choices"]["solve-linear"]) == ["a", "b", "c", "d"]
    shown = h.question("solve-linear").locator("input").evaluate_all("els => els.map(e => e.value)")
    assert shown == p["order"]["choices"]["solve-linear"]  # the order the candidate saw
    assert datetime.fromisoformat(p["started_at"]) <= datetime.fromisoformat(p["submitted_at"])
    assert 2300 < p["time_remaining_seconds"] <= 2400
    expect(h.page.locator("#submission-id")).to_have_text(p["submission_id"])
    expect(h.page.locator(".instructions")).to_be_hidden()
    expect(h.page.locator("#exam-questions")).to_be_hidden()
    # The key never reaches the page.
    html = h.page.content()
    assert "correct" not in html and "rubric" not in html and "tolerance" not in html


def test_state_events_are_dispatched(harness):
    h = harness
    h.page.add_init_script("""
      window.__states = [];
      document.addEventListener('examsite:statechange', e => window.__states.push(e.detail.state));
    """)
    h.goto(FOCUS + "?attendee=ev-1")
    h.start()
    submit(h)
    h.expect_state("submitted")
    assert h.page.evaluate("window.__states") == ["loading", "ready", "starting", "running", "submitting", "submitted"]


def test_identity_form_when_no_attendee_in_url(harness):
    h = harness
    h.goto(FOCUS)
    h.expect_state("identify")
    expect(h.page.locator("#start-exam")).to_be_disabled()
    assert names(h.calls()) == ["onError"]  # init waits for the identity
    h.page.get_by_label("Your candidate ID").fill("typed-7")
    h.page.keyboard.press("Enter")
    h.start()
    assert h.calls()[1]["args"][0]["attendee_identifier"] == "typed-7"
    h.page.reload()  # a reload in this tab keeps the identity
    h.expect_state("ready")
    expect(h.page.locator("#start-exam")).to_have_text("Resume exam")


# ------------------------------------------------------------------------------------------------ SDK failures

def _answered_earlier(h, attendee):
    """A first visit that answers a question, so a failing later visit can be checked to lose nothing."""
    h.goto(f"{FOCUS}?attendee={attendee}")
    h.start()
    h.question("q-short").get_by_label("Your answer").fill("kept")
    h.page.locator("#exam-saved").filter(has_text="All answers saved").wait_for()


@pytest.mark.parametrize("failure, message", [
    ("loader_404", "could not be loaded"),
    ("noload", "could not be loaded"),
    ("init_false", "could not be started: no reason was given (init_failed)."),
    ("init_reject", "Missing DSN"),
    ("start_reject", "Camera permission was denied"),
])
def test_sdk_failure_shows_a_clear_message_and_loses_nothing(harness, failure, message):
    h = harness
    _answered_earlier(h, "fail-1")
    if failure == "loader_404":
        h.page.route("**/proview-fake.*.js", lambda route: route.fulfill(status=404, body="not found"))
        h.goto(f"{FOCUS}?attendee=fail-1")
    else:
        h.goto(f"{FOCUS}?attendee=fail-1&proview_fail={failure}")
    if failure == "noload":
        h.expect_state("loading")
        h.page.clock.fast_forward("00:31")  # loader_timeout_seconds is 30
    elif failure == "start_reject":
        h.expect_state("ready")
        h.page.locator("#start-exam").click()
    h.expect_state("error")
    status = h.page.locator("#exam-status [role=alert]")
    expect(status).to_contain_text(message)
    expect(h.page.locator("#retry")).to_be_visible()
    assert h.page.locator("#exam-questions fieldset").count() == 0
    assert h.record("focus", 1, "fail-1")["answers"] == {"q-short": "kept"}

    if failure == "loader_404":
        # Retry re-inserts the loader; this time it loads, and the exam resumes with the answer.
        h.page.unroute("**/proview-fake.*.js")
        h.page.locator("#retry").click()
        h.start()
        expect(h.question("q-short").get_by_label("Your answer")).to_have_value("kept")
    if failure == "start_reject":
        h.page.locator("#retry").click()  # still rejected: the message stays, nothing breaks
        h.expect_state("error")
        assert names(h.calls()).count("start") == 2


@pytest.mark.parametrize("file", ["messages.en", "exam", "sdk-v8"])
def test_a_runtime_file_that_does_not_load_is_said_and_loses_nothing(harness, file):
    """A runtime file blocked (the network, or a stale copy failing its integrity check): the page
    says so in the exam's language and stops, rather than stay on "Preparing" or show keys."""
    h = harness
    _answered_earlier(h, "broken-1")
    h.page.route(re.compile(rf"/assets/{re.escape(file)}\.[0-9a-f]+\.js$"), lambda route: route.abort())
    h.goto(f"{FOCUS}?attendee=broken-1")
    h.expect_state("error")
    alert = h.page.locator("#exam-status [role=alert]")
    expect(alert).to_have_text("This page did not load completely. Check your internet connection, then reload "
                               "the page.")
    expect(h.page.locator("#start-exam")).to_be_disabled()
    assert h.page.locator("#exam-questions fieldset").count() == 0
    assert h.record("focus", 1, "broken-1")["answers"] == {"q-short": "kept"}
    h.page.unroute(re.compile(rf"/assets/{re.escape(file)}\.[0-9a-f]+\.js$"))
    h.page.reload()  # the next load works: the exam resumes with the answer
    h.start()
    expect(h.question("q-short").get_by_label("Your answer")).to_have_value("kept")


def test_on_error_mid_exam_is_shown_and_keeps_the_work(harness):
    h = harness
    h.goto(FOCUS + "?attendee=err-1")
    h.start()
    answer_focus(h)
    h.page.evaluate("window.__proview_fake.emitError({code: 'face_not_detected', message: 'No face detected', "
                    "type: 'critical'})")
    expect(h.page.locator("#exam-status [role=alert]")).to_contain_text("No face detected")
    assert h.state() == "running"
    expect(h.question("q-short").get_by_label("Your answer")).to_have_value("red")
    h.question("q-short").get_by_label("Your answer").fill("blue")  # still answerable
    submit(h)
    h.expect_state("submitted")
    answers = h.endpoint.accepted[0]["answers"]
    assert answers == {**FOCUS_ANSWERS, "q-short": "blue", **{k: v for k, v in answers.items() if k.startswith("p")}}


# ------------------------------------------------------------------------------------------------ running

def test_offline_pauses_and_online_resumes_session_and_timer(harness):
    h = harness
    h.goto(FOCUS + "?attendee=net-1")
    h.start()
    h.context.set_offline(True)
    h.expect_state("paused")
    expect(h.page.locator("#exam-status")).to_contain_text("offline")
    assert h.calls()[-1] == {"name": "pause", "args": ["Network disconnected"]}
    before = h.remaining()
    assert h.question("q-short").evaluate("fs => fs.disabled")  # no answering on paused time
    h.page.clock.fast_forward("03:00")
    h.page.wait_for_timeout(50)
    assert abs(h.remaining() - before) <= 1, "the timer ran while offline"
    expect(h.page.locator("#exam-timer")).to_contain_text("paused")

    h.context.set_offline(False)
    h.expect_state("running")
    assert h.calls()[-1]["name"] == "resume"
    h.page.clock.fast_forward("01:00")
    expect(h.page.locator("#exam-timer")).not_to_contain_text("paused")
    assert before - 62 <= h.remaining() <= before - 58, "the timer did not restart after going online"


def test_reload_mid_exam_restores_every_answer(harness):
    h = harness
    h.goto(FOCUS + "?attendee=reload-1")
    h.start()
    answer_focus(h)
    order = h.page.locator("fieldset[data-question-id]").evaluate_all(
        "fs => fs.map(f => [f.dataset.questionId, [...f.querySelectorAll('input')].map(i => i.value)])")
    h.page.reload()  # the beforeunload guard is accepted by the harness
    h.start()
    after = h.page.locator("fieldset[data-question-id]").evaluate_all(
        "fs => fs.map(f => [f.dataset.questionId, [...f.querySelectorAll('input')].map(i => i.value)])")
    assert after == order  # same draw, same choice order
    expect(h.question("q-single").get_by_label("4", exact=True)).to_be_checked()
    expect(h.question("q-multi").get_by_label("2", exact=True)).to_be_checked()
    expect(h.question("q-multi").get_by_label("7", exact=True)).to_be_checked()
    expect(h.question("q-multi").get_by_label("4", exact=True)).not_to_be_checked()
    expect(h.question("q-tf").get_by_label("False", exact=True)).to_be_checked()
    expect(h.question("q-num").get_by_label("Your answer")).to_have_value("4.5")
    expect(h.question("q-short").get_by_label("Your answer")).to_have_value("red")
    expect(h.question("q-long").get_by_label("Your answer")).to_have_value("Line one\nline two")
    expect(h.page.locator('fieldset[data-question-id^="p"]').get_by_label("True", exact=True)).to_be_checked()


def test_beforeunload_guards_a_running_exam(harness):
    h = harness
    h.goto(FOCUS + "?attendee=guard-1")
    h.start()
    h.page.locator("#exam-questions input").first.click()  # Chromium asks only after a user gesture
    h.accept_dialogs = False  # the candidate chooses to stay
    h.page.evaluate("setTimeout(() => location.reload(), 0)")
    h.page.wait_for_timeout(300)
    assert h.dialogs == ["beforeunload"]
    assert h.state() == "running"
    expect(h.page.locator("#exam-questions fieldset").first).to_be_visible()


# ------------------------------------------------------------------------------------------------ submission

def test_endpoint_failing_three_times_then_succeeding_delivers_one_submission(harness):
    h = harness
    h.endpoint.statuses = [503, 503, 503]
    h.goto(FOCUS + "?attendee=retry-1")
    h.start()
    # Time now moves only when the test says so: no retry can sneak in between two checks.
    h.page.clock.pause_at((h.page.evaluate("Date.now()") + 1000) / 1000)  # seconds since the epoch
    answer_focus(h)
    submit(h)
    h.expect_state("submitting")
    h.advance_until(lambda: len(h.endpoint.requests) >= 3)
    expect(h.page.locator("#exam-status")).to_contain_text("attempt 3")
    expect(h.page.locator("#download-answers")).to_be_visible()
    with h.page.expect_download() as info:
        h.page.locator("#download-answers").click()
    downloaded = info.value
    assert downloaded.suggested_filename.endswith(".json")
    assert '"q-short": "red"' in open(downloaded.path()).read()
    assert names(h.calls()).count("complete") == 0  # not before the answers are in

    h.advance_until(lambda: h.state() == "submitted")
    h.page.clock.fast_forward("05:00")
    h.page.wait_for_timeout(100)
    assert [r["status"] for r in h.endpoint.requests] == [503, 503, 503, 200]
    ids = {r["payload"]["submission_id"] for r in h.endpoint.requests}
    assert len(ids) == 1 and len(h.endpoint.accepted) == 1
    assert h.endpoint.accepted[0]["kind"] == "final"
    assert names(h.calls()).count("complete") == 1
    assert h.page.evaluate("JSON.parse(localStorage.getItem('examsite:outbox'))") == []


def test_outbox_is_delivered_on_the_next_visit(harness):
    """A submission the endpoint never took survives closing the page and goes out on the next visit."""
    h = harness
    h.context.route("https://api.examsite.test/**", lambda route: route.abort())  # network down
    h.goto(FOCUS + "?attendee=outbox-1")
    h.start()
    answer_focus(h)
    submit(h)
    h.advance_until(lambda: "(attempt " in h.status_text())  # at least one failed attempt
    h.context.unroute("https://api.examsite.test/**")
    h.page.reload()
    h.advance_until(lambda: h.state() == "submitted")
    assert len(h.endpoint.accepted) == 1
    assert h.endpoint.accepted[0]["answers"]["q-short"] == "red"


def test_a_stuck_old_submission_does_not_hold_back_a_new_one(harness):
    """An outbox entry the endpoint keeps refusing with 503 stays queued, and the new final submission
    still goes out; an entry for another endpoint (which this page's CSP would block) is left alone."""
    h = harness
    h.endpoint.failing_ids = {"old-1"}
    stuck = [{"id": "old-1", "url": FOCUS_SUBMIT_URL, "recKey": "examsite:v1:old:1:x",
              "payload": {"kind": "interim", "submission_id": "old-1"}},
             {"id": "other-1", "url": "https://elsewhere.examsite.test/submissions", "recKey": "examsite:v1:o:1:x",
              "payload": {"kind": "final", "submission_id": "other-1"}}]
    h.page.add_init_script(f"""
      if (!sessionStorage.getItem('seeded')) {{
        sessionStorage.setItem('seeded', '1');
        localStorage.setItem('examsite:outbox', JSON.stringify({json.dumps(stuck)}));
      }}""")
    h.goto(FOCUS + "?attendee=stuck-1")
    h.start()
    submit(h)
    h.expect_state("submitted")  # within the first round: no clock movement needed
    assert len(h.endpoint.accepted) == 1 and h.endpoint.accepted[0]["kind"] == "final"
    assert [r["payload"]["submission_id"] for r in h.endpoint.requests][0] == "old-1"  # tried, first, and refused
    outbox = h.page.evaluate("JSON.parse(localStorage.getItem('examsite:outbox'))")
    assert [e["id"] for e in outbox] == ["old-1", "other-1"]


def test_time_running_out_submits(harness):
    h = harness
    h.goto(FOCUS + "?attendee=time-1")
    h.start()
    h.question("q-short").get_by_label("Your answer").fill("late")
    h.page.clock.fast_forward("09:00")
    expect(h.page.locator("#exam-warning")).to_have_text("1 minute left.")  # beside the timer
    h.page.clock.fast_forward("01:01")
    h.expect_state("submitted")
    p = h.endpoint.accepted[0]
    assert (p["kind"], p["reason"], p["time_remaining_seconds"]) == ("final", "time_up", 0)
    assert p["answers"] == {"q-short": "late"}
    assert names(h.calls())[-1] == "complete"


def test_extra_time_for_an_accommodated_attendee(harness):
    """accommodations: 50% extra for extra-1, found by its salted hash; the name is not in the page."""
    h = harness
    h.goto(FOCUS + "?attendee=extra-1")
    h.expect_state("ready")
    assert "extra-1" not in h.page.locator("#examsite-data").text_content()
    expect(h.page.locator("#exam-time-limit")).to_have_text("15 minutes (with 50% extra time)")
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    expect(h.page.locator("#exam-timer")).to_contain_text("15:00")
    h.page.clock.fast_forward("10:30")
    h.page.wait_for_timeout(50)
    assert h.state() == "running"
    h.page.clock.fast_forward("04:31")
    h.expect_state("submitted")
    assert h.endpoint.accepted[0]["reason"] == "time_up"


def test_no_extra_time_for_anyone_else(harness):
    h = harness
    h.goto(FOCUS + "?attendee=extra-2")
    h.start()
    expect(h.page.locator("#exam-time-limit")).to_have_text("10 minutes")
    expect(h.page.locator("#exam-timer")).to_contain_text("10:00")


# ------------------------------------------------------------------------------------------------ the guard

def test_guard_refreshes_into_a_new_session_at_85_minutes(harness):
    h = harness
    h.goto("/focus/long/?attendee=long-1")
    h.start()
    h.question("l1").get_by_label("Your answer").fill("before the refresh")
    h.question("l2").get_by_label("y", exact=True).check()
    first_uuid = h.record("long", 1, "long-1")["session_uuid"]

    h.page.clock.fast_forward("01:24:50")
    h.page.wait_for_timeout(50)
    assert h.state() == "running" and "stop" not in names(h.calls())
    h.page.clock.fast_forward("00:15")  # 85:05 of session time: the guard fires
    h.page.wait_for_load_state()
    h.expect_state("running")  # a new page view, started without a click
    log = names(h.call_log())
    assert log == ["load", "onError", "init", "limitLanguages", "start", "stop",
                   "load", "onError", "init", "limitLanguages", "start"], log
    inits = [c["args"][0] for c in h.call_log() if c["name"] == "init"]
    assert "session_identifier" not in inits[0]  # single part: the SDK's own
    assert inits[1]["session_identifier"] == "long-wf.long-1.r1"  # a new one for the new session
    rec = h.record("long", 1, "long-1")
    assert rec["session_uuid"] != first_uuid
    # Answers and remaining time intact: 90 - 85 minutes, give or take the seconds the refresh took.
    expect(h.question("l1").get_by_label("Your answer")).to_have_value("before the refresh")
    expect(h.question("l2").get_by_label("y", exact=True)).to_be_checked()
    assert 290 <= h.remaining() <= 5 * 60 + 5
    interim = h.endpoint.accepted[0]
    assert (interim["kind"], interim["reason"]) == ("interim", "session_refresh")
    assert interim["answers"] == {"l1": "before the refresh", "l2": "b"}
    assert interim["proview_session_uuid"] == first_uuid

    submit(h)
    h.expect_state("submitted")
    final = h.endpoint.accepted[-1]
    assert final["kind"] == "final" and final["session_identifier"] == "long-wf.long-1.r1"
    assert final["submission_id"] != interim["submission_id"]


# ------------------------------------------------------------------------------------------------ CSP

@pytest.mark.parametrize("path", ["/examples/algebra-quiz/?attendee=csp-1", FOCUS + "?attendee=csp-1"])
def test_no_csp_violation(harness, path):
    h = harness
    h.goto(path)
    h.start()
    if path.startswith(FOCUS):
        answer_focus(h)
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    assert h.csp_violations == []
    assert not [m for m in h.console_errors if "Content Security Policy" in m]


def test_own_code_needs_no_unsafe_inline_styles(harness):
    """The same page under a CSP whose style-src lacks 'unsafe-inline': our code still reports nothing."""
    h = harness

    def stricter(route):
        response = route.fetch()
        body = response.text().replace("style-src &#39;self&#39; &#39;unsafe-inline&#39;", "style-src &#39;self&#39;")
        assert "style-src &#39;self&#39;;" in body
        route.fulfill(response=response, body=body)

    h.page.route("**/focus/focus/?*", stricter)
    h.goto(FOCUS + "?attendee=csp-2")
    h.start()
    answer_focus(h)
    submit(h)
    h.expect_state("submitted")
    assert h.csp_violations == []


# ------------------------------------------------------------------------------------------------ multi-part

def test_multi_part_example_runs_both_parts_with_two_sessions(harness):
    h = harness
    h.goto("/examples/data-structures-final/")
    h.expect_state("identify")
    h.page.get_by_label("Your candidate ID").fill("multi-7")
    h.page.get_by_role("button", name="Continue").click()
    h.start()
    expect(h.page.locator("#exam-questions fieldset")).to_have_count(5)  # 3 questions + 2 drawn from the pool
    h.question("stack-output").get_by_label("Your answer").fill("or")
    submit(h)
    h.expect_state("submitted")
    h.page.locator("#next-part").click()
    h.page.wait_for_url("**/data-structures-final/part-2/")
    h.start()  # no ID form: the identity carries over
    h.question("lru-design").get_by_label("Your answer").fill("hash map + list")
    submit(h)
    h.expect_state("submitted")
    expect(h.page.locator("#next-part")).to_have_count(0)

    starts = [c["args"][0] for c in h.call_log() if c["name"] == "start"]
    assert [s["session_identifier"] for s in starts] == ["cs201-final-2026.multi-7.p1", "cs201-final-2026.multi-7.p2"]
    assert names(h.call_log()).count("complete") == 2
    p1, p2 = h.endpoint.accepted
    assert (p1["part"], p2["part"], p1["part_count"]) == (1, 2, 2)
    assert p1["answers"] == {"stack-output": "or"} and p2["answers"] == {"lru-design": "hash map + list"}
    assert p1["proview_session_uuid"] != p2["proview_session_uuid"]
    assert p1["session_identifier"] != p2["session_identifier"]


def test_multi_part_with_session_query_derives_one_identifier_per_part(harness):
    h = harness
    h.goto("/focus/multi/?attendee=mq-1&session=attempt-9")
    h.start()
    submit(h)
    h.expect_state("submitted")
    h.page.locator("#next-part").click()
    h.start()
    assert h.page.url.endswith("/focus/multi/part-2/?attendee=mq-1&session=attempt-9")
    starts = [c["args"][0]["session_identifier"] for c in h.call_log() if c["name"] == "start"]
    assert starts == ["attempt-9.p1", "attempt-9.p2"]


def test_submitted_part_shows_its_confirmation_on_return(harness):
    h = harness
    h.goto(FOCUS + "?attendee=back-1")
    h.start()
    submit(h)
    h.expect_state("submitted")
    h.page.reload()
    h.expect_state("submitted")
    expect(h.page.locator("#exam-status")).to_contain_text(h.endpoint.accepted[0]["submission_id"])
    h.page.wait_for_timeout(100)
    assert "start" not in names(h.calls())


def test_guard_at_the_configured_time_counts_pauses_and_waits_for_the_network(harness):
    """refresh_after_minutes: 30. Session time includes a pause; offline, the refresh waits for the network."""
    h = harness
    h.goto("/guard30/long/?attendee=g30")
    h.start()
    h.question("l1").get_by_label("Your answer").fill("kept")
    h.page.clock.fast_forward("15:00")
    h.context.set_offline(True)
    h.expect_state("paused")
    h.page.clock.fast_forward("16:00")  # 31 minutes of session time, 15 of exam time
    h.page.wait_for_timeout(100)
    assert h.state() == "paused" and "stop" not in names(h.calls())
    h.context.set_offline(False)
    h.page.wait_for_load_state()
    h.advance_until(lambda: names(h.call_log()).count("start") == 2 and h.state() == "running", step_ms=500)
    log = names(h.call_log())
    assert log[log.index("stop") - 2:log.index("stop") + 2] == ["pause", "resume", "stop", "load"], log
    inits = [c["args"][0] for c in h.call_log() if c["name"] == "init"]
    assert inits[1]["session_identifier"] == "long-wf.g30.r1"
    assert 44 * 60 <= h.remaining() <= 45 * 60  # 60 minutes minus the 15 that ran
    expect(h.question("l1").get_by_label("Your answer")).to_have_value("kept")
    assert h.endpoint.accepted[0]["reason"] == "session_refresh"


def test_real_build_loads_the_sdk_from_its_loader_url(harness):
    """Without --proview fake the page loads the dev loader cross-origin (served here by the stand-in)
    under the built CSP, with crossorigin="anonymous", last and async."""
    h = harness
    h.goto("/real/algebra-quiz/?attendee=real-1")
    loader = h.page.locator("script").last
    assert loader.get_attribute("src") == "https://dev.proview.io/cdn/init.js"
    assert loader.get_attribute("async") is not None and loader.get_attribute("crossorigin") == "anonymous"
    h.start()
    assert names(h.calls()) == ["onError", "init", "limitLanguages", "start"]
    h.question("term-name").get_by_label("Your answer").fill("coefficient")
    submit(h)
    h.expect_state("submitted")
    assert h.endpoint.accepted[0]["answers"] == {"term-name": "coefficient"}
