"""What screen readers hear through #exam-announcer, the page's one polite live region: the timer at
10, 5 and 1 minutes left and never in between, and state changes (saved, paused, back online,
submitted). The page's clock is Playwright's, stepped with run_for, so every one-second tick runs."""

from __future__ import annotations

from playwright.sync_api import expect

# Records every text the live region takes, as an assistive technology would be told of it.
LISTEN = """() => {
  window.__said = [];
  const region = document.getElementById('exam-announcer');
  new MutationObserver(() => { const t = region.textContent.trim(); if (t) window.__said.push(t); })
    .observe(region, {childList: true, characterData: true, subtree: true});
}"""


def said(h) -> list[str]:
    return h.page.evaluate("window.__said")


def test_the_timer_is_announced_at_thresholds_only(harness):
    h = harness
    h.goto("/focus/timer/?attendee=ann-1")
    h.start()
    timer = h.page.locator("#exam-timer")
    assert timer.get_attribute("role") == "timer" and timer.get_attribute("aria-live") == "off"
    live = h.page.locator("#exam-announcer")
    assert (live.get_attribute("role"), live.get_attribute("aria-live")) == ("status", "polite")
    h.page.evaluate(LISTEN)

    h.page.clock.run_for("04:50")  # 10:10 left: 290 ticks of the visual timer, nothing said
    expect(timer).to_have_text("Time left 10:10")
    assert said(h) == []
    h.page.clock.run_for("00:15")
    assert said(h) == ["10 minutes left."]
    h.page.clock.run_for("05:00")
    assert said(h) == ["10 minutes left.", "5 minutes left."]
    # Low time: a frame as well as a colour.
    assert timer.evaluate("e => e.classList.contains('timer-low') && getComputedStyle(e).borderTopWidth") == "2px"
    h.page.clock.run_for("04:00")
    assert said(h) == ["10 minutes left.", "5 minutes left.", "1 minute left."]
    expect(h.page.locator("#exam-warning")).to_have_text("1 minute left.")  # shown beside the timer as well as said

    # State changes are announced too.
    h.context.set_offline(True)
    h.expect_state("paused")
    assert said(h)[-1].startswith("You are offline. The exam and its timer are paused")
    h.context.set_offline(False)
    h.expect_state("running")
    assert said(h)[-1] == "Back online. The exam continues."
    h.page.clock.run_for("01:05")  # time runs out
    h.expect_state("submitted")
    assert "Time is up. Sending your answers…" in said(h)
    assert said(h)[-1] == "Time ran out, so your answers were submitted automatically. Submission ID:"
    # Fourteen minutes and more of a ticking timer; three timer announcements, no others about time.
    assert len([s for s in said(h) if "left." in s]) == 3


def test_saving_is_announced_when_it_changes_not_per_keystroke(harness):
    h = harness
    h.goto("/focus/timer/?attendee=ann-2")
    h.start()
    h.page.evaluate(LISTEN)
    field = h.question("t1").get_by_label("Your answer")
    field.press_sequentially("several words of an answer")
    h.page.clock.run_for(1000)
    expect(h.page.locator("#exam-saved")).to_have_text("All answers saved on this device")
    assert said(h) == []  # saved as before: nothing new to say
    # The browser stops saving (storage full): that is said once, then not again while typing.
    h.page.evaluate("""() => {
      window.__setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };
    }""")
    field.press_sequentially(" more")
    h.page.clock.run_for(1000)
    field.press_sequentially(" and more")
    h.page.clock.run_for(1000)
    assert said(h) == ["Warning: this browser cannot save your answers"]
    expect(h.page.locator("#exam-saved")).to_have_class("save-failed")
    h.page.evaluate("() => { Storage.prototype.setItem = window.__setItem; }")
    field.press_sequentially(".")
    h.page.clock.run_for(1000)
    assert said(h)[-1] == "All answers saved on this device"
