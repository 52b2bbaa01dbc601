"""Message catalogues (generator/i18n.py): complete catalogues, overrides from exams.yaml, warnings
for missing messages, errors for unknown keys, and what reaches the page."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from tests.kit.sites import CONFIG, EXAM, build_site, make_site, problems

from generator.site import i18n
from generator.build.cache import site_salt
from generator.site.config import load_config
from generator.diagnostics import Diagnostics
from generator.render.pages import PageOptions

SHIPPED = ("en", "fr", "es", "de", "ar")


def page_data(html: bytes) -> dict:
    match = re.search(rb'<script type="application/json" id="examsite-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def runtime_messages(page: Path) -> dict:
    """The runtime's catalogue a page loads: the one messages script, checked against its integrity."""
    found = re.findall(rb'<script src="([^"]*/messages\.[^"]+\.js)" integrity="([^"]+)"></script>', page.read_bytes())
    assert len(found) == 1, found
    url, integrity = (value.decode() for value in found[0])
    content = (page.parent / url).resolve().read_bytes()
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()
    prefix, suffix = b"window.ExamsiteMessages = ", b";\n"
    assert content.startswith(prefix) and content.endswith(suffix) and content.isascii()
    return json.loads(content[len(prefix):-len(suffix)])


@pytest.mark.parametrize("lang", SHIPPED)
def test_shipped_catalogues_are_complete_and_consistent(lang):
    english = i18n.reference()
    own = i18n.catalogue(lang)
    assert own is not None
    assert set(english) <= set(own), f"{lang} lacks {sorted(set(english) - set(own))}"
    for key, text in own.items():
        assert i18n.known_key(key), f"{lang}: unknown key {key}"
        assert text.strip(), f"{lang}: {key} is empty"
        assert i18n.placeholders(text) <= i18n.allowed_placeholders(key), f"{lang}: {key} has a foreign placeholder"
    assert not i18n.messages_for(lang).missing


def test_arabic_plural_forms_follow_cldr():
    ar = i18n.messages_for("ar")
    assert ar.plural("minutes", 1) == "دقيقة واحدة"
    assert ar.plural("minutes", 2) == "دقيقتان"
    assert ar.plural("minutes", 5) == "5 دقائق"
    assert ar.plural("minutes", 11) == "11 دقيقة"
    assert i18n.messages_for("fr").plural("minutes", 0) == "0 minute"  # French: 0 is singular
    assert i18n.messages_for("en").plural("minutes", 0) == "0 minutes"


def test_a_regional_language_uses_its_base_catalogue_and_its_own_overrides():
    messages = i18n.messages_for("fr-CA", (("fr-CA", (("start", "Débuter l’examen"),)),))
    assert messages.text("start") == "Débuter l’examen"
    assert messages.text("resume") == "Reprendre l’examen"
    assert not messages.missing


def test_a_language_without_a_catalogue_is_a_warning_and_english(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exam = EXAM.replace("time_limit: 30", "lang: pt\ntime_limit: 30")
    config = make_site(tmp_path, {"sample": exam}, CONFIG.replace("languages: [en, fr]", "languages: [en, fr, pt]"))
    found = problems(config)
    assert found == ["exams/sample.yaml:1:1: warning: there is no message catalogue for 'pt' (available: ar, de, en, "
                     "es, fr); the page's interface is in English: add messages.pt to exams.yaml"]
    summary = build_site(config, tmp_path / "out", tmp_path / "keys")
    assert summary.warnings == 1
    page = tmp_path / "out" / "sample" / "index.html"
    html = page.read_bytes()
    assert b'<html lang="pt" dir="ltr"' in html
    assert b'<button type="button" id="start-exam" disabled>Start exam</button>' in html
    assert runtime_messages(page)["start"] == "Start exam"
    assert re.search(rb'src="\.\./assets/messages\.pt\.[0-9a-f]{16}\.js"', html)


def test_a_partial_override_for_a_new_language_warns_with_the_missing_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = CONFIG.replace("languages: [en, fr]", "languages: [en, fr, pt]") + (
        "messages:\n  pt:\n    start: Começar o exame\n    minutes_one: '{n} minuto'\n    minutes_other: '{n} minutos'\n")
    exam = EXAM.replace("time_limit: 30", "lang: pt\ntime_limit: 30")
    site = make_site(tmp_path, {"sample": exam}, config)
    [warning] = problems(site)
    assert warning.startswith("exams/sample.yaml:1:1: warning: ")
    missing = len(i18n.reference()) - 3
    assert f"{missing} interface message(s) are missing for 'pt' (page_part_of, " in warning
    assert warning.endswith("English is used for them: add them under messages.pt in exams.yaml")
    build_site(site, tmp_path / "out", tmp_path / "keys")
    page = tmp_path / "out" / "sample" / "index.html"
    html = page.read_bytes().decode()
    assert ">Começar o exame</button>" in html
    assert "<strong id=\"exam-time-limit\">30 minutos</strong>" in html
    messages = runtime_messages(page)
    assert messages["resume"] == "Resume exam"  # English, never empty
    assert messages["start"] == "Começar o exame"


def test_an_override_reaches_the_template_and_the_runtime(tmp_path):
    config = CONFIG + "messages:\n  en:\n    start: Begin the exam\n    timer_hide: Hide the clock\n"
    site = make_site(tmp_path, config=config)
    assert problems(site) == []
    build_site(site, tmp_path / "out", tmp_path / "keys")
    page = tmp_path / "out" / "sample" / "index.html"
    html = page.read_bytes()
    assert b">Begin the exam</button>" in html and b">Hide the clock</button>" in html
    messages = runtime_messages(page)
    assert messages["start"] == "Begin the exam"
    assert not any(key.startswith("page_") for key in messages)  # the template's own stay out
    assert "messages" not in page_data(html)  # in the language's own file, not in every page


def test_each_language_in_use_gets_one_catalogue_file(tmp_path):
    """Pages load their language's catalogue; only languages some exam uses are published, and an
    override makes a file of another name (a browser never keeps stale texts)."""
    french = EXAM.replace("id: sample", "id: french").replace("time_limit: 30", "lang: fr\ntime_limit: 30")
    other = EXAM.replace("id: sample", "id: other")
    site = make_site(tmp_path / "a", {"sample": EXAM, "other": other, "french": french})
    build_site(site, tmp_path / "a" / "out", tmp_path / "a" / "keys")
    out = tmp_path / "a" / "out"
    names = sorted(path.name for path in (out / "assets").glob("messages.*"))
    assert [name.split(".")[1] for name in names] == ["en", "fr"]
    assert all(re.fullmatch(r"messages\.(en|fr)\.[0-9a-f]{16}\.js", name) for name in names)
    assert runtime_messages(out / "french" / "index.html")["start"] == "Commencer l’examen"
    assert runtime_messages(out / "sample" / "index.html") == runtime_messages(out / "other" / "index.html")
    assert runtime_messages(out / "sample" / "index.html")["start"] == "Start exam"
    changed = make_site(tmp_path / "b", {"sample": EXAM}, CONFIG + "messages:\n  en: {start: Begin}\n")
    build_site(changed, tmp_path / "b" / "out", tmp_path / "b" / "keys")
    [renamed] = [path.name for path in (tmp_path / "b" / "out" / "assets").glob("messages.*")]
    assert renamed.startswith("messages.en.") and renamed not in names


@pytest.mark.parametrize("messages, line, message", [
    ("  fr:\n    strat: Go\n", 7, "error: unknown message 'strat' in messages for 'fr'; did you mean 'start'?"),
    ("  fr:\n    timer: 'Reste {temps}'\n", 7,
     "error: message 'timer' for 'fr' uses {temps}, which the page does not fill in (it knows: {time})"),
    ("  fr:\n    start: ''\n", 7, "error: message 'start' for 'fr' must be a non-empty text, not empty text"),
    ("  French:\n    start: Go\n", 6, "error: 'French' under 'messages' is not a language code such as en, fr or pt-BR"),
    ("  fr: [start]\n", 6, "error: messages for 'fr' must be a mapping of keys and values, not a list"),
])
def test_invalid_overrides_are_errors_at_their_line(tmp_path, monkeypatch, messages, line, message):
    monkeypatch.chdir(tmp_path)  # diagnostics name paths relative to the working folder, as the CLI does
    site = make_site(tmp_path, config=CONFIG + "messages:\n" + messages)
    found = problems(site)
    assert len(found) == 1 and found[0].startswith(f"exams.yaml:{line}:") and found[0].endswith(message), found


def test_a_misspelt_messages_section_is_an_unknown_key(tmp_path):
    site = make_site(tmp_path, config=CONFIG + "mesages:\n  fr: {start: Go}\n")
    assert any("unknown key 'mesages' in the site configuration; did you mean 'messages'?" in p for p in problems(site))


def test_plural_forms_other_languages_have_are_accepted(tmp_path):
    site = make_site(tmp_path, config=CONFIG + "messages:\n  ar:\n    minutes_few: '{n} دقائق'\n")
    assert problems(site) == []


def test_the_build_cache_key_covers_overrides_and_catalogues(tmp_path, monkeypatch):
    """A stale cache must never serve a page with old texts: both kinds of input change the key."""
    plain = make_site(tmp_path / "a")
    changed = make_site(tmp_path / "b", config=CONFIG + "messages:\n  en: {start: Begin}\n")
    options = PageOptions()

    def salt(path: Path) -> bytes:
        config = load_config(path, None, Diagnostics())
        return site_salt(config, options)

    monkeypatch.chdir(tmp_path)
    base = salt(plain)
    assert salt(changed) != base
    catalogues = tmp_path / "messages"
    catalogues.mkdir()
    for path in i18n.MESSAGES_DIR.glob("*.json"):
        (catalogues / path.name).write_bytes(path.read_bytes())
    import generator.build.cache as cache_module
    monkeypatch.setattr(cache_module, "MESSAGES_DIR", catalogues)
    before = salt(plain)
    fr = catalogues / "fr.json"
    fr.write_text(fr.read_text(encoding="utf-8").replace("Commencer l’examen", "Démarrer l’examen"), encoding="utf-8")
    assert salt(plain) != before


def test_code_blocks_are_named_in_the_exam_language(tmp_path):
    """highlight.py's screen-reader label ("Python code") follows the exam's language."""
    prompt = 'prompt: "Que fait ce code ?\\n\\n```python\\nprint(1)\\n```\\n"'
    exam = EXAM.replace("time_limit: 30", "lang: fr\ntime_limit: 30").replace("prompt: Pick four.", prompt)
    english = EXAM.replace("id: sample", "id: english").replace("prompt: Pick four.", prompt)
    site = make_site(tmp_path, {"sample": exam, "english": english})
    build_site(site, tmp_path / "out", tmp_path / "keys")
    french = page_data((tmp_path / "out" / "sample" / "index.html").read_bytes())["items"][0]["question"]["prompt_html"]
    assert '<span class="visually-hidden">Code Python</span><pre>' in french
    plain = page_data((tmp_path / "out" / "english" / "index.html").read_bytes())["items"][0]["question"]["prompt_html"]
    assert '<span class="visually-hidden">Python code</span><pre>' in plain
