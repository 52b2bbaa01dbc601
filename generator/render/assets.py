"""The browser runtime's files, published under content-hashed names with SRI digests: the code
and stylesheet (one set per build) and the interface's message catalogue (one file per language
the exams use)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from generator.site import i18n
from generator.render.compact import compact
from generator.render.highlight import stylesheet

RUNTIME_DIR = Path(__file__).parent / "runtime"
# Logical name -> source file. The SDK adapter is chosen by proview.sdk.
RUNTIME_FILES = {"exam.js": "exam.js", "exam.css": "exam.css"}
# The logical name of a page's message catalogue (its language's), beside the runtime's files.
MESSAGES = "messages.js"
HIGHLIGHT = "highlight.css"  # the code colours: loaded by the pages that show code
SDK_ADAPTERS = {"v8": "sdk-v8.js", "legacy": "sdk-legacy.js"}
FAKE_LOADERS = {"v8": "proview-fake.js", "legacy": "proview-fake-legacy.js"}


@dataclass(frozen=True)
class Asset:
    """A published runtime file: where it is, its SRI digest and its bytes."""

    name: str  # path under the output folder, e.g. assets/exam.3f2a….js
    integrity: str  # the value of an `integrity` attribute
    content: bytes

    def url_from(self, prefix: str) -> str:
        return prefix + self.name.removeprefix("assets/")


def make_asset(filename: str, content: bytes) -> Asset:
    stem, dot, suffix = filename.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:16]
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()
    return Asset(f"assets/{stem}.{digest}{dot}{suffix}", integrity, content)


def runtime_assets(sdk: str, fake_proview: bool) -> dict[str, Asset]:
    """The runtime for one SDK target: exam.js, exam.css, sdk.js, highlight.css and, for previews,
    the fake loader."""
    files = dict(RUNTIME_FILES, **{"sdk.js": SDK_ADAPTERS[sdk]})
    if fake_proview:
        files["proview-fake.js"] = FAKE_LOADERS[sdk]
    contents = {name: (RUNTIME_DIR / source).read_bytes() for name, source in files.items()}
    # Code highlighting's colours are generated (checked for contrast), in a stylesheet of their own
    # that only pages showing code load.
    files[HIGHLIGHT] = HIGHLIGHT
    contents[HIGHLIGHT] = stylesheet().encode()
    return {name: make_asset(files[name], compact(files[name], content)) for name, content in sorted(contents.items())}


@lru_cache(maxsize=64)  # a handful of languages; the dev server lives through many overrides
def messages_asset(lang: str, overrides: i18n.Overrides = ()) -> Asset:
    """The runtime's messages in `lang` (i18n.Messages.runtime), as a script that sets
    window.ExamsiteMessages: assets/messages.<lang>.<hash>.js. Cached by the browser across every
    page in that language, where embedding them cost each page about 1.1 KB gzipped.

    ASCII only (\\u escapes), so no server's charset for .js files can garble a text."""
    texts = i18n.messages_for(lang, overrides).runtime()
    content = "window.ExamsiteMessages = " + json.dumps(texts, ensure_ascii=True, separators=(",", ":")) + ";\n"
    return make_asset(f"messages.{lang}.js", content.encode("ascii"))


def language_assets(langs: Iterable[str], overrides: i18n.Overrides = ()) -> dict[str, Asset]:
    """The message catalogues of these languages, by language."""
    return {lang: messages_asset(lang, overrides) for lang in sorted(set(langs))}
