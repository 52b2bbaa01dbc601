"""Exams in French and Arabic rendered and taken in the exam's language (Arabic right to left), and
the other shipped catalogues on the page; Proview's languages follow the exam's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

# English interface words that no other shipped language shares ("Question" is French too).
ENGLISH_UI = ("Time left", "Start exam", "Your answer", "Submit answers", "saved on this device", "Time limit",
              "True", "False", "The exam is running")


def limit_languages(h) -> list:
    return [c["args"][0] for c in h.calls() if c["name"] == "limitLanguages"]


def no_english(h) -> None:
    text = h.page.locator("body").inner_text()
    assert not [word for word in ENGLISH_UI if word in text], text


def test_french_example_exam_taken_in_french(harness):
    h = harness
    h.goto("/examples/chimie-etats/?attendee=fr-1")
    h.expect_state("ready")
    html = h.page.locator("html")
    expect(html).to_have_attribute("lang", "fr")
    expect(html).to_have_attribute("dir", "ltr")
    expect(h.page.locator("#start-exam")).to_have_text("Commencer l’examen")
    expect(h.page.locator(".exam-facts")).to_contain_text("Durée : 20 minutes")
    expect(h.page.locator("#exam-status")).to_have_text("Lisez les consignes, puis commencez quand vous êtes prêt.")
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    expect(h.page.locator("#exam-timer")).to_have_text("Temps restant 20:00")
    expect(h.page.locator("#timer-toggle")).to_have_text("Masquer le minuteur")
    expect(h.question("fusion").locator("legend")).to_have_text("Question 1, 2 points")
    h.question("fusion").get_by_label("La fusion").check()
    h.question("ebullition").get_by_label("Votre réponse").fill("100")
    h.question("masse-volumique").get_by_label("Vrai").check()
    h.question("etats").get_by_label("Solide").check()
    h.question("eau-gazeuse").get_by_label("Votre réponse").fill("vapeur")
    expect(h.page.locator("#exam-saved")).to_have_text("Toutes les réponses sont enregistrées sur cet appareil")
    no_english(h)
    h.page.locator("#submit-exam").click()
    dialog = h.page.locator("#confirm-submit")
    expect(dialog.locator("h2")).to_have_text("Envoyer vos réponses ?")
    expect(dialog).to_contain_text("Vous avez répondu à toutes les questions.")
    expect(h.page.locator("#confirm-no")).to_have_text("Continuer à travailler")
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    expect(h.page.locator("#exam-status")).to_contain_text("Vos réponses ont été envoyées. Identifiant d’envoi :")
    expect(h.page.locator("#exam-footer")).to_contain_text("Une question sur la surveillance ?")  # the site's own
    assert h.endpoint.accepted[-1]["answers"]["ebullition"] == 100
    assert limit_languages(h) == [["fr"]]


def test_arabic_exam_right_to_left_taken_in_arabic(harness):
    h = harness
    h.goto("/focus/arabic/?attendee=ar-1")
    h.expect_state("ready")
    expect(h.page.locator("html")).to_have_attribute("lang", "ar")
    expect(h.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(h.page.locator("#start-exam")).to_have_text("ابدأ الامتحان")
    expect(h.page.locator(".exam-facts")).to_contain_text("المدة: 10 دقائق")  # Arabic plural: 3-10 take "few"
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    expect(h.page.locator("#exam-timer")).to_have_text("الوقت المتبقي 10:00")
    expect(h.page.locator("#questions-heading")).to_have_text("الأسئلة")
    expect(h.question("a1").locator("legend")).to_have_text("السؤال 1، نقطة واحدة")
    h.question("a1").get_by_label("٤", exact=True).check()
    h.question("a2").get_by_label("صحيح").check()
    h.question("a3").get_by_label("إجابتك").fill("الشمس")
    no_english(h)

    # Right to left: the status bar's accent on the right, choices' buttons right of their text,
    # the timer's bar on the left of the header (its end), and the page no wider than the screen.
    box = h.page.locator("#exam-status > div")
    assert box.evaluate("e => [getComputedStyle(e).borderRightWidth, getComputedStyle(e).borderLeftWidth]") == \
        ["4px", "0px"]
    radio = h.question("a2").get_by_label("صحيح").bounding_box()
    text = h.question("a2").locator(".choice-text").first.bounding_box()
    assert radio["x"] > text["x"]
    assert h.page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    h.page.locator("#submit-exam").click()
    expect(h.page.locator("#confirm-yes")).to_have_text("تسليم")
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    expect(h.page.locator("#exam-status")).to_contain_text("سُلّمت إجاباتك")
    assert h.endpoint.accepted[-1]["answers"] == {"a1": "b", "a2": True, "a3": "الشمس"}
    assert limit_languages(h) == [["ar"]]


@pytest.mark.parametrize("lang, start, limit", [
    ("fr", "Commencer l’examen", "Durée : 10 minutes"),
    ("es", "Empezar el examen", "Tiempo límite: 10 minutos"),
    ("de", "Prüfung beginnen", "Zeitlimit: 10 Minuten"),
])
def test_each_catalogue_reaches_the_page(harness, lang, start, limit):
    h = harness
    h.goto(f"/focus/lang-{lang}/?attendee=l-1")
    h.expect_state("ready")
    expect(h.page.locator("html")).to_have_attribute("lang", lang)
    expect(h.page.locator("#start-exam")).to_have_text(start)
    expect(h.page.locator(".exam-facts")).to_contain_text(limit)
    h.page.locator("#start-exam").click()
    h.expect_state("running")
    no_english(h)
    assert limit_languages(h) == [[lang]]


def test_an_sdk_failure_without_a_reason_is_said_in_the_exams_language(harness):
    """The SDK gives no message: the page says so in French, not in the adapter's English."""
    h = harness
    h.goto("/examples/chimie-etats/?attendee=fr-2&proview_fail=init_false")
    h.expect_state("error")
    expect(h.page.locator("#exam-status [role=alert]")).to_contain_text(
        "aucune raison n’a été donnée (init_failed)")
    expect(h.page.locator("#retry")).to_have_text("Réessayer")
    no_english(h)
