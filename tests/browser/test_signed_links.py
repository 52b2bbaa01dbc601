"""`submission: {require_signed_links: true}`: the page starts only from a launch link with its
token, in the exam's language says so otherwise, keeps the link's attendee id, and sends the
token in every payload."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import Browser, expect

from generator.results.links import make_token, secrets_from_env

from .conftest import (DEV_LOADER_URL, FAKE_LOADER, FOCUS_CONFIG, FOCUS_SUBMIT_URL, MULTI_EXAM, _build, _finish,
                       _site, harness_for, serving)

SIGNED_CONFIG = FOCUS_CONFIG.replace(f"  url: {FOCUS_SUBMIT_URL}\n",
                                     f"  url: {FOCUS_SUBMIT_URL}\n  require_signed_links: true\n")
assert SIGNED_CONFIG != FOCUS_CONFIG
FRENCH_EXAM = """\
id: partiel
title: Partiel
workflow_identifier: partiel-wf
lang: fr
time_limit: 5
questions:
  - {id: f1, type: short_text, prompt: Une question., answers: [a]}
"""
FRENCH_REFUSAL = ("Cet examen ne s’ouvre qu’avec le lien personnel qui vous a été envoyé. Ouvrez de nouveau ce lien, "
                  "ou demandez-en un nouveau à l’organisateur de l’examen.")
ENGLISH_REFUSAL = ("This exam opens only from the personal link you were sent. Open that link again, or ask your "
                   "exam organiser for a new one.")
SECRETS = secrets_from_env({"EXAMSITE_LINK_SECRET": "x" * 40})
EXPIRES = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def signed_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("signed-site")
    src = tmp_path_factory.mktemp("signed-src")
    _finish([_build(_site(src / "signed", SIGNED_CONFIG, {"partiel": FRENCH_EXAM, "multi": MULTI_EXAM}),
                    root / "signed")])
    with serving(root) as url:
        yield url


@pytest.fixture
def h(browser: Browser, signed_url: str):
    with harness_for(browser, signed_url, DEV_LOADER_URL, FAKE_LOADER) as harness:
        yield harness


@pytest.mark.parametrize("query", ["", "?attendee=alice", f"?token={make_token(SECRETS, 'partiel', 'alice', EXPIRES)}"])
def test_without_a_link_token_and_attendee_the_page_says_so_in_the_exams_language(h, query):
    h.goto("/signed/partiel/" + query)
    h.expect_state("error")
    expect(h.page.locator("#exam-status [role=alert]")).to_have_text(FRENCH_REFUSAL)
    expect(h.page.locator("#identify-form")).to_be_hidden()
    expect(h.page.locator("#start-exam")).to_be_disabled()
    h.page.clock.fast_forward(60_000)  # the loader's time-out does not replace the message
    expect(h.page.locator("#exam-status [role=alert]")).to_have_text(FRENCH_REFUSAL)
    assert "init" not in [c["name"] for c in h.calls()]  # no proctoring session for nobody


def test_an_id_typed_earlier_in_the_tab_does_not_replace_the_links(h):
    h.goto("/signed/multi/")
    h.page.evaluate("sessionStorage.setItem('examsite:attendee:multi', JSON.stringify('mallory'))")
    h.goto(f"/signed/multi/?token={make_token(SECRETS, 'multi', 'alice', EXPIRES)}")
    h.expect_state("error")
    expect(h.page.locator("#exam-status [role=alert]")).to_have_text(ENGLISH_REFUSAL)


def test_the_links_token_goes_in_every_payload_of_every_part(h):
    token = make_token(SECRETS, "multi", "alice", EXPIRES)
    h.goto(f"/signed/multi/?attendee=alice&token={token}")
    h.start()
    h.question("m1").get_by_label("Your answer").fill("a")
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    h.page.locator("#next-part").click()
    h.start()
    h.page.locator("#submit-exam").click()
    h.page.locator("#confirm-yes").click()
    h.expect_state("submitted")
    assert [(p["part"], p["attendee_identifier"], p["token"]) for p in h.endpoint.accepted] == [
        (1, "alice", token), (2, "alice", token)]
