"""Ordering, matching and cloze questions in Chromium, end to end (issue 20): answered by keyboard,
restored after a reload, submitted, then graded by `examsite grade` with the private key."""

from __future__ import annotations

import json
import subprocess
import sys

from playwright.sync_api import expect

from tests.a11y.kit import axe_violations
from tests.browser.conftest import REPO

TYPES = "/focus/types/"
PLANETS = ["Mercury", "Venus", "Earth", "Mars"]  # the key's order


def items(h) -> list[str]:
    return h.question("ord").locator("li > div").all_inner_texts()


def order_by_keyboard(h, target: list[str]) -> None:
    """Moves the items into `target` with each item's Move up button, pressed with Enter."""
    for place, name in enumerate(target):
        button = h.question("ord").locator("li", has_text=name).get_by_role("button", name="Move up")
        button.focus()
        for _ in range(items(h).index(name) - place):
            h.page.keyboard.press("Enter")
            expect(button).to_be_focused()  # the button travels with its item
    assert items(h) == target


def test_ordering_matching_and_cloze_answered_restored_submitted_and_graded(harness, sites, tmp_path):
    h = harness
    h.goto(TYPES + "?attendee=types-1")
    h.start()
    shown = items(h)
    assert sorted(shown) == sorted(PLANETS)

    # Matching: a labelled select per prompt, "Choose…" first, then every option in a seeded order.
    france = h.question("match").get_by_label("France", exact=True)
    options = france.locator("option").all_inner_texts()
    assert options[0] == "Choose…" and sorted(options[1:]) == ["9", "Lisbon", "Madrid", "Paris"]
    france.select_option(label="Paris")
    h.question("match").get_by_label("Spain", exact=True).select_option(label="Madrid")
    h.question("match").get_by_label("x^2 at x = 3").select_option(label="Lisbon")  # a formula, named by its TeX

    # Cloze: an input where each blank stands in the text, named for screen readers.
    expect(h.question("cloze").locator(".cloze")).to_contain_text("The capital of France is")
    h.question("cloze").get_by_label("Blank 1").fill("paris")
    expect(h.question("cloze").get_by_label("Blank 2")).to_have_attribute("inputmode", "decimal")
    h.question("cloze").get_by_label("Blank 2").fill("5")

    # Ordering: unanswered until an item moves; each move is said.
    expect(h.page.locator("#exam-saved")).to_contain_text("saved")
    assert "ord" not in h.record("types", 1, "types-1")["answers"]
    target = ["Earth", "Mars", "Mercury", "Venus"]  # two of the key's three neighbours
    order_by_keyboard(h, target)
    if shown != target:
        expect(h.page.locator("#exam-announcer")).to_contain_text(" of 4.")
    assert axe_violations(h.page) == []

    h.page.reload()
    h.start()
    assert items(h) == target
    expect(france).to_have_value(h.question("match").locator("option", has_text="Paris").first.get_attribute("value"))
    expect(h.question("match").get_by_label("x^2 at x = 3").locator("option:checked")).to_have_text("Lisbon")
    expect(h.question("cloze").get_by_label("Blank 1")).to_have_value("paris")
    expect(h.question("cloze").get_by_label("Blank 2")).to_have_value("5")
    assert france.locator("option").all_inner_texts() == options  # the same seeded order

    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    payload = h.endpoint.accepted[-1]
    answers = payload["answers"]
    assert len(answers["ord"]) == 4 and set(answers["match"]) == {"p1", "p2", "p3"}
    assert answers["cloze"] == ["paris", "5"]
    assert "ord" not in payload["order"]["choices"]  # the items' shown order is presentation only
    page = h.page.content()
    assert "city" not in page and "pairs" not in page  # neither blank names nor the key reach the page

    submissions = tmp_path / "submissions.jsonl"
    submissions.write_text(json.dumps(payload) + "\n")
    graded = subprocess.run([sys.executable, "-m", "generator", "grade", "--keys", str(sites / "focus-keys"),
                             str(submissions), "--format", "json", "--strict"],
                            cwd=REPO, capture_output=True, text=True, check=True)
    (row,) = json.loads(graded.stdout)["rows"]
    scores = {q["id"]: (q["status"], q["points"]) for q in row["questions"]}
    # 2 of 3 neighbour pairs, 2 of 3 pairs matched, 1 of 2 blanks.
    assert scores == {"ord": ("partial", 2.0), "match": ("partial", 2.0), "cloze": ("partial", 1.0)}
    assert (row["points"], row["max_points"]) == (5.0, 8.0)


def test_every_move_button_and_select_is_reachable_by_tab(harness):
    h = harness
    h.goto(TYPES + "?attendee=types-2")
    h.start()
    reached = []
    h.question("ord").get_by_role("button", name="Move up").first.focus()
    for _ in range(8 + 1 + 3 + 1 + 2):
        reached.append(h.page.evaluate("document.activeElement.tagName + ':' + (document.activeElement.textContent || '').slice(0, 9)"))
        h.page.keyboard.press("Tab")
    # Each question ends with its flag for review.
    assert [r.split(":")[0] for r in reached] == ["BUTTON"] * 8 + ["BUTTON"] + ["SELECT"] * 3 + ["BUTTON"] + ["INPUT"] * 2
    assert reached[8].split(":")[1] == reached[12].split(":")[1] == "Flag for "
    # Moving the first item up does nothing, and says where it is; the last one down too.
    first, last = items(h)[0], items(h)[-1]
    h.question("ord").get_by_role("button", name="Move up").first.click()
    expect(h.page.locator("#exam-announcer")).to_have_text("Position 1 of 4.")
    h.question("ord").get_by_role("button", name="Move down").last.click()
    expect(h.page.locator("#exam-announcer")).to_have_text("Position 4 of 4.")
    assert (items(h)[0], items(h)[-1]) == (first, last)
    assert "ord" not in h.record("types", 1, "types-2")["answers"]  # nothing moved: still unanswered
    # Move down, then up: the same order as shown, now given as the answer.
    shown = items(h)
    h.question("ord").get_by_role("button", name="Move down").first.click()
    expect(h.page.locator("#exam-announcer")).to_have_text("Position 2 of 4.")
    h.question("ord").locator("li", has_text=shown[0]).get_by_role("button", name="Move up").click()
    assert items(h) == shown
    answer = h.record("types", 1, "types-2")["answers"]["ord"]  # saved at once, as any change
    assert len(answer) == 4

    # Paused (offline): every control of the three types is disabled with its fieldset, and axe-clean.
    h.context.set_offline(True)
    h.expect_state("paused")
    assert h.question("ord").get_by_role("button", name="Move up").first.is_disabled()
    assert h.question("match").locator("select").first.is_disabled()
    assert h.question("cloze").get_by_label("Blank 1").is_disabled()
    assert axe_violations(h.page) == []
    h.context.set_offline(False)
    h.expect_state("running")
