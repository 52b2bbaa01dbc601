"""The interface's texts: message catalogues (generator/site/messages/<lang>.json) and exams.yaml overrides.

English (en.json) is the reference: its keys are every message there is. A key ending in `_one` or
`_other` (and, for languages that have them, `_zero`, `_two`, `_few`, `_many`) is a plural form of
one message, picked by CLDR plural category, as the browser's Intl.PluralRules does in the page.
Keys starting with `page_` are used only by the template; the others are the runtime's, published
as one script per language (assets.messages_asset; docs/page-contract.md, "messages").

Looking a message up never fails: a language without a catalogue, or a catalogue or override
without a message, falls back to English, and the build reports that as a warning.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

MESSAGES_DIR = Path(__file__).parent / "messages"
REFERENCE = "en"
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")
TEMPLATE_ONLY_PREFIX = "page_"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# exams.yaml `messages:` as loaded: ((lang, ((key, text), ...)), ...), sorted, so it is hashable and
# its repr (part of the build cache's key) is stable.
Overrides = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


@lru_cache(maxsize=None)
def catalogue(lang: str) -> Mapping[str, str] | None:
    """The package's catalogue for exactly this language code, or None."""
    path = MESSAGES_DIR / f"{lang}.json"
    if not re.fullmatch(r"[A-Za-z0-9-]+", lang) or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def available() -> list[str]:
    return sorted(path.stem for path in MESSAGES_DIR.glob("*.json"))


def reference() -> Mapping[str, str]:
    english = catalogue(REFERENCE)
    assert english is not None, "generator/site/messages/en.json is missing from the installation"
    return english


def plural_base(key: str) -> str | None:
    """`minutes` for `minutes_few` when `minutes_other` is an English message, else None."""
    base, _, category = key.rpartition("_")
    if category in PLURAL_CATEGORIES and f"{base}_other" in reference():
        return base
    return None


def known_key(key: str) -> bool:
    """An English message, or another plural form of one (`minutes_few`)."""
    return key in reference() or plural_base(key) is not None


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def allowed_placeholders(key: str) -> set[str]:
    """The placeholders the runtime or template fills in for this message."""
    base = plural_base(key)
    english = reference()
    if base is not None:
        return {"n"} | placeholders(english.get(f"{base}_other", ""))
    return placeholders(english.get(key, ""))


def plural_category(lang: str, n: int) -> str:
    """CLDR's cardinal category of a whole number for the shipped languages (others: one/other)."""
    language = lang.split("-")[0]
    if language == "ar":
        if n == 0:
            return "zero"
        if n in (1, 2):
            return "one" if n == 1 else "two"
        if 3 <= n % 100 <= 10:
            return "few"
        if 11 <= n % 100 <= 99:
            return "many"
        return "other"
    if language == "fr":
        return "one" if n in (0, 1) else "other"
    return "one" if n == 1 else "other"


@dataclass(frozen=True)
class Messages:
    """Every message for one exam language, complete (English where a text is missing)."""

    lang: str
    texts: Mapping[str, str]
    missing: tuple[str, ...]  # English keys for which English was used
    has_catalogue: bool  # a package catalogue or an override exists for the language

    def text(self, key: str, **params: object) -> str:
        return _fill(self.texts[key], params)

    def plural(self, key: str, n: int, **params: object) -> str:
        form = f"{key}_{plural_category(self.lang, n)}"
        return _fill(self.texts.get(form) or self.texts[f"{key}_other"], {"n": n, **params})

    def runtime(self) -> dict[str, str]:
        """What the runtime gets: every message but the template's own, in a stable order."""
        return {key: text for key, text in sorted(self.texts.items()) if not key.startswith(TEMPLATE_ONLY_PREFIX)}


def _fill(text: str, params: Mapping[str, object]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), text)


def _chain(lang: str) -> list[str]:
    """`fr-CA` -> [`fr-CA`, `fr`]: the most specific language first."""
    parts = lang.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def messages_for(lang: str, overrides: Overrides = ()) -> Messages:
    """The messages for `lang`: its overrides and catalogue (then its base language's), then English.

    English overrides apply to every language's fallbacks, so a site that rewords an English message
    gets its wording wherever English is used."""
    by_lang = {code: dict(texts) for code, texts in overrides}
    layers: list[Mapping[str, str]] = []
    for code in _chain(lang):
        layers.append(by_lang.get(code, {}))
        layers.append(catalogue(code) or {})
    has_catalogue = any(layers)
    english = [by_lang.get(REFERENCE, {}), reference()]
    texts: dict[str, str] = {}
    missing = []
    for layer in reversed(layers + english):  # the first layer that has a key wins: fill from the last
        texts.update({key: text for key, text in layer.items() if text})
    own = {key for layer in layers for key, text in layer.items() if text}
    for key in reference():
        if key in own:
            continue
        base = plural_base(key)
        if base is not None and f"{base}_other" in own:
            # The language has the message, just not this plural form: its own `other` form is
            # better than English.
            texts[key] = texts[f"{base}_other"]
            continue
        missing.append(key)
    return Messages(lang, texts, tuple(missing), has_catalogue)


def missing_warning(messages: Messages) -> str | None:
    """The build warning for a language with English fallbacks, or None."""
    if not messages.missing or messages.lang.split("-")[0] == REFERENCE:
        return None
    if not messages.has_catalogue:
        return (f"there is no message catalogue for '{messages.lang}' (available: {', '.join(available())}); "
                f"the page's interface is in English: add messages.{messages.lang} to exams.yaml")
    shown = ", ".join(messages.missing[:5]) + (", ..." if len(messages.missing) > 5 else "")
    return (f"{len(messages.missing)} interface message(s) are missing for '{messages.lang}' ({shown}); "
            f"English is used for them: add them under messages.{messages.lang} in exams.yaml")


# highlight.py names each code block for screen readers, in English: "<Language> code". Pages say it
# in the exam's language (page_code_label); the language's own name stays as Pygments spells it.
_CODE_LABEL = re.compile(r'<span class="visually-hidden">([^<]+?) code</span><pre>')


def localize_code_labels(html_text: str, messages: Messages) -> str:
    if "<pre>" not in html_text:
        return html_text
    label = html.escape(messages.text("page_code_label", language="\0"), quote=False)
    return _CODE_LABEL.sub(
        lambda m: '<span class="visually-hidden">' + label.replace("\0", m.group(1)) + "</span><pre>", html_text)
